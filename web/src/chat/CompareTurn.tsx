import { useEffect } from 'react';
import { useQuery } from 'urql';
import { MessageQuery } from '../api/operations';
import { useServices } from '../app/app-context';
import type { MessageFieldsFragment, WebModelsQuery } from '../generated/graphql';
import { useI18n } from '../i18n/i18n';
import { LazyMarkdown } from '../markdown/LazyMarkdown';
import { replyModelName } from '../models/model-name';
import { useLiveReply } from '../stream/stream-store';
import { isGenerating } from './message-status';

/**
 * A question sent to several models: their replies (siblings of one another)
 * side by side, each streaming on its own, until the person continues with
 * one — which makes that reply's branch the conversation's.
 */
export function CompareTurn({
  reply,
  onPick,
  models,
}: {
  reply: MessageFieldsFragment;
  onPick(messageId: string): void;
  models: WebModelsQuery['models'];
}) {
  const { t } = useI18n();
  return (
    <section className="compare" aria-label={t('compare.title')}>
      <h2 className="visually-hidden">{t('compare.title')}</h2>
      <div className="compare-columns">
        {reply.siblings.map((sibling) => (
          <CompareColumn key={sibling.id} messageId={sibling.id} onPick={onPick} models={models} />
        ))}
      </div>
    </section>
  );
}

function CompareColumn({
  messageId,
  onPick,
  models,
}: {
  messageId: string;
  onPick(messageId: string): void;
  models: WebModelsQuery['models'];
}) {
  const { t } = useI18n();
  const { streams } = useServices();
  const [{ data }] = useQuery({ query: MessageQuery, variables: { id: messageId } });
  const live = useLiveReply(streams, messageId);
  const message = data?.message;
  const generating = message ? isGenerating(message.status) : false;
  useEffect(() => {
    if (generating) streams.follow(messageId);
  }, [generating, messageId, streams]);
  const final = message && !isGenerating(message.status);
  const text = final ? message.content : (live?.text ?? message?.content ?? '');
  const status = final ? message.status : (live?.status ?? message?.status ?? 'PENDING');
  const name = (message && replyModelName(message, models)) ?? t('chat.model');
  return (
    <article className="compare-column" aria-label={name} aria-busy={isGenerating(status)}>
      <header className="message-meta">
        <span className="author">{name}</span>
        {message?.model?.development && <span className="badge">{t('models.development')}</span>}
      </header>
      <div className="message-body">
        {text === '' ? <span className="thinking">{t('chat.thinking')}</span> : <LazyMarkdown text={text} />}
      </div>
      {status === 'FAILED' && message?.failure && (
        <p className="failure" role="alert">
          <strong>{message.failure.code}</strong> {message.failure.reason}
        </p>
      )}
      <button type="button" className="primary" disabled={isGenerating(status)} onClick={() => onPick(messageId)}>
        {t('compare.continueWith')}
      </button>
    </article>
  );
}
