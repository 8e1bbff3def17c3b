import { boundedIds, compareIds, inlineText, LOOKBACK_MS, MAX_RECENT_IDS, newAgentReplies, newSourceComments, PREVIEW_BYTES, UNBOUNDED } from '../../src/domain/comments';
import type { CrmComment, SourceComment } from '../../src/domain/ticket';

const source = (id: string, at: number, author: 'USER' | 'SUPPORT' = 'USER'): SourceComment => ({
  id,
  author,
  body: `body ${id}`,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, at)).toISOString(),
  attachments: [],
});
const crm = (id: string, at: number, authorId: string, isPublic = true): CrmComment => ({
  id,
  authorId,
  body: `body ${id}`,
  public: isPublic,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, at)).toISOString(),
});
const people = { requesterId: 'requester', bridgeUserId: 'bridge' };

describe('comment cursors', () => {
  test('numeric ids compare as numbers, others as text', () => {
    expect(compareIds('9', '10')).toBeLessThan(0);
    expect(compareIds('10', '9')).toBeGreaterThan(0);
    expect(compareIds('b', 'a')).toBeGreaterThan(0);
    expect(compareIds('7', '7')).toBe(0);
  });

  test('first read: every comment is new, oldest first, and the cursor is the newest', () => {
    const w = newSourceComments([source('2', 2), source('1', 1)], null, []);
    expect(w.fresh.map((c) => c.id)).toEqual(['1', '2']);
    expect(w.cursor).toEqual({ id: '2', createdAt: source('2', 2).createdAt });
  });

  test('a second read returns only what came after the cursor', () => {
    const first = newSourceComments([source('1', 1)], null, []);
    const second = newSourceComments([source('1', 1), source('2', 2)], first.cursor, []);
    expect(second.fresh.map((c) => c.id)).toEqual(['2']);
  });

  test('a read with nothing new keeps the cursor', () => {
    const first = newSourceComments([source('1', 1)], null, []);
    expect(newSourceComments([source('1', 1)], first.cursor, [])).toMatchObject({ fresh: [], cursor: first.cursor, ownIds: [], more: false });
  });

  test('same timestamp: the id breaks the tie', () => {
    const first = newSourceComments([source('9', 1)], null, []);
    expect(newSourceComments([source('9', 1), source('10', 1)], first.cursor, []).fresh.map((c) => c.id)).toEqual(['10']);
  });

  test("the bridge's own comments are skipped once, then forgotten", () => {
    const w = newSourceComments([source('1', 1), source('2', 2, 'SUPPORT')], null, ['2', '3']);
    expect(w.fresh.map((c) => c.id)).toEqual(['1']);
    // '3' was written after this read started: still remembered; '2' is behind the cursor now.
    expect(w.ownIds).toEqual(['3']);
  });

  test('agent replies: public comments by neither the requester nor the bridge', () => {
    const comments = [
      crm('1', 1, 'requester'),
      crm('2', 2, 'agent'),
      crm('3', 3, 'agent', false),
      crm('4', 4, 'bridge'),
      crm('5', 5, 'agent'),
    ];
    const w = newAgentReplies(comments, null, ['5'], people);
    expect(w.fresh.map((c) => c.id)).toEqual(['2']);
    expect(w.cursor?.id).toBe('5');
  });

  test('an internal note never becomes a reply, even on a later read', () => {
    const first = newAgentReplies([crm('1', 1, 'agent', false)], null, [], people);
    expect(first.fresh).toEqual([]);
    expect(newAgentReplies([crm('1', 1, 'agent', false)], first.cursor, [], people).fresh).toEqual([]);
  });

  test('remembered ids stay bounded', () => {
    expect(boundedIds(['a', 'b', 'c'], 2)).toEqual(['b', 'c']);
    expect(boundedIds(['a'], 2)).toEqual(['a']);
  });
});

describe('windows under a byte budget (no read result near the 2 MB payload limit)', () => {
  const long = (id: string, at: number, bytes: number): SourceComment => ({ ...source(id, at), body: 'x'.repeat(bytes) });
  const all = [long('1', 1, 400), long('2', 2, 400), long('3', 3, 400), long('4', 4, 400)];

  test('a long conversation comes in several windows that, together, are the whole of it once', () => {
    let cursor = null;
    const seen: string[] = [];
    for (let reads = 0; reads < 10; reads++) {
      const w = newSourceComments(all, cursor, [], 1000);
      expect(w.fresh.reduce((n, c) => n + c.body.length, 0)).toBeLessThanOrEqual(1000);
      seen.push(...w.fresh.map((c) => c.id));
      cursor = w.cursor;
      if (!w.more) break;
    }
    expect(seen).toEqual(['1', '2', '3', '4']);
  });

  test('a comment larger than the budget still travels, alone', () => {
    const w = newSourceComments([long('1', 1, 5000), long('2', 2, 10)], null, [], 1000);
    expect(w.fresh.map((c) => c.id)).toEqual(['1']);
    expect(w.more).toBe(true);
  });

  test("the bridge's own comments cost nothing, and beyond a cut they stay remembered", () => {
    const w = newSourceComments([long('1', 1, 600), long('2', 2, 600), long('3', 3, 600)], null, ['2', '3'], 500);
    expect(w.fresh.map((c) => c.id)).toEqual(['1']);
    // Own comments are passed over at no cost, so the window reaches the end: both are behind the cursor.
    expect(w).toMatchObject({ more: false, ownIds: [] });
    const cut = newSourceComments([long('1', 1, 600), long('2', 2, 600), long('3', 3, 600), long('4', 4, 600)], null, ['3'], 500);
    expect(cut.fresh.map((c) => c.id)).toEqual(['1']);
    expect(cut).toMatchObject({ more: true, ownIds: ['3'], cursor: { id: '1' } });
  });

  test('agent replies are budgeted the same way; internal notes and the requester cost nothing', () => {
    const replies = [crm('1', 1, 'agent'), { ...crm('2', 2, 'agent', false), body: 'y'.repeat(900) }, { ...crm('3', 3, 'agent'), body: 'z'.repeat(900) }];
    const first = newAgentReplies(replies, null, [], people, 900);
    expect(first.fresh.map((c) => c.id)).toEqual(['1']);
    expect(first.more).toBe(true);
    const second = newAgentReplies(replies, first.cursor, [], people, 900);
    expect(second.fresh.map((c) => c.id)).toEqual(['3']);
    expect(second.more).toBe(false);
  });
});

describe('a comment over the read budget travels as its start (item 9 of issue 17)', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const comment = (id: string, body: string, s: number) => ({ id, author: 'USER' as const, body, createdAt: at(s), attachments: [] });

  test('inlineText keeps a text that fits and cuts one that does not at PREVIEW_BYTES, on a whole character', () => {
    expect(inlineText('short', 10)).toEqual({ text: 'short', truncated: false });
    const long = 'é'.repeat(PREVIEW_BYTES); // 2 bytes each
    const cut = inlineText(long, PREVIEW_BYTES);
    expect(cut.truncated).toBe(true);
    expect(Buffer.byteLength(cut.text)).toBe(PREVIEW_BYTES);
    expect(long.startsWith(cut.text)).toBe(true);
    const emoji = inlineText(`a${'😀'.repeat(PREVIEW_BYTES)}`, PREVIEW_BYTES);
    expect(Buffer.byteLength(emoji.text)).toBeLessThanOrEqual(PREVIEW_BYTES);
    expect(emoji.text.endsWith('\uD83D')).toBe(false); // never half a surrogate pair
  });

  test('a window carries a huge comment as its marked start, beside the others, within the budget', () => {
    const huge = 'x'.repeat(300 * 1024);
    const read = newSourceComments([comment('1', 'hello', 1), comment('2', huge, 2), comment('3', 'bye', 3)], null, [], 256 * 1024);
    expect(read.fresh.map((c) => [c.id, c.body.length, c.truncated ?? false])).toEqual([
      ['1', 5, false],
      ['2', PREVIEW_BYTES, true],
      ['3', 3, false],
    ]);
    expect(read.more).toBe(false);
    expect(read.cursor).toEqual({ id: '3', createdAt: at(3) });
  });
});

describe('cursors that cannot skip: a comment visible after a newer one is read (item 8 of issue 17)', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const comment = (id: string, s: number, author: 'USER' | 'SUPPORT' = 'USER') => ({ id, author, body: `comment ${id}`, createdAt: at(s), attachments: [] });

  test('the photo committed after the quick text is fresh at the next read, once, and the cursor never moves back', () => {
    const text = comment('11', 20);
    const first = newSourceComments([text], null, []);
    expect(first.fresh.map((c) => c.id)).toEqual(['11']);
    expect(first.recent).toEqual({ since: new Date(Date.parse(at(20)) - LOOKBACK_MS).toISOString(), ids: ['11'] });

    const photo = comment('10', 19); // older, visible only now
    const second = newSourceComments([photo, text], first.cursor, first.ownIds, UNBOUNDED, first.recent);
    expect(second.fresh.map((c) => c.id)).toEqual(['10']);
    expect(second.cursor).toEqual(first.cursor);
    expect(second.recent!.ids.sort()).toEqual(['10', '11']);

    const third = newSourceComments([photo, text], second.cursor, second.ownIds, UNBOUNDED, second.recent);
    expect(third.fresh).toEqual([]);
  });

  test('late and new comments in one read: late first, then the new ones; the bridge\'s own are never news', () => {
    const seen = newSourceComments([comment('5', 10)], null, []);
    const all = [comment('4', 9), comment('5', 10), comment('6', 11), comment('7', 12, 'SUPPORT')];
    const read = newSourceComments(all, seen.cursor, ['7'], UNBOUNDED, seen.recent);
    expect(read.fresh.map((c) => c.id)).toEqual(['4', '6']);
    expect(read.cursor).toEqual({ id: '7', createdAt: at(12) });
  });

  test('older than the look-back, or with no look-back yet (an adopted or upgraded memory), nothing behind the cursor is news', () => {
    const old = comment('1', 0);
    const cursor = { id: '9', createdAt: new Date(Date.parse(at(0)) + LOOKBACK_MS + 1000).toISOString() };
    const recent = { since: new Date(Date.parse(cursor.createdAt) - LOOKBACK_MS).toISOString(), ids: [] };
    expect(newSourceComments([old], cursor, [], UNBOUNDED, recent).fresh).toEqual([]);
    expect(newSourceComments([comment('8', 1)], cursor, [], UNBOUNDED, null).fresh).toEqual([]);
  });

  test('a busy minute: the ids kept are bounded, and the look-back shortens instead of forgetting', () => {
    const many = Array.from({ length: MAX_RECENT_IDS + 50 }, (_, i) => comment(String(1000 + i), i % 60));
    const read = newSourceComments(many, null, []);
    expect(read.recent!.ids.length).toBeLessThanOrEqual(MAX_RECENT_IDS);
    const since = Date.parse(read.recent!.since);
    // Everything at or after `since` (and not after the cursor) is known: nothing seen is news again.
    for (const c of many) if (Date.parse(c.createdAt) >= since) expect(read.recent!.ids).toContain(c.id);
    expect(newSourceComments(many, read.cursor, [], UNBOUNDED, read.recent).fresh).toEqual([]);
  });

  test('agent replies too: a late public reply is read, an internal note never', () => {
    const reply = (id: string, s: number, isPublic = true) => ({ id, authorId: 'agent', body: `r${id}`, public: isPublic, createdAt: at(s) });
    const participants = { requesterId: 'user', bridgeUserId: null };
    const first = newAgentReplies([reply('21', 30)], null, [], participants);
    const second = newAgentReplies([reply('19', 28, false), reply('20', 29), reply('21', 30)], first.cursor, [], participants, UNBOUNDED, first.recent);
    expect(second.fresh.map((c) => c.id)).toEqual(['20']);
  });
});
