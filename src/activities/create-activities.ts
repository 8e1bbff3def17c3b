import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { compareComments, newAgentReplies, newSourceComments } from '../domain/comments';
import { crmFingerprint, sourceFingerprint } from '../domain/fingerprints';
import type { SourceKind } from '../domain/ticket';
import type { CrmPort } from '../ports/crm';
import type { TicketSourcePort } from '../ports/ticket-source';
import { mapFailures } from './failures';
import type { CommentDedupe, TicketActivities } from './types';

/** Maps a source's assignee reference to a CRM user id (e.g. `WHITELABEL_ASSIGNEES`). */
export type AssigneeResolver = (assigneeRef: string | null) => { crmAssigneeId: string | null; mapped: boolean };

export interface ActivityDeps {
  /** A source left undefined is not configured in this deployment. */
  sources: Record<SourceKind, TicketSourcePort | undefined>;
  crm: CrmPort;
  /** Per source; a source without one has no assignees to map (Connect). */
  assignees?: Partial<Record<SourceKind, AssigneeResolver>>;
}

const UNMAPPED: AssigneeResolver = (ref) => ({ crmAssigneeId: null, mapped: ref === null });

/**
 * A retried attempt (the previous one failed, timed out, or its worker was killed), or a write
 * the workflow began in an earlier activity (`landedCheck`), may follow a write that landed
 * without us hearing back: only then is the extra read for dedupe worth it.
 */
function dedupeFor({ afterCommentId, excludeIds, landedCheck }: CommentDedupe) {
  return { check: landedCheck === true || Context.current().info.attempt > 1, afterCommentId, excludeIds };
}

export function createActivities({ sources, crm, assignees = {} }: ActivityDeps): TicketActivities {
  const source = (kind: SourceKind): TicketSourcePort => {
    const port = sources[kind];
    // A deployment problem, not a transient one: retrying will not configure the source.
    if (!port) throw ApplicationFailure.nonRetryable(`ticket source '${kind}' is not configured`, 'source-not-configured');
    return port;
  };

  return {
    fetchSourceTicket: ({ source: kind, ticketId }) => mapFailures(() => source(kind).fetchTicket(ticketId)),

    readSourceTicket: ({ source: kind, ticketId, window }) =>
      mapFailures(async () => {
        const ticket = await source(kind).fetchTicket(ticketId);
        if (ticket === null) return null;
        const read = newSourceComments(ticket.comments, window.cursor, window.ownIds, window.maxBytes);
        return {
          ticket: { ...ticket, comments: [] },
          newComments: read.fresh,
          cursor: read.cursor,
          ownIds: read.ownIds,
          more: read.more,
          fingerprint: sourceFingerprint(ticket),
        };
      }),

    postSourceComment: ({ source: kind, ticketId, body, ...dedupe }) =>
      mapFailures(() => source(kind).postSupportComment(ticketId, body, dedupeFor(dedupe))),

    setSourceStatus: ({ source: kind, ticketId, status }) => mapFailures(() => source(kind).setStatus(ticketId, status)),

    // Look up first: the idempotency key only dedupes for 2 hours, the external id forever.
    // Only the first comment (the description) comes back: the workflow needs no more, and a
    // found ticket's whole conversation has no place in history.
    ensureCrmTicket: (ticket) =>
      mapFailures(async () => {
        const found = (await crm.findTicketByExternalId(ticket.externalId)) ?? (await crm.createTicket(ticket));
        return { ...found, comments: [...found.comments].sort(compareComments).slice(0, 1) };
      }),

    fetchCrmTicket: ({ crmTicketId }) => mapFailures(() => crm.getTicket(crmTicketId)),

    readCrmTicket: ({ crmTicketId, window, participants }) =>
      mapFailures(async () => {
        const ticket = await crm.getTicket(crmTicketId);
        if (ticket === null) return null;
        const read = newAgentReplies(ticket.comments, window.cursor, window.ownIds, participants, window.maxBytes);
        return {
          status: ticket.status,
          newAgentReplies: read.fresh,
          cursor: read.cursor,
          ownIds: read.ownIds,
          more: read.more,
          fingerprint: crmFingerprint(ticket),
        };
      }),

    addCrmComment: ({ crmTicketId, body, public: isPublic, author, ...dedupe }) =>
      mapFailures(() => crm.addComment(crmTicketId, { body, public: isPublic, author }, dedupeFor(dedupe))),

    setCrmStatus: ({ crmTicketId, status }) => mapFailures(() => crm.setStatus(crmTicketId, status)),

    assignCrmTicket: ({ crmTicketId, source: kind, assigneeRef }) =>
      mapFailures(async () => {
        const resolution = (assignees[kind] ?? UNMAPPED)(assigneeRef);
        await crm.setAssignee(crmTicketId, resolution.crmAssigneeId);
        return resolution;
      }),

    crmBridgeUserId: () => mapFailures(() => crm.bridgeUserId()),
  };
}
