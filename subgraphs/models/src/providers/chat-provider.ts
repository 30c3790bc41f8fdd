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

/** Receives each chunk of a reply as it arrives, synchronously. */
export type ChunkSink = (chunk: ChatChunk) => void;

/**
 * A model endpoint. `stream` hands the reply to `sink` chunk by chunk (a
 * callback rather than an async iterator: at thousands of tokens a second the
 * promises of iterator layers cost more than the relay itself), resolves when
 * the reply ended and rejects with a ProviderError when it failed. When
 * `signal` aborts it stops, resolving or rejecting.
 */
export interface ChatProvider {
  stream(request: ChatRequest, signal: AbortSignal, sink: ChunkSink): Promise<void>;
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
