import { z } from 'zod';
import { TICKET_STATUSES } from '../../domain/ticket';
import { integerId, isoDateTime, textId } from '../schema-helpers';

/** Connect API `Comment` (connect-tickets-api.md). Unknown fields are ignored. */
export const connectCommentSchema = z.object({
  id: integerId,
  ticketId: textId,
  message: z.string(),
  author: z.enum(['USER', 'SUPPORT']),
  attachments: z.array(z.string()).default([]),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

/** Connect API `Ticket`. Optional references may also come back as null. */
export const connectTicketSchema = z.object({
  id: textId,
  tenantId: textId,
  status: z.enum(TICKET_STATUSES),
  title: z.string(),
  description: z.string(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  userId: textId.nullish(),
  houseId: textId.nullish(),
  contractId: textId.nullish(),
  equipmentId: textId.nullish(),
  alertId: textId.nullish(),
  comments: z.array(connectCommentSchema).nullish(),
});

export type ConnectTicket = z.output<typeof connectTicketSchema>;
export type ConnectComment = z.output<typeof connectCommentSchema>;
