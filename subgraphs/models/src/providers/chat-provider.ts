/** One message of a conversation, as every provider takes it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  stop?: string[] | undefined;
}

export interface ChatChunk {
  /** Text added by this chunk (may be empty). */
  delta: string;
  finishReason?: string | null;
  /** Present on the last chunk when the provider reports usage. */
  usage?: { promptTokens: number; completionTokens: number };
}

/**
 * A model endpoint. `stream` yields the reply as it arrives and throws a
 * ProviderError for failures; it stops when `signal` aborts.
 */
export interface ChatProvider {
  stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk>;
  /** Cheap liveness probe for active health checks. */
  probe(signal: AbortSignal): Promise<void>;
}

/** A provider failure, with what the router needs to decide about retrying. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly status?: number,
    /** From Retry-After, when the provider said when to come back. */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ProviderError';
  }
}
