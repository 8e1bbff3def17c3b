/**
 * Adopting an existing CRM ticket: what had already been mirrored, recovered from the two
 * conversations alone.
 *
 * A ticket workflow that starts with empty memory (after a failed or terminated run, or once the
 * namespace's retention dropped the old one) finds its CRM ticket already there. Without its
 * comment cursors it would mirror every comment again, both ways. `recoverMirror` reads the WHOLE
 * conversation on both sides and rebuilds the cursors and own-id lists the memory would have had,
 * so that the ordinary windows (`newSourceComments`, `newAgentReplies`) return exactly what is
 * still missing on the other side.
 *
 * Pairs: a copy is recognised by its text, written the way the sync writes it (`./messages`), and
 * compared like the adapters compare a landed write (line endings and surrounding blanks ignored):
 *   1. a source USER comment ↔ a public CRM comment by the requester, text
 *      `crmBodyForUserComment(user comment)`: mirrored to the CRM; the CRM comment is the bridge's;
 *   2. a source SUPPORT comment ↔ a CRM internal note, text `crmBodyForSupportNote(support comment)`:
 *      a support note mirrored to the CRM; the note is the bridge's;
 *   3. a public CRM comment by anyone but the requester (an agent reply) ↔ a source SUPPORT comment,
 *      text `sourceBodyForAgentReply(reply)`: mirrored to the source; the SUPPORT comment is the bridge's.
 * Every comment takes part in at most one pair (multiset matching), in order: per text, the n-th
 * original pairs with the n-th copy not older than it, so of two identical "thanks" only the first
 * counts as mirrored when one copy exists. A copy is never older than its original — but the two
 * sides' clocks differ (and a platform may keep whole seconds), so a copy may look up to
 * `clockSkewMs` older. Support notes (2) are paired before agent-reply copies (3): a note proves
 * its SUPPORT original exists, while a SUPPORT comment claimed by mistake as an agent reply's copy
 * would keep that reply from ever reaching the user.
 *
 * Cursors (a cursor is the (createdAt, id) of the last comment processed):
 *   - source: the last comment such that it and every comment before it are accounted for
 *     (mirrored to the CRM, or the bridge's copy of an agent reply); null when the first is not.
 *     Everything after the first comment not accounted for is read by the next sync. Every
 *     comment is news on this side (`newSourceComments` mirrors all but the bridge's own).
 *   - CRM: the same, where the first CRM comment (the ticket's description) is always accounted
 *     for, and so is every comment the sync never mirrors: internal notes (an agent's own, the
 *     bridge's notices, copies of support notes) and the requester's public comments. Only an
 *     agent reply with no copy in the source stops the cursor.
 * Own ids (the ids still AHEAD of the cursor that the windows must pass over): the bridge's copies
 * on that side, and — past a gap — the comments already mirrored to the other side, so that a
 * comment that found its copy is never sent twice even when an earlier one did not. Oldest first,
 * bounded like the memory's lists (`maxOwnIds`, the newest kept).
 *
 * Pure: no I/O, no clock, deterministic; safe to import from workflow code.
 */
import { boundedIds, compareComments, type CommentCursor } from './comments';
import { messageOf, mirroredBody } from './attachments';
import { crmBodyForSupportNote, crmBodyForUserComment, sourceBodyForAgentReply } from './messages';
import type { CrmComment, SourceComment } from './ticket';

/** What one side's comment memory would have been. */
export interface MirrorSide {
  cursor: CommentCursor | null;
  ownIds: string[];
}

export interface AdoptedMirror {
  sourceComments: MirrorSide;
  crmComments: MirrorSide;
  /** Counts for the timeline: how many comments were found already mirrored each way. */
  mirrored: { toCrm: number; toSource: number };
}

export interface RecoverMirrorInput {
  /** Every comment of the source ticket (any order). */
  sourceComments: readonly SourceComment[];
  /** Every comment of the CRM ticket, the description included (any order). */
  crmComments: readonly CrmComment[];
  /** The CRM ticket's requester: their public comments are the user's, not agent replies. */
  requesterId: string;
}

export interface RecoverMirrorOptions {
  /** Most ids kept per own-id list (the workflow memory's bound, `MEMORY_BOUNDS.ownIds`). Default 100. */
  maxOwnIds?: number;
  /** How much older than its original a copy may look, the two sides' clocks being apart. Default 60 s. */
  clockSkewMs?: number;
}

export const ADOPTION_DEFAULTS = { maxOwnIds: 100, clockSkewMs: 60_000 } as const;

export function recoverMirror(input: RecoverMirrorInput, options: RecoverMirrorOptions = {}): AdoptedMirror {
  const maxOwnIds = options.maxOwnIds ?? ADOPTION_DEFAULTS.maxOwnIds;
  const skewMs = options.clockSkewMs ?? ADOPTION_DEFAULTS.clockSkewMs;
  const { requesterId } = input;

  const source = [...input.sourceComments].sort(compareComments);
  const crm = [...input.crmComments].sort(compareComments);
  // The description opens the CRM ticket: never a copy, never news.
  const description = crm[0];
  const crmRest = crm.slice(1);
  const isAgentReply = (c: CrmComment) => c.public && c.authorId !== requesterId;

  /** Source comments whose copy is in the CRM (pairs 1, 2). */
  const mirroredToCrm = new Set<SourceComment>();
  /** Source SUPPORT comments that are the bridge's copies of agent replies (pair 3). */
  const sourceCopies = new Set<SourceComment>();
  /** CRM comments the bridge wrote: copies of user comments and support notes (pairs 1, 2). */
  const crmCopies = new Set<CrmComment>();
  /** Agent replies whose copy is in the source (pair 3). */
  const mirroredToSource = new Set<CrmComment>();

  const userComments = source.filter((c) => c.author === 'USER');
  const supportComments = source.filter((c) => c.author === 'SUPPORT');

  // 1. The user's comments and their copies by the requester.
  // Compared as messages (`messageOf`): a copy carries its files as pasted URLs (sync v2), or
  // attached, with a line for each that did not travel (v3). A copy of a comment with files
  // carries some trace of them; the same words without any are not the copy (the files never
  // reached the CRM).
  const requesterComments = crmRest.filter((c) => c.public && c.authorId === requesterId);
  const userKey = (c: SourceComment) => withFiles(mirroredBody(crmBodyForUserComment(c, true), c.attachments.length, []), c.attachments.length > 0);
  for (const [original, copy] of pairInOrder(userComments, userKey, requesterComments, copyKey, skewMs)) {
    mirroredToCrm.add(original);
    crmCopies.add(copy);
  }
  // 2. Support notes written in the app and their internal-note copies.
  const internalNotes = crmRest.filter((c) => !c.public);
  const noteKey = (c: SourceComment) => withFiles(crmBodyForSupportNote(c, true), c.attachments.length > 0);
  for (const [original, copy] of pairInOrder(supportComments, noteKey, internalNotes, copyKey, skewMs)) {
    mirroredToCrm.add(original);
    crmCopies.add(copy);
  }
  // 3. Agent replies and their SUPPORT copies, among the SUPPORT comments not already originals.
  const agentReplies = crmRest.filter(isAgentReply);
  const candidates = supportComments.filter((c) => !mirroredToCrm.has(c));
  // By message alone: sync v2 mirrored an agent's reply without its files.
  const replyText = (c: { body: string }) => messageOf(c.body);
  for (const [original, copy] of pairInOrder(agentReplies, (c) => replyText({ body: sourceBodyForAgentReply(c) }), candidates, replyText, skewMs)) {
    mirroredToSource.add(original);
    sourceCopies.add(copy);
  }

  const sourceSettled = (c: SourceComment) => mirroredToCrm.has(c) || sourceCopies.has(c);
  const crmNotNews = (c: CrmComment) => c === description || !isAgentReply(c);
  return {
    sourceComments: side(source, sourceSettled, sourceSettled, maxOwnIds),
    crmComments: side(
      crm,
      (c) => crmNotNews(c) || mirroredToSource.has(c),
      (c) => crmCopies.has(c) || mirroredToSource.has(c),
      maxOwnIds,
    ),
    mirrored: { toCrm: mirroredToCrm.size, toSource: mirroredToSource.size },
  };
}

/**
 * One side's cursor and own ids. `settled`: needs nothing more from the sync (the cursor may pass
 * it); `own`: must be passed over by the window once it is ahead of the cursor.
 */
function side<C extends { id: string; createdAt: string }>(
  sorted: readonly C[],
  settled: (c: C) => boolean,
  own: (c: C) => boolean,
  maxOwnIds: number,
): MirrorSide {
  const gap = sorted.findIndex((c) => !settled(c));
  const end = gap < 0 ? sorted.length : gap;
  const last = end > 0 ? sorted[end - 1] : undefined;
  const ahead = sorted.slice(end).filter(own);
  return {
    cursor: last ? { createdAt: last.createdAt, id: last.id } : null,
    ownIds: boundedIds(ahead.map((c) => c.id), maxOwnIds),
  };
}

/**
 * Originals paired with their copies, both oldest first: per text, each original takes the oldest
 * copy not yet taken that is no older than the original (less `skewMs`). As originals of one text
 * come in time order, a copy too old for one is too old for every later one: greedy is maximal.
 */
function pairInOrder<O extends { createdAt: string }, C extends { createdAt: string }>(
  originals: readonly O[],
  originalText: (o: O) => string,
  copies: readonly C[],
  copyText: (c: C) => string,
  skewMs: number,
): Array<[O, C]> {
  const byText = new Map<string, { queue: C[]; next: number }>();
  for (const copy of copies) {
    const key = normalisedText(copyText(copy));
    const entry = byText.get(key);
    if (entry) entry.queue.push(copy);
    else byText.set(key, { queue: [copy], next: 0 });
  }
  const pairs: Array<[O, C]> = [];
  for (const original of originals) {
    const entry = byText.get(normalisedText(originalText(original)));
    if (!entry) continue;
    const earliest = Date.parse(original.createdAt) - skewMs;
    while (entry.next < entry.queue.length && Date.parse(entry.queue[entry.next].createdAt) < earliest) entry.next++;
    if (entry.next < entry.queue.length) pairs.push([original, entry.queue[entry.next++]]);
  }
  return pairs;
}

/** The comparison the adapters use for a landed write (`sameText`): line endings and surrounding blanks ignored. */
function normalisedText(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}

/** A pairing key: the message, and whether files went with it. */
function withFiles(text: string, files: boolean): string {
  return `${messageOf(text)}${files ? '\u0000files' : ''}`;
}

/** A CRM copy's key: its message, and whether it shows any trace of files (attached, pasted, or lines). */
function copyKey(copy: CrmComment): string {
  const traces = (copy.attachments?.length ?? 0) > 0 || messageOf(copy.body) !== normalisedText(copy.body);
  return withFiles(copy.body, traces);
}
