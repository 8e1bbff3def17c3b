import type { SourceComment, SourceTicket } from '../../domain/ticket';
import type { SourceFields } from '../../ports/ticket-source';
import { compareComments as byCreatedThenId } from '../../domain/comments';
import type { ConnectComment, ConnectTicket } from './schemas';

export function toSourceComment(c: ConnectComment): SourceComment {
  return { id: c.id, author: c.author, body: c.message, createdAt: c.createdAt, attachments: c.attachments };
}

/**
 * Connect → canonical. Connect knows the user only by `userId`: no name, no e-mail (the CRM
 * adapter invents a placeholder name). It has no assignee concept either.
 */
export function toSourceTicket(t: ConnectTicket): SourceTicket {
  return {
    source: 'connect',
    id: t.id,
    status: t.status,
    title: t.title,
    description: t.description,
    requester: { externalId: t.userId ?? null, name: null, email: null },
    assigneeRef: null,
    comments: (t.comments ?? []).map(toSourceComment).sort(byCreatedThenId),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** The fields a mapping may read (`MAPPABLE_FIELDS.connect`); ids, not personal data unless a mapping says so. */
export function toSourceFields(t: ConnectTicket): SourceFields {
  return {
    tenantId: t.tenantId,
    userId: t.userId ?? null,
    houseId: t.houseId ?? null,
    contractId: t.contractId ?? null,
    equipmentId: t.equipmentId ?? null,
    alertId: t.alertId ?? null,
  };
}
