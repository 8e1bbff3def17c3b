import { createHmac, randomUUID } from 'node:crypto';
import type { ZdUser, ZdWriteResult } from './store';

/**
 * Webhooks the way Zendesk sends them for an event subscription (developer.zendesk.com,
 * "Webhook event types" → "Ticket events"): a `zen:event-type:ticket.*` type, `subject`
 * `zen:ticket:{id}`, a `detail` snapshot of the ticket with ids as strings and the status in
 * upper case, and an `event` object specific to the type.
 */

export type ZendeskEventType = 'zen:event-type:ticket.comment_added' | 'zen:event-type:ticket.status_changed';

export interface ZendeskTicketDetail {
  actor_id: string;
  assignee_id: string | null;
  brand_id: string;
  created_at: string;
  description: string;
  external_id: string | null;
  form_id: string;
  group_id: string | null;
  id: string;
  is_public: boolean;
  organization_id: string | null;
  priority: string | null;
  requester_id: string;
  status: string;
  subject: string;
  submitter_id: string;
  tags: string[];
  type: string | null;
  updated_at: string;
  via: { channel: string };
}

export interface ZendeskWebhookEvent {
  account_id: number;
  id: string;
  time: string;
  type: ZendeskEventType;
  zendesk_event_version: string;
  subject: string;
  detail: ZendeskTicketDetail;
  event:
    | { comment: { id: string; body: string; is_public: boolean; author: { id: string; is_staff: boolean; name: string } } }
    | { current: string; previous: string };
}

/** The events one write produces: a comment, then a status change, as Zendesk sequences them. */
export function eventsFor(write: ZdWriteResult, users: ReadonlyMap<number, ZdUser>, accountId: number): ZendeskWebhookEvent[] {
  const { ticket, comment, statusChange, audit } = write;
  const detail: ZendeskTicketDetail = {
    actor_id: String(write.actorId),
    assignee_id: ticket.assignee_id === null ? null : String(ticket.assignee_id),
    brand_id: String(ticket.brand_id ?? 1),
    created_at: ticket.created_at,
    description: ticket.description,
    external_id: ticket.external_id,
    form_id: String(ticket.ticket_form_id ?? 1),
    group_id: ticket.group_id === undefined ? null : String(ticket.group_id),
    id: String(ticket.id),
    is_public: true,
    organization_id: null,
    priority: ticket.priority ?? null,
    requester_id: String(ticket.requester_id),
    status: ticket.status.toUpperCase(),
    subject: ticket.subject,
    submitter_id: String(ticket.submitter_id),
    tags: [...ticket.tags],
    type: null,
    updated_at: ticket.updated_at,
    // The ticket's channel (how it was created), not this change's: Zendesk's ticket events carry
    // the ticket object, whose `via` is its creation channel.
    via: { channel: ticket.via.channel },
  };
  const base = {
    account_id: accountId,
    time: audit.created_at,
    zendesk_event_version: '2022-11-06',
    subject: `zen:ticket:${ticket.id}`,
    detail,
  };
  const out: ZendeskWebhookEvent[] = [];
  if (comment) {
    const author = users.get(comment.author_id);
    out.push({
      ...base,
      id: randomUUID(),
      type: 'zen:event-type:ticket.comment_added',
      event: {
        comment: {
          id: String(comment.id),
          body: comment.body,
          is_public: comment.public,
          author: { id: String(comment.author_id), is_staff: author?.role !== 'end-user', name: author?.name ?? '' },
        },
      },
    });
  }
  if (statusChange?.previous) {
    out.push({
      ...base,
      id: randomUUID(),
      type: 'zen:event-type:ticket.status_changed',
      event: { current: statusChange.current.toUpperCase(), previous: statusChange.previous.toUpperCase() },
    });
  }
  return out;
}

/** `X-Zendesk-Webhook-Signature`: base64(HMAC-SHA256(secret, timestamp + raw body)). */
export function zendeskSignature(secret: string, timestamp: string, rawBody: string): string {
  return createHmac('sha256', secret).update(timestamp + rawBody).digest('base64');
}

/** The signed request for one event. */
export function signedWebhook(
  secret: string,
  rawBody: string,
  now: Date,
): { headers: Record<string, string>; body: string } {
  // Zendesk's timestamp is ISO-8601 to the second.
  const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    headers: {
      'x-zendesk-webhook-signature': zendeskSignature(secret, timestamp, rawBody),
      'x-zendesk-webhook-signature-timestamp': timestamp,
      'x-zendesk-webhook-id': 'sim-webhook',
    },
    body: rawBody,
  };
}
