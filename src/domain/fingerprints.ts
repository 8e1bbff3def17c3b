/**
 * A short summary of what a side looks like. Two reads with the same fingerprint saw the same
 * ticket, so the reconciler can compare a fresh read with the workflow's last one (published in
 * its memo) without disturbing the workflow or adding to its history.
 */
import { compareComments } from './comments';
import { textDigest } from './digest';
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

/** Both sides' fingerprints as a workflow last saw them; null: not seen yet. */
export interface SeenFingerprints {
  source: string | null;
  crm: string | null;
}

/**
 * The `TicketFingerprints` search attribute's value (sync rules 1.6): a digest of each side's
 * fingerprint, `s:<digest> c:<digest>`. A search attribute is not encrypted and a Keyword holds
 * 255 characters in SQL visibility, while a fingerprint may name an assignee and has no bound:
 * the digest is short, fixed in size and says nothing. The reconciler only asks "the same?", and
 * takes the digest of its fresh read to compare (`fingerprintDigest`).
 */
export function fingerprintsKeyword(seen: SeenFingerprints): string {
  return `s:${fingerprintDigest(seen.source)} c:${fingerprintDigest(seen.crm)}`;
}

/** The digests a `fingerprintsKeyword` value holds; null for a value it did not write. */
export function parseFingerprintsKeyword(value: string): SeenFingerprints | null {
  const match = /^s:(\S+) c:(\S+)$/.exec(value);
  return match ? { source: match[1]!, crm: match[2]! } : null;
}

/** `-` for a side not seen yet (never a digest: those hold a colon). */
export function fingerprintDigest(fingerprint: string | null): string {
  return fingerprint === null ? '-' : textDigest(fingerprint);
}
