import type { CrmComment, CrmTicket } from '../../domain/ticket';
import { compareComments as byCreatedThenId } from '../../domain/comments';
import { zendeskAttachmentsOf } from './attachments';
import type { ZendeskComment, ZendeskTicket } from './schemas';

/** A comment's files ride along only when it has some (most have none: nothing extra in history). */
export function toCrmComment(c: ZendeskComment): CrmComment {
  const attachments = zendeskAttachmentsOf(c.attachments ?? []);
  return {
    id: c.id,
    authorId: c.author_id,
    body: c.body,
    public: c.public,
    createdAt: c.created_at,
    ...(attachments.length > 0 && { attachments }),
  };
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
