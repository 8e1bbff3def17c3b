/**
 * Which comments are new since the last sync, and which of them are the bridge's own.
 *
 * Each side keeps a cursor: the (createdAt, id) of the last comment processed. Comments after
 * it are new. Comments the bridge wrote itself are remembered by id until the cursor passes
 * them, so they are recognised and never mirrored back (no echoes), and the memory stays small.
 */
import type { CrmComment, SourceComment } from './ticket';

export interface CommentCursor {
  createdAt: string;
  id: string;
}

/** Ids compare numerically when both are numbers (Connect, Zendesk), else as text. */
export function compareIds(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) {
    return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareComments(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  const byTime = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  return byTime !== 0 ? byTime : compareIds(a.id, b.id);
}

function isAfter(comment: { createdAt: string; id: string }, cursor: CommentCursor | null): boolean {
  return cursor === null || compareComments(comment, cursor) > 0;
}

export interface CommentWindow<C> {
  /** New comments, oldest first, minus the bridge's own. */
  fresh: C[];
  /** The cursor after this read: the newest comment seen. */
  cursor: CommentCursor | null;
  /** The bridge's own comment ids still ahead of the cursor. */
  ownIds: string[];
}

function window<C extends { createdAt: string; id: string }>(
  comments: readonly C[],
  cursor: CommentCursor | null,
  ownIds: readonly string[],
  isBridgeWritten: (comment: C) => boolean,
): CommentWindow<C> {
  const unseen = comments.filter((c) => isAfter(c, cursor)).sort(compareComments);
  const own = new Set(ownIds);
  const fresh = unseen.filter((c) => !own.has(c.id) && !isBridgeWritten(c));
  const last = unseen.at(-1);
  const next = last ? { createdAt: last.createdAt, id: last.id } : cursor;
  // Once read, an own comment is behind the cursor and needs no remembering; one written after
  // this read started is not in `comments` yet and stays remembered.
  const present = new Set(comments.map((c) => c.id));
  const remaining = ownIds.filter((id) => !present.has(id));
  return { fresh, cursor: next, ownIds: remaining };
}

/** New source comments to mirror to the CRM: everything but what the bridge posted itself. */
export function newSourceComments(
  comments: readonly SourceComment[],
  cursor: CommentCursor | null,
  ownIds: readonly string[],
): CommentWindow<SourceComment> {
  return window(comments, cursor, ownIds, () => false);
}

export interface CrmParticipants {
  requesterId: string;
  /** null: replies by the bridge's API user are an agent's like any other (its own writes are known by id). */
  bridgeUserId: string | null;
}

/**
 * New agent replies to send to the source: public comments by someone other than the requester
 * (the user's own messages, which came from the source) and the bridge. Internal notes never leave.
 */
export function newAgentReplies(
  comments: readonly CrmComment[],
  cursor: CommentCursor | null,
  ownIds: readonly string[],
  participants: CrmParticipants,
): CommentWindow<CrmComment> {
  const result = window(
    comments,
    cursor,
    ownIds,
    (c) => c.authorId === participants.requesterId || c.authorId === participants.bridgeUserId,
  );
  return { ...result, fresh: result.fresh.filter((c) => c.public) };
}

/** Keep a remembered-id list bounded: the newest `max` entries. */
export function boundedIds(ids: readonly string[], max: number): string[] {
  return ids.length <= max ? [...ids] : ids.slice(ids.length - max);
}
