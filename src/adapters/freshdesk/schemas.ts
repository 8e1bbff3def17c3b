import { z } from 'zod';
import { integerId, isoDateTime } from '../schema-helpers';

/**
 * The subset of Freshdesk API v2 objects the bridge reads (freshdesk-api.md, checked against
 * developers.freshdesk.com). Statuses are numbers (2 Open, 3 Pending, 4 Resolved, 5 Closed, and
 * whatever custom statuses an account adds): mapped onto the port's statuses by ./statuses.
 */

export const freshdeskAttachmentSchema = z.object({
  id: integerId,
  name: z.string(),
  content_type: z.string().nullish(),
  size: z.number().int().nonnegative(),
  /** A pre-signed storage URL that expires: never kept, read again when the file is fetched. */
  attachment_url: z.string(),
});

export const freshdeskTicketSchema = z.object({
  id: integerId,
  status: z.number().int(),
  requester_id: integerId,
  responder_id: integerId.nullish(),
  /** One-second resolution: the version the bridge compares before each write. */
  updated_at: z.string(),
  created_at: isoDateTime,
  /** The opening message (HTML and text): Freshdesk keeps it on the ticket, not in the conversations. */
  description_text: z.string().nullish(),
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
  tags: z.array(z.string()).nullish(),
  /** The description's files (on `GET /tickets/{id}`). */
  attachments: z.array(z.unknown()).nullish(),
});

export const freshdeskConversationSchema = z.object({
  id: integerId,
  body_text: z.string().nullish(),
  body: z.string().nullish(),
  /** true: written on the requester's side (a reply by e-mail, or a note with `incoming: true`). */
  incoming: z.boolean().nullish(),
  private: z.boolean(),
  user_id: integerId,
  created_at: isoDateTime,
  attachments: z.array(z.unknown()).nullish(),
});

export const agentSchema = z.object({ id: integerId });
export const ticketList = z.array(freshdeskTicketSchema);
export const conversationList = z.array(freshdeskConversationSchema);
export const searchResults = z.object({ results: ticketList, total: z.number().int().nonnegative().nullish() });

export type FreshdeskTicket = z.output<typeof freshdeskTicketSchema>;
export type FreshdeskConversation = z.output<typeof freshdeskConversationSchema>;
