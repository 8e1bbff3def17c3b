/**
 * Comment creation is not idempotent on either side (Connect, Zendesk), so a retried write first
 * looks for a copy of itself that already landed — e.g. when the first attempt's response was
 * lost after the remote had stored the comment. Shared by both adapters.
 */

export interface DedupeWindow {
  /** Only comments after this one can be the write we are retrying. */
  afterCommentId: string | null;
  /** Comments the caller already knows it wrote: never mistaken for this one. */
  excludeIds: readonly string[];
}

/** Order ids numerically when both are integers (Connect, Zendesk ids), else as plain strings. */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const [x, y] = [BigInt(a), BigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The oldest comment in the window for which `isSame` holds, if any. */
export function findLandedComment<C extends { id: string }>(
  comments: readonly C[],
  isSame: (comment: C) => boolean,
  window: DedupeWindow,
): C | undefined {
  const excluded = new Set(window.excludeIds);
  return [...comments]
    .sort((a, b) => compareIds(a.id, b.id))
    .find(
      (c) =>
        (window.afterCommentId === null || compareIds(c.id, window.afterCommentId) > 0) &&
        !excluded.has(c.id) &&
        isSame(c),
    );
}

/** Remotes may normalise line endings and trailing space; the text is what must match. */
export function sameText(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n?/g, '\n').trim();
  return norm(a) === norm(b);
}

/** Sort by (createdAt, numeric id): the canonical comment order. */
export function byCreatedThenId<C extends { id: string; createdAt: string }>(a: C, b: C): number {
  const t = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  return t !== 0 ? t : compareIds(a.id, b.id);
}
