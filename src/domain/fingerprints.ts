/**
 * A short summary of what a side looks like: status, how many comments, the newest one. Two
 * reads with the same fingerprint saw the same ticket, so the reconciler can compare a fresh
 * read with the workflow's last one without disturbing (or adding history to) the workflow.
 */
import { compareComments } from './comments';
import type { CrmTicket, SourceTicket } from './ticket';

function newest(comments: readonly { id: string; createdAt: string }[]): string {
  return comments.reduce<{ id: string; createdAt: string } | null>((a, c) => (a === null || compareComments(c, a) > 0 ? c : a), null)?.id ?? '-';
}

export function sourceFingerprint(ticket: SourceTicket): string {
  return [ticket.status, ticket.comments.length, newest(ticket.comments), ticket.assigneeRef ?? '-'].join('|');
}

export function crmFingerprint(ticket: CrmTicket): string {
  return [ticket.status, ticket.comments.length, newest(ticket.comments)].join('|');
}
