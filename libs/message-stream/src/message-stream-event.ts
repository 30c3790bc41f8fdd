/**
 * One event of an assistant reply's stream, as workers publish it and gateways
 * deliver it. `seq` starts at 1 and grows by one per event, without gaps, so a
 * client that reconnects with the last seq it saw misses nothing and sees
 * nothing twice. Exactly one final event (`completed` or `failed`) ends it.
 */
export type MessageStreamEvent =
  | { kind: 'delta'; messageId: string; seq: number; delta: string }
  /** The reply ended: `status` says whether it finished or was cancelled (its partial content kept). */
  | { kind: 'completed'; messageId: string; seq: number; status: 'COMPLETED' | 'CANCELLED' }
  | { kind: 'failed'; messageId: string; seq: number; reason: string; code: string };

export function isFinalEvent(event: MessageStreamEvent): boolean {
  return event.kind !== 'delta';
}
