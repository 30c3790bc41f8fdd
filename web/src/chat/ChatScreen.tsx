import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CancelMutation, ModelsQuery, SelectBranchMutation, SendMessageMutation, ViewerQuery } from '../api/operations';
import { useServices } from '../app/app-context';
import { conversationPath, navigate } from '../app/router';
import type { MessageFieldsFragment, WebModelsQuery } from '../generated/graphql';
import { useI18n } from '../i18n/i18n';
import { usePreference, writePreference } from '../ui/preferences';
import { errorMessage } from '../ui/error-message';
import { BudgetMeter } from '../usage/BudgetMeter';
import { Composer, type ComposerSubmit } from './Composer';
import { CompareTurn } from './CompareTurn';
import { MessageItem } from './MessageItem';
import { isGenerating } from './message-status';
import { useConversationMessages } from './use-conversation-messages';

/**
 * One conversation (or a new one): its active branch as a virtualized list,
 * the replies being generated followed live, and the composer. When a
 * question was sent to several models, its replies stand side by side until
 * the person picks the one to continue with.
 */
export function ChatScreen({ conversationId }: { conversationId: string | null }) {
  const { t } = useI18n();
  const { streams } = useServices();
  const { title, messages, loading, missing, error } = useConversationMessages(conversationId);
  const [{ data: models }] = useQuery({ query: ModelsQuery });
  const [{ data: viewer }] = useQuery({ query: ViewerQuery });
  const [, send] = useMutation(SendMessageMutation);
  const [, cancel] = useMutation(CancelMutation);
  const [, selectBranch] = useMutation(SelectBranchMutation);
  const [sendError, setSendError] = useState<string | null>(null);
  const storedModel = usePreference(conversationId ? `model.${conversationId}` : 'model.new');
  // This browser's choice for the conversation, else the model its last reply was asked of (from any device), else the default.
  const lastAsked = messages.findLast((m) => m.role === 'ASSISTANT' && m.requestedModel)?.requestedModel ?? null;
  const model = storedModel ?? lastAsked ?? viewer?.me?.settings.defaultModel ?? null;
  const autoTranslate = viewer?.me?.settings.autoTranslate ?? false;
  const translateTo = viewer?.me?.settings.preferredLanguage ?? 'en';
  const comparing = usePreference(conversationId ? `compare.${conversationId}` : 'compare.new');

  // Follow every reply still being written: after a reload its events replay from the first.
  useEffect(() => {
    for (const message of messages) {
      if (message.role === 'ASSISTANT' && isGenerating(message.status)) streams.follow(message.id);
      else if (message.role === 'ASSISTANT') streams.forget(message.id);
    }
  }, [messages, streams]);

  const last = messages.at(-1);
  const compareParent = comparing && last?.role === 'ASSISTANT' && last.parentId === comparing ? comparing : null;
  const listed = compareParent ? messages.slice(0, -1) : messages;
  const generating = messages.filter((m) => m.role === 'ASSISTANT' && isGenerating(m.status)).map((m) => m.id);

  const stop = useCallback(async () => {
    for (const id of generating) {
      streams.stopped(id);
      await cancel({ messageId: id });
    }
  }, [generating, streams, cancel]);

  const submit = async ({ content, models: chosen }: ComposerSubmit) => {
    setSendError(null);
    const input = {
      content,
      clientMessageId: crypto.randomUUID(),
      ...(conversationId ? { conversationId } : {}),
      ...(chosen.length > 1 ? { models: chosen } : chosen[0] ? { model: chosen[0] } : {}),
    };
    const result = await send({ input });
    if (result.error || !result.data) {
      setSendError(errorMessage(result.error, t));
      return false;
    }
    const payload = result.data.sendMessage;
    const replies = payload.assistantMessages;
    for (const reply of replies) streams.follow(reply.id);
    const id = payload.conversation.id;
    if (chosen.length > 1) writePreference(`compare.${id}`, payload.userMessage.id);
    if (!conversationId) {
      if (model) writePreference(`model.${id}`, model);
      writePreference('model.new', null);
      navigate(conversationPath(id));
    }
    return true;
  };

  const pick = async (messageId: string) => {
    if (!conversationId) return;
    await selectBranch({ messageId });
    writePreference(`compare.${conversationId}`, null);
  };

  if (missing) {
    return (
      <div className="empty">
        <h1>{t('chat.missing')}</h1>
        <a href="/">{t('conversations.new')}</a>
      </div>
    );
  }

  return (
    <section className={compareParent ? 'chat comparing' : 'chat'} aria-label={title ?? t('conversations.new')}>
      <header className="chat-header">
        <h1>{title ?? t('conversations.new')}</h1>
        <BudgetMeter compact />
      </header>
      <MessageList
        messages={listed}
        conversationId={conversationId}
        translateTo={translateTo}
        autoTranslate={autoTranslate}
        models={models?.models ?? []}
      />
      {compareParent && last && <CompareTurn reply={last} onPick={(id) => void pick(id)} models={models?.models ?? []} />}
      {!conversationId && messages.length === 0 && !loading && (
        <div className="welcome">
          <h2>{t('chat.welcome')}</h2>
          <p>{t('chat.welcomeHint')}</p>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {errorMessage(error, t)}
        </p>
      )}
      <Composer
        models={models?.models ?? []}
        model={model}
        onModel={(next) => writePreference(conversationId ? `model.${conversationId}` : 'model.new', next)}
        generating={generating.length > 0}
        onStop={() => void stop()}
        onSubmit={submit}
        error={sendError}
      />
    </section>
  );
}

type ModelOption = WebModelsQuery['models'][number];

function MessageList({
  messages,
  conversationId,
  translateTo,
  autoTranslate,
  models,
}: {
  messages: MessageFieldsFragment[];
  conversationId: string | null;
  translateTo: string;
  autoTranslate: boolean;
  models: ModelOption[];
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const { t } = useI18n();
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 120,
    overscan: 6,
    getItemKey: (index) => messages[index]?.id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const totalSize = virtualizer.getTotalSize();

  // Stay at the bottom while replies grow, unless the person scrolled up to read.
  useEffect(() => {
    if (stickToBottom.current && messages.length > 0) virtualizer.scrollToIndex(messages.length - 1, { align: 'end' });
  }, [messages.length, totalSize, virtualizer]);

  const lastByParent = useMemo(() => messages.at(-1)?.id, [messages]);

  return (
    <div
      ref={scroller}
      className="messages"
      role="log"
      aria-live="off"
      aria-label={t('chat.messages')}
      onScroll={(event) => {
        const element = event.currentTarget;
        stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
      }}
    >
      <div style={{ height: totalSize, position: 'relative', width: '100%' }}>
        {items.map((item) => {
          const message = messages[item.index]!;
          return (
            <div
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              className="message-row"
              style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${item.start}px)` }}
            >
              <MessageItem
                message={message}
                conversationId={conversationId}
                isLast={message.id === lastByParent}
                translateTo={translateTo}
                autoTranslate={autoTranslate}
                models={models}
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}
