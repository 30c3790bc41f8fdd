import { ErrorCode } from '@parley/errors';
import type { FinalStatus } from './message-status';

/**
 * One event of an assistant reply's stream, as workers publish it and gateways
 * deliver it. `seq` starts at 1 and grows by one per event, without gaps, so a
 * client that reconnects with the last seq it saw misses nothing and sees
 * nothing twice. Exactly one final event (`completed` or `failed`) ends it.
 */
export type MessageStreamEvent =
  | { kind: 'delta'; messageId: string; seq: number; delta: string }
  /** The reply ended: `status` says whether it finished or was cancelled (its partial content kept). */
  | { kind: 'completed'; messageId: string; seq: number; status: 'COMPLETED' | 'CANCELLED'; traceparent?: string }
  | { kind: 'failed'; messageId: string; seq: number; reason: string; code: string; traceparent?: string };

/** The event that ends a reply's stream. */
export type MessageStreamFinal = Extract<MessageStreamEvent, { kind: 'completed' | 'failed' }>;

export function isFinalEvent(event: MessageStreamEvent): event is MessageStreamFinal {
  return event.kind !== 'delta';
}

/**
 * The final event of a reply that ended with `status`, at `seq`. The worker
 * appends it when it stores the outcome, cancel when it closes a reply itself,
 * and the gateway rebuilds it from the stored reply once the log has expired:
 * one definition, so the three cannot tell a late subscriber different
 * endings. A failure stored without a code or reason reads as an internal error.
 */
export function finalEvent({
  messageId,
  seq,
  status,
  code,
  reason,
  traceparent,
}: {
  messageId: string;
  seq: number;
  status: FinalStatus;
  code?: string | null | undefined;
  reason?: string | null | undefined;
  /**
   * The reply's trace (the worker's, when traced): the gateway delivers the ending inside it, so a message's trace
   * ends at its subscribers. Internal: never part of what a client receives.
   */
  traceparent?: string | null | undefined;
}): MessageStreamFinal {
  const traced = traceparent ? { traceparent } : {};
  if (status === 'FAILED') {
    return {
      kind: 'failed',
      messageId,
      seq,
      code: code ?? ErrorCode.INTERNAL_SERVER_ERROR,
      reason: reason ?? 'The reply failed.',
      ...traced,
    };
  }
  return { kind: 'completed', messageId, seq, status, ...traced };
}
