import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';
import type { ChatLoaders } from './chat-loaders';
import type { ConversationHistory } from './conversation-history';
import type { ReplyControl } from './replies/reply-control';
import type { ModerationFlags } from './moderation-flags';
import type { MessageSending } from './send-message';

/** What every chat resolver gets: built fresh for each request. */
export interface ChatContext {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  history: ConversationHistory;
  /** Null for anonymous requests: nothing in chat is readable without a viewer. */
  loaders: ChatLoaders | null;
  sending: MessageSending;
  replies: ReplyControl;
  moderationFlags: ModerationFlags;
}
