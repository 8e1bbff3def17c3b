/** The platform's event envelope, built from the simulator's state. */
import { randomBytes } from 'node:crypto';
import type { WhitelabelReplyRecord, WhitelabelTicketRecord } from './store';

export type WhitelabelEventType =
  | 'whitelabel_ticket_created'
  | 'whitelabel_ticket_updated'
  | 'whitelabel_ticket_assigned'
  | 'whitelabel_ticket_resolved';

export interface WhitelabelEventPayload {
  event_id: string;
  event_type: WhitelabelEventType;
  api_version: 2;
  object: 'event';
  data: { ticket: WhitelabelTicketRecord; reply?: WhitelabelReplyRecord };
  endpoint_id: string;
}

/** `whev_` + 17 lower-case base-36 characters, like the seed's `whev_o48n74r1vsv642vex`. */
export function newEventId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return `whev_${[...randomBytes(17)].map((b) => alphabet[b % 36]).join('')}`;
}

/** An event carrying a copy of the ticket as it is now (later changes do not leak into it). */
export function buildEvent(
  type: WhitelabelEventType,
  ticket: WhitelabelTicketRecord,
  endpointId: string,
  reply?: WhitelabelReplyRecord,
): WhitelabelEventPayload {
  return {
    event_id: newEventId(),
    event_type: type,
    api_version: 2,
    object: 'event',
    data: { ticket: structuredClone(ticket), ...(reply ? { reply: structuredClone(reply) } : {}) },
    endpoint_id: endpointId,
  };
}
