import type { CrmComment, CrmTicket } from '../../domain/ticket';
import { compareComments as byCreatedThenId } from '../../domain/comments';
import type { ZendeskComment, ZendeskTicket } from './schemas';

export function toCrmComment(c: ZendeskComment): CrmComment {
  return { id: c.id, authorId: c.author_id, body: c.body, public: c.public, createdAt: c.created_at };
}

/** Zendesk → canonical; ids as strings, comments oldest first. */
export function toCrmTicket(t: ZendeskTicket, comments: readonly CrmComment[]): CrmTicket {
  return {
    id: t.id,
    status: t.status,
    externalId: t.external_id ?? null,
    requesterId: t.requester_id,
    assigneeId: t.assignee_id ?? null,
    updatedAt: t.updated_at ?? null,
    comments: [...comments].sort(byCreatedThenId),
  };
}
