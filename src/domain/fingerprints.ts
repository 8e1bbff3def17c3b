/**
 * A short summary of what a side looks like. Two reads with the same fingerprint saw the same
 * ticket, so the reconciler can compare a fresh read with the workflow's last one (published in
 * its memo) without disturbing the workflow or adding to its history.
 */
import { compareComments } from './comments';
import type { CrmTicket, SourceTicket } from './ticket';

function newest(comments: readonly { id: string; createdAt: string }[]): string {
  return comments.reduce<{ id: string; createdAt: string } | null>((a, c) => (a === null || compareComments(c, a) > 0 ? c : a), null)?.id ?? '-';
}

export function sourceFingerprint(ticket: SourceTicket): string {
  return [ticket.status, ticket.comments.length, newest(ticket.comments), ticket.assigneeRef ?? '-'].join('|');
}

/**
 * The CRM's is its status and version (the helpdesk's `updated_at`, which every change moves):
 * known without reading the comments, so many tickets are compared with one batch read where the
 * helpdesk has one.
 */
export function crmFingerprint(ticket: Pick<CrmTicket, 'status' | 'updatedAt'>): string {
  return [ticket.status, ticket.updatedAt ?? '-'].join('|');
}

/** A fingerprint not taken from a read (a write's answer): it never equals a read's, so the reconciler looks. */
export function unverifiedFingerprint(fingerprint: string): string {
  return `${fingerprint}|unverified`;
}
