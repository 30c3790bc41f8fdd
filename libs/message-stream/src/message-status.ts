/**
 * A message's status, as chat stores it and the API shows it. A reply in
 * flight (PENDING, then STREAMING) may still get events; a reply with a final
 * status has exactly one final event in its stream, at its `lastSeq`.
 */
export const MESSAGE_STATUSES = ['PENDING', 'STREAMING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const IN_FLIGHT_STATUSES = ['PENDING', 'STREAMING'] as const satisfies readonly MessageStatus[];
export type InFlightStatus = (typeof IN_FLIGHT_STATUSES)[number];
export type FinalStatus = Exclude<MessageStatus, InFlightStatus>;

export function isInFlight(status: MessageStatus): status is InFlightStatus {
  return (IN_FLIGHT_STATUSES as readonly MessageStatus[]).includes(status);
}
