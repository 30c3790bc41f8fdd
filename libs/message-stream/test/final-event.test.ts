import { describe, expect, it } from 'vitest';
import { finalEvent, IN_FLIGHT_STATUSES, isFinalEvent, isInFlight, MESSAGE_STATUSES } from '../src';

describe('the final event of a reply', () => {
  it('ends a completed or cancelled reply with its status', () => {
    expect(finalEvent({ messageId: 'm', seq: 4, status: 'COMPLETED' })).toEqual({
      kind: 'completed',
      messageId: 'm',
      seq: 4,
      status: 'COMPLETED',
    });
    expect(finalEvent({ messageId: 'm', seq: 2, status: 'CANCELLED', code: 'X', reason: 'ignored' })).toEqual({
      kind: 'completed',
      messageId: 'm',
      seq: 2,
      status: 'CANCELLED',
    });
  });

  it('ends a failed reply with its code and reason, and a failure stored without them as an internal error', () => {
    expect(finalEvent({ messageId: 'm', seq: 3, status: 'FAILED', code: 'RATE_LIMITED', reason: 'slow down' })).toEqual({
      kind: 'failed',
      messageId: 'm',
      seq: 3,
      code: 'RATE_LIMITED',
      reason: 'slow down',
    });
    expect(finalEvent({ messageId: 'm', seq: 1, status: 'FAILED', code: null, reason: null })).toEqual({
      kind: 'failed',
      messageId: 'm',
      seq: 1,
      code: 'INTERNAL_SERVER_ERROR',
      reason: 'The reply failed.',
    });
    // An empty reason is a reason: kept, not replaced.
    expect(finalEvent({ messageId: 'm', seq: 1, status: 'FAILED', code: 'BAD_USER_INPUT', reason: '' })).toMatchObject({ reason: '' });
  });

  it('is final, and only PENDING and STREAMING are in flight', () => {
    expect(isFinalEvent(finalEvent({ messageId: 'm', seq: 1, status: 'COMPLETED' }))).toBe(true);
    expect(isFinalEvent({ kind: 'delta', messageId: 'm', seq: 1, delta: 'x' })).toBe(false);
    expect(MESSAGE_STATUSES.filter(isInFlight)).toEqual([...IN_FLIGHT_STATUSES]);
    expect(IN_FLIGHT_STATUSES).toEqual(['PENDING', 'STREAMING']);
  });
});
