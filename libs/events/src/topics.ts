/**
 * Every Kafka topic and its payload, defined once. Producers and consumers
 * import these names; nobody spells a topic as a string literal elsewhere.
 */
export const Topics = {
  chatMessageRequested: 'chat.message.requested',
  chatMessageRequestedDeadLetter: 'chat.message.requested.dlq',
  chatMessageCompleted: 'chat.message.completed',
  usageRecorded: 'usage.recorded',
  userDeleted: 'users.user.deleted',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

/**
 * A user asked for an assistant reply; key = conversation id (per-conversation order), except for a reply generated
 * beside others (sendMessage's `models`) and what follows it: see "Request keys" in subgraphs/chat/README.md.
 */
export interface ChatMessageRequested {
  conversationId: string;
  userId: string;
  userMessageId: string;
  assistantMessageId: string;
  model: string | null;
  requestedAt: string;
  /** The user's language when they asked for replies translated (settings.autoTranslate); passed on to the completed event. */
  translateTo?: string | null;
}

export interface ChatMessageRequestedDeadLetter extends ChatMessageRequested {
  reason: string;
  attempts: number;
}

export interface ChatMessageCompleted {
  conversationId: string;
  userId: string;
  messageId: string;
  status: 'COMPLETED' | 'FAILED' | 'CANCELLED';
  model: string | null;
  completedAt: string;
  /** The reply's final content (COMPLETED only), for consumers that work on it without asking chat. */
  content?: string | null;
  /** The user's language when they asked for replies translated (settings.autoTranslate), else null. */
  translateTo?: string | null;
}

export interface UsageRecorded {
  /** The usage record's id. */
  recordId: string;
  userId: string;
  apiKeyId: string | null;
  messageId: string | null;
  model: string;
  deployment: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  recordedAt: string;
  /**
   * Records of earlier attempts at the same message that this one replaces (a reply resumed after its worker
   * died): their cost no longer counts for the user. A reconciler subtracts them.
   */
  supersedes: string[];
}

export interface UserDeleted {
  userId: string;
  deletedAt: string;
}

export interface EventPayloads {
  'chat.message.requested': ChatMessageRequested;
  'chat.message.requested.dlq': ChatMessageRequestedDeadLetter;
  'chat.message.completed': ChatMessageCompleted;
  'usage.recorded': UsageRecorded;
  'users.user.deleted': UserDeleted;
}
