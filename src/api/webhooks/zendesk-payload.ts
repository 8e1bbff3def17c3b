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

const crmTicketId = z
  .union([z.string().trim(), z.number().int().positive()], { error: 'must be a Zendesk ticket id' })
  .transform(String)
  .pipe(z.string().regex(/^\d{1,20}$/, { error: 'must be a Zendesk ticket id (digits)' }));

const externalId = z
  .string({ error: 'must be a string' })
  .max(255, { error: 'must be at most 255 characters' })
  .nullish()
  .transform((v) => (v ? v : null));

/** Who made the change (absent: unknown), and through which channel (`web_service`: the API). */
const actorId = z
  .union([z.string(), z.number()])
  .transform(String)
  .nullish()
  .transform((v) => v ?? null)
  .catch(null);
const via = z
  .object({ channel: z.string().max(100) })
  .nullish()
  .transform((v) => v?.channel ?? null)
  .catch(null);

const eventPayload = z.object({
  type: z.string(),
  id: z.string({ error: 'must be the event id' }).min(1).max(200),
  detail: z.object({ id: crmTicketId, external_id: externalId, actor_id: actorId, via }, { error: 'must be the ticket object' }),
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
  /** Event subscriptions: the user whose change this is, and its channel (`web_service` for the API). */
  actorId: string | null;
  channel: string | null;
}

export type ParsedZendeskPayload =
  | { ok: true; ticket: ZendeskTicketNotice }
  /** A valid event that is not about a ticket. */
  | { ok: true; ticket: null }
  | { ok: false; error: z.ZodError };

const EVENT_PREFIX = 'zen:event-type:';
const TICKET_EVENT_PREFIX = 'zen:event-type:ticket.';

export function parseZendeskPayload(json: unknown): ParsedZendeskPayload {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && type.startsWith(EVENT_PREFIX)) {
    if (!type.startsWith(TICKET_EVENT_PREFIX)) return { ok: true, ticket: null };
    const event = eventPayload.safeParse(json);
    if (!event.success) return { ok: false, error: event.error };
    const { id, detail } = event.data;
    return {
      ok: true,
      ticket: { crmTicketId: detail.id, externalId: detail.external_id, eventId: id, actorId: detail.actor_id, channel: detail.via },
    };
  }
  const trigger = triggerPayload.safeParse(json);
  if (!trigger.success) return { ok: false, error: trigger.error };
  return {
    ok: true,
    ticket: { crmTicketId: trigger.data.ticket_id, externalId: trigger.data.external_id, eventId: null, actorId: null, channel: null },
  };
}
