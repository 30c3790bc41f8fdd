import { useId, useState } from 'react';
import { useMutation, type OperationResult } from 'urql';
import { CancelMutation, EditMessageMutation, RegenerateMutation, SelectBranchMutation } from '../api/operations';
import { useServices } from '../app/app-context';
import type { MessageFieldsFragment, WebModelsQuery } from '../generated/graphql';
import { useI18n } from '../i18n/i18n';
import { LazyMarkdown } from '../markdown/LazyMarkdown';
import { replyModelName } from '../models/model-name';
import { useLiveReply } from '../stream/stream-store';
import { TranslationBeside } from '../translation/TranslationBeside';
import { errorMessage } from '../ui/error-message';
import { isGenerating } from './message-status';

/**
 * One turn: the text (live while it streams), who wrote it, and what can be
 * done with it — stop, regenerate or retry a reply, edit a question, move
 * between its siblings (‹ 2/3 ›), translate it beside the original.
 */
export function MessageItem({
  message,
  isLast,
  translateTo,
  autoTranslate,
  models,
}: {
  message: MessageFieldsFragment;
  conversationId: string | null;
  isLast: boolean;
  translateTo: string;
  autoTranslate: boolean;
  models: WebModelsQuery['models'];
}) {
  const { t, formatUsd } = useI18n();
  const { streams } = useServices();
  const live = useLiveReply(streams, message.id);
  const [, regenerate] = useMutation(RegenerateMutation);
  const [, edit] = useMutation(EditMessageMutation);
  const [, cancel] = useMutation(CancelMutation);
  const [, selectBranch] = useMutation(SelectBranchMutation);
  const [editing, setEditing] = useState(false);
  const [translating, setTranslating] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const editId = useId();

  const assistant = message.role === 'ASSISTANT';
  const modelName = replyModelName(message, models) ?? t('chat.model');
  // The stored message wins once it is final; until then the live stream has the latest text.
  const final = !isGenerating(message.status);
  const text = final ? message.content : (live?.text ?? message.content);
  const status = final ? message.status : (live?.status ?? message.status);
  const failure = final ? message.failure : (live?.failure ?? message.failure);
  const streaming = assistant && (status === 'PENDING' || status === 'STREAMING');
  const showTranslation = (translating ?? (autoTranslate && assistant)) && final && text !== '';

  const siblings = message.siblings;
  const position = siblings.findIndex((sibling) => sibling.id === message.id);
  const goTo = async (index: number) => {
    const target = siblings[index];
    if (target) await selectBranch({ messageId: target.id });
  };
  /** After regenerate, edit or retry: follow the new reply the mutation created. */
  const follow = (result: OperationResult<Record<string, { assistantMessage: { id: string } } | null>>) => {
    if (result.error) setError(errorMessage(result.error, t));
    const reply = result.data ? Object.values(result.data)[0]?.assistantMessage : undefined;
    if (reply) streams.follow(reply.id);
  };

  return (
    <article
      className={`message ${assistant ? 'assistant' : 'user'} status-${status.toLowerCase()}`}
      aria-label={assistant ? t('chat.replyBy', { model: modelName }) : t('chat.you')}
      aria-busy={streaming}
      data-message-id={message.id}
    >
      <header className="message-meta">
        <span className="author">{assistant ? (message.model?.displayName ?? t('chat.model')) : t('chat.you')}</span>
        {assistant && message.model?.development && <span className="badge">{t('models.development')}</span>}
        {siblings.length > 1 && (
          <span className="branches" role="group" aria-label={t('chat.branches')}>
            <button
              type="button"
              className="icon"
              disabled={position <= 0}
              onClick={() => void goTo(position - 1)}
              aria-label={t('chat.previousBranch')}
            >
              ‹
            </button>
            <span aria-live="polite">
              {position + 1}/{siblings.length}
            </span>
            <button
              type="button"
              className="icon"
              disabled={position >= siblings.length - 1}
              onClick={() => void goTo(position + 1)}
              aria-label={t('chat.nextBranch')}
            >
              ›
            </button>
          </span>
        )}
      </header>
      {editing ? (
        <form
          className="edit"
          onSubmit={(event) => {
            event.preventDefault();
            const content = String(new FormData(event.currentTarget).get('content') ?? '').trim();
            setEditing(false);
            if (content && content !== message.content) void edit({ messageId: message.id, content }).then(follow);
          }}
        >
          <label htmlFor={editId} className="visually-hidden">
            {t('chat.editLabel')}
          </label>
          <textarea id={editId} name="content" defaultValue={message.content} rows={3} maxLength={32_000} autoFocus />
          <div className="row">
            <button type="submit" className="primary">
              {t('chat.saveEdit')}
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              {t('app.cancel')}
            </button>
          </div>
        </form>
      ) : (
        <div className={showTranslation ? 'bilingual' : undefined}>
          <div className="message-body" lang={undefined}>
            {text === '' && streaming ? (
              <span className="thinking" role="status">
                {t('chat.thinking')}
              </span>
            ) : (
              <LazyMarkdown text={text} />
            )}
            {streaming && text !== '' && <span className="caret" aria-hidden="true" />}
          </div>
          {showTranslation && <TranslationBeside messageId={message.id} to={translateTo} />}
        </div>
      )}
      {status === 'FAILED' && failure && (
        <div className="failure" role="alert">
          <strong>{failure.code}</strong> {failure.reason}
          <button type="button" onClick={() => void regenerate({ messageId: message.id }).then(follow)}>
            {t('chat.retry')}
          </button>
        </div>
      )}
      {status === 'CANCELLED' && <p className="muted">{t('chat.stopped')}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <footer className="message-actions">
        {assistant && message.usage && final && (
          <span className="usage" title={t('usage.tokensTitle')}>
            {t('usage.tokens', { prompt: message.usage.promptTokens, completion: message.usage.completionTokens })} ·{' '}
            {formatUsd(message.usage.costUsd)}
          </span>
        )}
        {streaming && (
          <button
            type="button"
            disabled={live?.stopping}
            onClick={() => {
              streams.stopped(message.id);
              void cancel({ messageId: message.id });
            }}
          >
            {live?.stopping ? t('chat.stopping') : t('chat.stop')}
          </button>
        )}
        {final && text !== '' && (
          <button type="button" onClick={() => void navigator.clipboard?.writeText(text)}>
            {t('markdown.copy')}
          </button>
        )}
        {final && text !== '' && (
          <button type="button" aria-pressed={Boolean(showTranslation)} onClick={() => setTranslating(!showTranslation)}>
            {t('translation.toggle')}
          </button>
        )}
        {assistant && final && isLast && (
          <button type="button" onClick={() => void regenerate({ messageId: message.id }).then(follow)}>
            {t('chat.regenerate')}
          </button>
        )}
        {!assistant && (
          <button type="button" onClick={() => setEditing(true)}>
            {t('chat.edit')}
          </button>
        )}
      </footer>
    </article>
  );
}
