/**
 * Live, fire-and-forget messages between processes (token deltas to the
 * gateways that hold the subscribers). Redis in services mode, memory in
 * embedded mode; nothing above this interface knows which one runs.
 */
export interface PubSub {
  publish(channel: string, payload: unknown): Promise<void>;
  /**
   * Resolves once the subscription is active (anything published after that
   * arrives), with a function that ends it.
   */
  subscribe<T>(channel: string, onMessage: (payload: T) => void): Promise<Unsubscribe>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type Unsubscribe = () => Promise<void>;
