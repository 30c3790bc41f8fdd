import { useEffect } from 'react';
import { useQuery } from 'urql';
import { MessageQuery } from '../api/operations';
import { useServices } from '../app/app-context';
import type { MessageFieldsFragment } from '../generated/graphql';
import { useI18n } from '../i18n/i18n';
import { LazyMarkdown } from '../markdown/LazyMarkdown';
import { useLiveReply } from '../stream/stream-store';
import { isGenerating } from './message-status';

/**
 * A question sent to several models: their replies (siblings of one another)
 * side by side, each streaming on its own, until the person continues with
 * one — which makes that reply's branch the conversation's.
 */
export function CompareTurn({ reply, onPick }: { reply: MessageFieldsFragment; onPick(messageId: string): void; translateTo: string }) {
  const { t } = useI18n();
  return (
    <section className="compare" aria-label={t('compare.title')}>
      <h2 className="visually-hidden">{t('compare.title')}</h2>
      <div className="compare-columns">
        {reply.siblings.map((sibling) => (
          <CompareColumn key={sibling.id} messageId={sibling.id} onPick={onPick} />
        ))}
      </div>
    </section>
  );
}

function CompareColumn({ messageId, onPick }: { messageId: string; onPick(messageId: string): void }) {
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
  return (
    <article className="compare-column" aria-label={message?.model?.displayName ?? t('chat.model')} aria-busy={isGenerating(status)}>
      <header className="message-meta">
        <span className="author">{message?.model?.displayName ?? t('chat.model')}</span>
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
