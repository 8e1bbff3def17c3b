/**
 * The white-label platform's ticketing events and ticket objects, as documented in
 * `../shared/reference/whitelabel-ticket-events.md` (seed 003). Fields the bridge uses are
 * required with their documented types, so a platform change fails loudly (400 → the platform
 * retries and an operator sees it) instead of producing a wrong ticket. Fields it does not use
 * (`category`, `subcategory`, `language`) are tolerated in any shape: a change in them must
 * not cost an event. Unknown extra fields are ignored.
 */
import { z } from 'zod';

export const WHITELABEL_EVENT_TYPES = [
  'whitelabel_ticket_created',
  'whitelabel_ticket_updated',
  'whitelabel_ticket_assigned',
  'whitelabel_ticket_resolved',
] as const;
export type WhitelabelEventType = (typeof WHITELABEL_EVENT_TYPES)[number];

/** The platform's timestamps: unix seconds. */
const unixSeconds = z
  .number({ error: 'must be a unix timestamp in seconds' })
  .int({ error: 'must be a unix timestamp in seconds' })
  .nonnegative({ error: 'must be a unix timestamp in seconds' });

/**
 * Ticket and teammate ids are documented as UUIDs. Any 8-4-4-4-12 hex is accepted (no version
 * check): the ticket id becomes part of a workflow id and of API paths, which only needs it safe.
 */
const uuid = z.guid({ error: 'must be a UUID' });

const nonEmpty = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });

/** `assets` is documented only as "null or list": strings (URLs) or objects that may carry a `url`. */
export const whitelabelAssetSchema = z.union([z.string(), z.looseObject({ url: z.string().optional() })]);

export const whitelabelReplySchema = z.object({
  id: nonEmpty,
  text: z.string({ error: 'must be a string' }),
  is_client_reply: z.boolean({ error: 'must be a boolean' }),
  created_at: unixSeconds,
  assets: z.array(whitelabelAssetSchema, { error: 'must be null or a list' }).nullish(),
});

export const whitelabelClientSchema = z.object(
  {
    id: nonEmpty,
    name: z.string({ error: 'must be a string or null' }).nullish(),
    email: z.string({ error: 'must be a string or null' }).nullish(),
  },
  { error: 'must be the client object' },
);

export const whitelabelTicketSchema = z.object(
  {
    id: uuid,
    title: z.string({ error: 'must be a string' }),
    is_open: z.boolean({ error: 'must be a boolean' }),
    object: z.literal('ticket', { error: 'must be "ticket"' }),
    created_at: unixSeconds,
    updated_at: unixSeconds,
    client: whitelabelClientSchema,
    teammate_id: uuid.nullable(),
    replies: z.array(whitelabelReplySchema, { error: 'must be a list of replies' }),
    category: z.unknown().optional(),
    subcategory: z.unknown().optional(),
    language: z.unknown().optional(),
  },
  { error: 'must be the ticket object' },
);

/** Event ids end up in the workflow's bounded dedupe memory: keep them short and plain. */
const eventId = z
  .string({ error: 'must be the event id (a string)' })
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, { error: 'must be 1-128 letters, digits, "_", ".", ":" or "-"' });

export const whitelabelEventSchema = z.object(
  {
    event_id: eventId,
    event_type: z.enum(WHITELABEL_EVENT_TYPES, { error: `unknown event type: must be one of ${WHITELABEL_EVENT_TYPES.join(', ')}` }),
    api_version: z.literal(2, { error: 'must be 2 (the API version this bridge understands)' }),
    object: z.literal('event', { error: 'must be "event"' }),
    data: z.object(
      {
        ticket: whitelabelTicketSchema,
        /** `whitelabel_ticket_updated` carries the new reply here; it is also in `ticket.replies`. */
        reply: whitelabelReplySchema.optional(),
      },
      { error: 'must be an object with the ticket' },
    ),
    endpoint_id: nonEmpty,
  },
  { error: 'must be a JSON object (the event envelope)' },
);

export type WhitelabelReply = z.output<typeof whitelabelReplySchema>;
export type WhitelabelTicket = z.output<typeof whitelabelTicketSchema>;
export type WhitelabelEvent = z.output<typeof whitelabelEventSchema>;
