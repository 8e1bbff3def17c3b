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

/** Ids compare numerically when both are numbers (Connect, the helpdesks), else as text. */
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
  /** The byte budget cut the window short: more new comments follow the cursor. */
  more: boolean;
  /** What the next read re-scans behind the cursor (see `RecentComments`). */
  recent: RecentComments | null;
}

/**
 * The comments just behind the cursor, by id: a comment can become visible after a newer one
 * (a photo that commits after a quick text), so each read also looks behind the cursor, back to
 * `since`, for comments it has not seen. Every comment at or after `since` and not after the
 * cursor is in `ids`, so nothing seen is taken as new again.
 */
export interface RecentComments {
  since: string;
  ids: string[];
}

/** How far behind the cursor each read looks for comments that became visible late. */
export const LOOKBACK_MS = 5 * 60_000;
/** Ids `RecentComments` keeps at most: beyond it `since` moves up (the look-back shortens, never lies). */
export const MAX_RECENT_IDS = 200;

/**
 * Bytes of comment text a window may carry (`maxBytes`), so that a read's result stays far
 * below Temporal's 2 MB payload limit however long the conversation: a longer one is read in
 * several windows. A single comment larger than the budget travels as its first
 * `PREVIEW_BYTES` (`truncated`): the write that mirrors it reads the whole text itself, so no
 * history record ever carries it.
 */
export const UNBOUNDED = Number.POSITIVE_INFINITY;

/** What stays of a text over its budget: enough for a timeline, a digest, a person's glance. */
export const PREVIEW_BYTES = 16 * 1024;

/** `text` if it fits in `maxBytes`, else its first `PREVIEW_BYTES` (whole characters), marked truncated. */
export function inlineText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (utf8Length(text) <= maxBytes) return { text, truncated: false };
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code <= 0xdbff ? 4 : 3;
    if (bytes + width > PREVIEW_BYTES) break;
    bytes += width;
    end += width === 4 ? 2 : 1;
  }
  return { text: text.slice(0, end), truncated: true };
}

function window<C extends { createdAt: string; id: string; body: string }>(
  comments: readonly C[],
  cursor: CommentCursor | null,
  ownIds: readonly string[],
  isMirrored: (comment: C) => boolean,
  maxBytes: number,
  recent: RecentComments | null,
): CommentWindow<C> {
  // Behind the cursor but unseen (visible late): first, oldest first; then what is after it.
  const known = new Set(recent?.ids ?? []);
  const since = recent ? Date.parse(recent.since) : Number.POSITIVE_INFINITY;
  const late = comments.filter((c) => !isAfter(c, cursor) && Date.parse(c.createdAt) >= since && !known.has(c.id)).sort(compareComments);
  const unseen = [...late, ...comments.filter((c) => isAfter(c, cursor)).sort(compareComments)];
  const own = new Set(ownIds);
  const fresh: C[] = [];
  let bytes = 0;
  let consumed = 0;
  for (const comment of unseen) {
    if (!own.has(comment.id) && isMirrored(comment)) {
      const inline = inlineText(comment.body, maxBytes);
      const kept = inline.truncated ? { ...comment, body: inline.text, truncated: true } : comment;
      const size = utf8Length(kept.body);
      if (fresh.length > 0 && bytes + size > maxBytes) break;
      bytes += size;
      fresh.push(kept);
    }
    consumed++;
  }
  const more = consumed < unseen.length;
  const last = unseen[consumed - 1];
  // A late comment is behind the cursor: it never moves the cursor back.
  const next = last && isAfter(last, cursor) ? { createdAt: last.createdAt, id: last.id } : cursor;
  // Once read, an own comment is behind the cursor and needs no remembering; one written after
  // this read started is not in `comments` yet and stays remembered, and so does one beyond a
  // window the budget cut short.
  const passed = more ? new Set(unseen.slice(0, consumed).map((c) => c.id)) : new Set(comments.map((c) => c.id));
  const remaining = ownIds.filter((id) => !passed.has(id));
  return { fresh, cursor: next, ownIds: remaining, more, recent: recentBehind(comments, next, new Set(unseen.slice(consumed).map((c) => c.id))) };
}

/** Every comment from `LOOKBACK_MS` behind `cursor` up to it, minus those still to be read. */
function recentBehind(comments: readonly { createdAt: string; id: string }[], cursor: CommentCursor | null, pending: Set<string>): RecentComments | null {
  if (cursor === null) return null;
  let since = Date.parse(cursor.createdAt) - LOOKBACK_MS;
  let behind = comments
    .filter((c) => !isAfter(c, cursor) && Date.parse(c.createdAt) >= since && !pending.has(c.id))
    .sort(compareComments);
  if (behind.length > MAX_RECENT_IDS) {
    // Too many to remember: look back less far, to just after the newest comment left out.
    const dropped = behind[behind.length - MAX_RECENT_IDS - 1]!;
    since = Date.parse(dropped.createdAt) + 1;
    behind = behind.filter((c) => Date.parse(c.createdAt) >= since);
  }
  return { since: new Date(since).toISOString(), ids: behind.map((c) => c.id) };
}

/** UTF-8 length without Buffer (this module also runs in the workflow sandbox). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4; // a surrogate pair: one 4-byte character
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** New source comments to mirror to the CRM: everything but what the bridge posted itself. */
export function newSourceComments(
  comments: readonly SourceComment[],
  cursor: CommentCursor | null,
  ownIds: readonly string[],
  maxBytes: number = UNBOUNDED,
  recent: RecentComments | null = null,
): CommentWindow<SourceComment> {
  return window(comments, cursor, ownIds, () => true, maxBytes, recent);
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
  maxBytes: number = UNBOUNDED,
  recent: RecentComments | null = null,
): CommentWindow<CrmComment> {
  return window(
    comments,
    cursor,
    ownIds,
    (c) => c.public && c.authorId !== participants.requesterId && c.authorId !== participants.bridgeUserId,
    maxBytes,
    recent,
  );
}

/** Keep a remembered-id list bounded: the newest `max` entries. */
export function boundedIds(ids: readonly string[], max: number): string[] {
  return ids.length <= max ? [...ids] : ids.slice(ids.length - max);
}
