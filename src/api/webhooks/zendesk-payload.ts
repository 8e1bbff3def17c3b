/**
 * The two payloads Zendesk can send to `POST /webhooks/zendesk`. Either way it is a notification
 * only: the workflow reads the ticket and its comments back from Zendesk.
 *
 * 1. Event subscription (webhook subscribed to `zen:event-type:ticket.*` events), fixed shape:
 *    `{ "type": "zen:event-type:ticket.comment_added", "id": "<event id>",
 *       "subject": "zen:ticket:35436", "detail": { "id": "35436", "external_id": "connect:42", ... } }`
 *    Non-ticket events (users, organizations, ...) are accepted and ignored.
 *
 * 2. Trigger or automation webhook, whose body the Zendesk admin defines. Use exactly:
 *    `{ "ticket_id": "{{ticket.id}}", "external_id": "{{ticket.external_id}}" }`
 *    Placeholders render as strings, and an unset external id renders as "" (read as none).
 *    `external_id` is optional but recommended: without it the workflow is found through
 *    Temporal visibility, which lags a few seconds behind a newly created ticket.
 */
import { z } from 'zod';
import type { CrmChange } from '../../workflows/definitions';

const crmTicketId = z
  .union([z.string().trim(), z.number().int().positive()], { error: 'must be a Zendesk ticket id' })
  .transform(String)
  .pipe(z.string().regex(/^\d{1,20}$/, { error: 'must be a Zendesk ticket id (digits)' }));

const externalId = z
  .string({ error: 'must be a string' })
  .max(255, { error: 'must be at most 255 characters' })
  .nullish()
  .transform((v) => (v ? v : null));

/**
 * What the event says the ticket looks like after the change: its version and status, and the
 * comment it added. The workflow compares them with what it knows it wrote (see
 * `CrmChange`). Optional and lenient: an event without them is news like a trigger's.
 */
const updatedAt = z.string().max(40).refine((v) => !Number.isNaN(Date.parse(v))).nullish().catch(null);
const status = z.string().max(40).transform((v) => v.toLowerCase()).nullish().catch(null);
const commentEvent = z
  .object({ comment: z.object({ id: z.union([z.string().max(40), z.number()]).transform(String) }) })
  .nullish()
  .catch(null);

const eventPayload = z.object({
  type: z.string(),
  id: z.string({ error: 'must be the event id' }).min(1).max(200),
  detail: z.object({ id: crmTicketId, external_id: externalId, updated_at: updatedAt, status }, { error: 'must be the ticket object' }),
  event: commentEvent,
});

const triggerPayload = z.object(
  { ticket_id: crmTicketId, external_id: externalId },
  { error: 'must be a JSON object with ticket_id' },
);

/** Both accepted bodies, for the OpenAPI document (parsing goes through `parseZendeskPayload`). */
export const zendeskWebhookBody = z.union([eventPayload, triggerPayload]);

export interface ZendeskTicketNotice {
  crmTicketId: string;
  externalId: string | null;
  /** The event id (event subscriptions); null for triggers. */
  eventId: string | null;
  /** Event subscriptions: the ticket after the change (null for triggers, or when the event lacks it). */
  change: CrmChange | null;
}

export type ParsedZendeskPayload =
  | { ok: true; ticket: ZendeskTicketNotice }
  /** A valid event that is not about a ticket. */
  | { ok: true; ticket: null }
  | { ok: false; error: z.ZodError };

const EVENT_PREFIX = 'zen:event-type:';
const TICKET_EVENT_PREFIX = 'zen:event-type:ticket.';
const COMMENT_ADDED = 'zen:event-type:ticket.comment_added';

export function parseZendeskPayload(json: unknown): ParsedZendeskPayload {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && type.startsWith(EVENT_PREFIX)) {
    if (!type.startsWith(TICKET_EVENT_PREFIX)) return { ok: true, ticket: null };
    const event = eventPayload.safeParse(json);
    if (!event.success) return { ok: false, error: event.error };
    const { id, detail } = event.data;
    const change: CrmChange | null =
      detail.updated_at && detail.status
        ? { updatedAt: detail.updated_at, status: detail.status, commentId: type === COMMENT_ADDED ? (event.data.event?.comment.id ?? null) : null }
        : null;
    return { ok: true, ticket: { crmTicketId: detail.id, externalId: detail.external_id, eventId: id, change } };
  }
  const trigger = triggerPayload.safeParse(json);
  if (!trigger.success) return { ok: false, error: trigger.error };
  return {
    ok: true,
    ticket: { crmTicketId: trigger.data.ticket_id, externalId: trigger.data.external_id, eventId: null, change: null },
  };
}
