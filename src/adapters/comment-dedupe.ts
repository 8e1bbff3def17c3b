/**
 * Comment creation is not idempotent on either side (Connect, Zendesk), so a retried write first
 * looks for a copy of itself that already landed — e.g. when the first attempt's response was
 * lost after the remote had stored the comment. Shared by both adapters.
 */
import { messageOf } from '../domain/attachments';
import { compareComments } from '../domain/comments';
import type { SourceTicket } from '../domain/ticket';
import { IntegrationError } from '../ports/errors';

export interface DedupeWindow {
  /** Only comments after this one can be the write we are retrying. */
  afterCommentId: string | null;
  /** Comments the caller already knows it wrote: never mistaken for this one. */
  excludeIds: readonly string[];
}

/**
 * The oldest comment after the cursor comment (in the canonical (createdAt, id) order, which works
 * for numeric ids and random UUIDs alike) for which `isSame` holds. Without a cursor, or with one
 * the remote no longer lists, every comment is a candidate.
 */
export function findLandedComment<C extends { id: string; createdAt: string }>(
  comments: readonly C[],
  isSame: (comment: C) => boolean,
  window: DedupeWindow,
): C | undefined {
  const excluded = new Set(window.excludeIds);
  const cursor = window.afterCommentId === null ? undefined : comments.find((c) => c.id === window.afterCommentId);
  return [...comments]
    .sort(compareComments)
    .find((c) => (cursor === undefined || compareComments(c, cursor) > 0) && !excluded.has(c.id) && isSame(c));
}

/** Remotes may normalise line endings and trailing space; the text is what must match. */
export function sameText(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n?/g, '\n').trim();
  return norm(a) === norm(b);
}

/**
 * The same text, or, with `byMessage` (a comment with files), the same message whatever lines
 * about its files either carries (`messageOf`).
 */
export function sameBody(a: string, b: string, byMessage = false): boolean {
  return sameText(a, b) || (byMessage && messageOf(a) === messageOf(b));
}

/**
 * A source's `postSupportComment`, done at most once: with `dedupe.check` (a retried attempt) it
 * first reads the ticket back and returns a SUPPORT comment with the same text after the cursor.
 * Only the integrator writes SUPPORT comments, so the same text in the window is our own.
 */
export async function postSupportCommentOnce(
  source: { service: string; fetchTicket(): Promise<SourceTicket | null>; post(): Promise<string> },
  body: string,
  dedupe: { check: boolean; byMessage?: boolean } & DedupeWindow,
): Promise<{ commentId: string; alreadyPresent: boolean; attachments?: string[] }> {
  if (dedupe.check) {
    const ticket = await source.fetchTicket();
    if (ticket === null) {
      // The ticket vanished between calls: the same failure the write would have produced.
      throw new IntegrationError('not-found', source.service, 'GET /tickets/{id}', `${source.service} GET /tickets/{id}: ticket not found`, 404);
    }
    const landed = findLandedComment(ticket.comments, (c) => c.author === 'SUPPORT' && sameBody(c.body, body, dedupe.byMessage), dedupe);
    if (landed) return { commentId: landed.id, alreadyPresent: true, ...(dedupe.byMessage && { attachments: landed.attachments }) };
  }
  return { commentId: await source.post(), alreadyPresent: false };
}
