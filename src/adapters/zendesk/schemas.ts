import { z } from 'zod';
import { CRM_STATUSES } from '../../domain/ticket';
import { integerId, isoDateTime } from '../schema-helpers';

/** The subset of Zendesk Support API objects the bridge reads (zendesk-api.md). */

export const zendeskUserSchema = z.object({ id: integerId });

export const zendeskTicketSchema = z.object({
  id: integerId,
  status: z.enum(CRM_STATUSES),
  external_id: z.string().nullish(),
  requester_id: integerId,
  assignee_id: integerId.nullish(),
  /** The ticket's version for conditional writes (`safe_update` + `updated_stamp`). */
  updated_at: z.string().nullish(),
  /** The bridge tags what it creates (`ticket-bridge`): how its own tickets are told from a human's copy. */
  tags: z.array(z.string()).nullish(),
});

export const zendeskCommentSchema = z.object({
  id: integerId,
  author_id: integerId,
  body: z.string(),
  public: z.boolean(),
  created_at: isoDateTime,
  /** Read entry by entry (`zendeskAttachmentsOf`): an entry of an unknown shape is skipped, not fatal. */
  attachments: z.array(z.unknown()).nullish(),
});

export const meResponse = z.object({ user: zendeskUserSchema });
export const ticketResponse = z.object({ ticket: zendeskTicketSchema });
/** Offset pagination: `next_page` is an absolute URL, null on the last page. */
export const ticketsPage = z.object({ tickets: z.array(zendeskTicketSchema), next_page: z.string().nullish() });
export const commentsPage = z.object({ comments: z.array(zendeskCommentSchema), next_page: z.string().nullish() });

/**
 * `POST /tickets.json` answers with the ticket, and (as a PUT does) the audit it created, whose
 * `Comment` event is the description. Read leniently: without a readable audit the adapter lists
 * the comments instead, so an answer of another shape never fails a create that landed.
 */
export const createResponse = z.object({ ticket: zendeskTicketSchema, audit: z.unknown().optional() });

/** The audit of a create, as far as its description goes (`createResponse`). */
export const createAudit = z.object({
  created_at: isoDateTime,
  events: z.array(z.unknown()),
});
/** A `Comment` event of an audit: the comment it created, without its time (the audit's). */
export const auditComment = zendeskCommentSchema.omit({ created_at: true }).extend({ type: z.literal('Comment') });

/** `PUT /tickets/{id}.json` answers with the ticket and the audit it created. */
export const updateResponse = z.object({
  ticket: zendeskTicketSchema,
  audit: z.object({ events: z.array(z.object({ id: integerId, type: z.string() })) }),
});

export type ZendeskTicket = z.output<typeof zendeskTicketSchema>;
export type ZendeskComment = z.output<typeof zendeskCommentSchema>;
