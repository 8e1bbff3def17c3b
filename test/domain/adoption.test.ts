import { recoverMirror, type AdoptedMirror } from '../../src/domain/adoption';
import { newAgentReplies, newSourceComments } from '../../src/domain/comments';
import { crmBodyForSupportNote, crmBodyForUserComment, sourceBodyForAgentReply } from '../../src/domain/messages';
import type { CrmComment, SourceComment } from '../../src/domain/ticket';

const REQUESTER = 'requester-7';
const AGENT = 'agent-1';
const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

// The two sides as the bridge leaves them: a copy carries exactly the text the sync writes.
const user = (id: string, t: number, body: string, attachments: string[] = []): SourceComment => ({
  id,
  author: 'USER',
  body,
  createdAt: at(t),
  attachments,
});
const appSupport = (id: string, t: number, body: string, attachments: string[] = []): SourceComment => ({
  ...user(id, t, body, attachments),
  author: 'SUPPORT',
});
const description = (id: string, t = 0): CrmComment => ({ id, authorId: REQUESTER, body: 'My meter is broken', public: true, createdAt: at(t) });
const agentReply = (id: string, t: number, body: string, authorId = AGENT): CrmComment => ({ id, authorId, body, public: true, createdAt: at(t) });
const agentNote = (id: string, t: number, body: string): CrmComment => ({ id, authorId: AGENT, body, public: false, createdAt: at(t) });
/** The sync's copy of a user comment: the requester's public comment. */
const requesterCopy = (id: string, t: number, of: SourceComment): CrmComment => ({
  id,
  authorId: REQUESTER,
  body: crmBodyForUserComment(of),
  public: true,
  createdAt: at(t),
});
/** The sync's copy of a support note written in the app: an internal note by the bridge's user. */
const noteCopy = (id: string, t: number, of: SourceComment): CrmComment => ({
  id,
  authorId: 'bridge-api-user',
  body: crmBodyForSupportNote(of),
  public: false,
  createdAt: at(t),
});
/** The sync's copy of an agent reply: a SUPPORT comment in the source. */
const sourceCopy = (id: string, t: number, of: CrmComment): SourceComment => appSupport(id, t, sourceBodyForAgentReply(of));

const ids = (comments: readonly { id: string }[]) => comments.map((c) => c.id);

/** What the workflow's ordinary windows would send next, from the recovered memory. */
function stillToSend(sourceComments: SourceComment[], crmComments: CrmComment[], mirror: AdoptedMirror) {
  return {
    toCrm: ids(newSourceComments(sourceComments, mirror.sourceComments.cursor, mirror.sourceComments.ownIds).fresh),
    toSource: ids(
      newAgentReplies(crmComments, mirror.crmComments.cursor, mirror.crmComments.ownIds, { requesterId: REQUESTER, bridgeUserId: null }).fresh,
    ),
  };
}

function adopt(sourceComments: SourceComment[], crmComments: CrmComment[]) {
  const mirror = recoverMirror({ sourceComments, crmComments, requesterId: REQUESTER });
  return { mirror, next: stillToSend(sourceComments, crmComments, mirror) };
}

const cursorOf = (c: { id: string; createdAt: string }) => ({ id: c.id, createdAt: c.createdAt });

describe('recoverMirror: adopting an existing CRM ticket', () => {
  test('nothing mirrored yet: every source comment and every agent reply is still to send', () => {
    const u1 = user('101', 1, 'It still does not work');
    const s2 = appSupport('102', 2, 'We are looking into it');
    const a1 = agentReply('9001', 3, 'Please send a photo');
    const crm = [description('9000'), a1];
    const { mirror, next } = adopt([u1, s2], crm);

    expect(mirror.sourceComments).toEqual({ cursor: null, ownIds: [] });
    // The description is never news: the CRM cursor starts on it, as after a create.
    expect(mirror.crmComments).toEqual({ cursor: cursorOf(crm[0]), ownIds: [] });
    expect(mirror.mirrored).toEqual({ toCrm: 0, toSource: 0 });
    expect(next).toEqual({ toCrm: ['101', '102'], toSource: ['9001'] });
  });

  test('no comments at all: no source cursor, the CRM cursor on the description', () => {
    const desc = description('9000');
    expect(recoverMirror({ sourceComments: [], crmComments: [desc], requesterId: REQUESTER })).toEqual({
      sourceComments: { cursor: null, ownIds: [] },
      crmComments: { cursor: cursorOf(desc), ownIds: [] },
      mirrored: { toCrm: 0, toSource: 0 },
    });
    expect(recoverMirror({ sourceComments: [], crmComments: [], requesterId: REQUESTER }).crmComments).toEqual({ cursor: null, ownIds: [] });
  });

  test('everything mirrored: both cursors at the newest comment, nothing to send', () => {
    const u1 = user('101', 1, 'It still does not work');
    const r1 = requesterCopy('9001', 2, u1);
    const a1 = agentReply('9002', 3, 'Please send a photo');
    const c1 = sourceCopy('102', 4, a1);
    const s3 = appSupport('103', 5, 'Technician booked for Monday');
    const n3 = noteCopy('9003', 6, s3);
    const source = [u1, c1, s3];
    const crm = [description('9000'), r1, a1, n3];
    const { mirror, next } = adopt(source, crm);

    expect(mirror.sourceComments).toEqual({ cursor: cursorOf(s3), ownIds: [] });
    expect(mirror.crmComments).toEqual({ cursor: cursorOf(n3), ownIds: [] });
    expect(mirror.mirrored).toEqual({ toCrm: 2, toSource: 1 });
    expect(next).toEqual({ toCrm: [], toSource: [] });
  });

  test('partially mirrored both ways: exactly the missing comments come out of the windows', () => {
    const u1 = user('101', 10, 'It still does not work');
    const r1 = requesterCopy('9001', 11, u1);
    const a1 = agentReply('9002', 20, 'Please send a photo');
    const c1 = sourceCopy('102', 21, a1);
    // The run died here: these were never mirrored.
    const u2 = user('103', 30, 'Here it is', ['https://files.example/meter.jpg']);
    const a2 = agentReply('9003', 31, 'Thanks, a technician will call');
    const u3 = user('104', 40, 'OK');
    const source = [u1, c1, u2, u3];
    const crm = [description('9000'), r1, a1, a2];
    const { mirror, next } = adopt(source, crm);

    expect(mirror.sourceComments).toEqual({ cursor: cursorOf(c1), ownIds: [] });
    expect(mirror.crmComments).toEqual({ cursor: cursorOf(a1), ownIds: [] });
    expect(mirror.mirrored).toEqual({ toCrm: 1, toSource: 1 });
    expect(next).toEqual({ toCrm: ['103', '104'], toSource: ['9003'] });
  });

  test('bridge-written copies interleaved after a gap are own ids, never mirrored back', () => {
    const u1 = user('101', 10, 'first');
    const r1 = requesterCopy('9001', 11, u1);
    const u2 = user('102', 20, 'second, never mirrored');
    const a1 = agentReply('9002', 25, 'an agent reply');
    const c1 = sourceCopy('103', 26, a1); // the bridge's copy, after the gap
    const u3 = user('104', 30, 'third');
    const r3 = requesterCopy('9003', 31, u3); // mirrored although u2 was not
    const source = [u1, u2, c1, u3];
    const crm = [description('9000'), r1, a1, r3];
    const { mirror, next } = adopt(source, crm);

    expect(mirror.sourceComments).toEqual({ cursor: cursorOf(u1), ownIds: ['103', '104'] });
    // Every agent reply reached the source: the CRM cursor is at the end.
    expect(mirror.crmComments).toEqual({ cursor: cursorOf(r3), ownIds: [] });
    expect(next).toEqual({ toCrm: ['102'], toSource: [] });
  });

  test('a gap on the CRM side: copies and already-mirrored replies after it are own ids', () => {
    const u1 = user('101', 10, 'hello');
    const a1 = agentReply('9001', 11, 'reply one, never mirrored');
    const a2 = agentReply('9002', 12, 'reply two');
    const c2 = sourceCopy('102', 13, a2);
    const u2 = user('103', 14, 'anything else?');
    const r1 = requesterCopy('9003', 15, u1); // a late copy of u1, after the gap
    const r2 = requesterCopy('9004', 16, u2);
    const source = [u1, c2, u2];
    const crm = [description('9000'), a1, a2, r1, r2];
    const { mirror, next } = adopt(source, crm);

    expect(mirror.crmComments).toEqual({ cursor: cursorOf(crm[0]), ownIds: ['9002', '9003', '9004'] });
    expect(mirror.sourceComments).toEqual({ cursor: cursorOf(u2), ownIds: [] });
    expect(next).toEqual({ toCrm: [], toSource: ['9001'] });
  });

  test('duplicate texts: each copy accounts for one original, in order', () => {
    const t1 = user('101', 10, 'thanks');
    const rt1 = requesterCopy('9001', 11, t1);
    const a1 = agentReply('9002', 20, 'You are welcome');
    const c1 = sourceCopy('102', 21, a1);
    const t2 = user('103', 30, 'thanks'); // the same words again, not mirrored yet
    const a2 = agentReply('9003', 40, 'You are welcome'); // likewise
    const source = [t1, c1, t2];
    const crm = [description('9000'), rt1, a1, a2];
    const { mirror, next } = adopt(source, crm);

    expect(mirror.mirrored).toEqual({ toCrm: 1, toSource: 1 });
    expect(mirror.sourceComments.cursor).toEqual(cursorOf(c1));
    expect(mirror.crmComments.cursor).toEqual(cursorOf(a1));
    expect(next).toEqual({ toCrm: ['103'], toSource: ['9003'] });

    // Both copies there: both originals are accounted for.
    const rt2 = requesterCopy('9004', 31, t2);
    const c2 = sourceCopy('104', 41, a2);
    const both = adopt([...source, c2], [...crm, rt2]);
    expect(both.mirror.mirrored).toEqual({ toCrm: 2, toSource: 2 });
    expect(both.next).toEqual({ toCrm: [], toSource: [] });
  });

  test('a copy cannot be older than its original (beyond clock skew)', () => {
    // The requester answered "thanks" by email in the CRM (not from the app); later the user
    // says "thanks" in the app. The older CRM comment is not its copy.
    const email = agentReply('9001', 10, 'thanks', REQUESTER);
    const inApp = user('101', 600, 'thanks');
    const { mirror, next } = adopt([inApp], [description('9000'), email]);
    expect(mirror.mirrored.toCrm).toBe(0);
    expect(next.toCrm).toEqual(['101']);

    // A platform with whole-second timestamps may show the copy a little older than the original.
    const original = agentReply('9002', 20.9, 'see you Monday');
    const copy = appSupport('102', 20, 'see you Monday');
    const skewed = adopt([copy], [description('9000'), original]);
    expect(skewed.mirror.mirrored.toSource).toBe(1);
    expect(skewed.next).toEqual({ toCrm: [], toSource: [] });
  });

  test('support notes written in the app are matched to their internal-note copies', () => {
    const s1 = appSupport('101', 10, 'Called the customer, no answer');
    const n1 = noteCopy('9001', 11, s1);
    const s2 = appSupport('102', 20, 'Left a voicemail'); // not mirrored yet
    const crm = [description('9000'), n1];
    const { mirror, next } = adopt([s1, s2], crm);

    expect(n1.body).toBe('Support reply posted in the app (not from this helpdesk):\n\nCalled the customer, no answer');
    expect(mirror.sourceComments).toEqual({ cursor: cursorOf(s1), ownIds: [] });
    expect(mirror.crmComments).toEqual({ cursor: cursorOf(n1), ownIds: [] });
    expect(mirror.mirrored).toEqual({ toCrm: 1, toSource: 0 });
    expect(next).toEqual({ toCrm: ['102'], toSource: [] });
  });

  test('a SUPPORT text that is both a noted app message and an unmirrored agent reply: the reply still travels', () => {
    const s1 = appSupport('101', 10, 'ok');
    const n1 = noteCopy('9001', 11, s1);
    const a1 = agentReply('9002', 20, 'ok'); // the agent says the same; its copy never landed
    const { mirror, next } = adopt([s1], [description('9000'), n1, a1]);
    expect(mirror.mirrored).toEqual({ toCrm: 1, toSource: 0 });
    expect(next).toEqual({ toCrm: [], toSource: ['9002'] });
  });

  test('attachments are part of the copied text', () => {
    const u1 = user('101', 10, 'Photo attached', ['https://files.example/a.jpg', 'https://files.example/b.jpg']);
    const r1 = requesterCopy('9001', 11, u1);
    expect(r1.body).toBe('Photo attached\n\nAttachments:\n- https://files.example/a.jpg\n- https://files.example/b.jpg');
    const s2 = appSupport('102', 20, 'Manual', ['https://files.example/manual.pdf']);
    const n2 = noteCopy('9002', 21, s2);
    const mirrored = adopt([u1, s2], [description('9000'), r1, n2]);
    expect(mirrored.mirror.mirrored.toCrm).toBe(2);
    expect(mirrored.next.toCrm).toEqual([]);

    // The same words without the attachment list are not the copy (the files never reached the CRM).
    const bare: CrmComment = { ...r1, body: 'Photo attached' };
    const notMirrored = adopt([u1], [description('9000'), bare]);
    expect(notMirrored.mirror.mirrored.toCrm).toBe(0);
    expect(notMirrored.next.toCrm).toEqual(['101']);
  });

  test('sync v3 copies: the files attached, or a line for each that did not travel, and the message alone', () => {
    const u1 = user('101', 10, 'Photo attached', ['https://files.example/a.jpg', 'https://files.example/b.zip']);
    const file = { id: '1', name: 'a.jpg', url: 'https://zd.example/a', contentType: 'image/jpeg', size: 10 };
    const attached: CrmComment = {
      ...requesterCopy('9001', 11, u1),
      body: 'Photo attached\n\nattachment b.zip (2 KB) not transferred: files of type application/zip are not accepted',
      attachments: [file],
    };
    expect(adopt([u1], [description('9000'), attached]).mirror.mirrored.toCrm).toBe(1);
    // Every file attached, no line: still the copy.
    expect(adopt([u1], [description('9000'), { ...attached, body: 'Photo attached' }]).mirror.mirrored.toCrm).toBe(1);
    // Nothing attached, every file a line: the copy too.
    const lines: CrmComment = { ...attached, attachments: undefined };
    expect(adopt([u1], [description('9000'), lines]).mirror.mirrored.toCrm).toBe(1);
    // A comment of files without words went as a stand-in text.
    const photoOnly = user('102', 20, '', ['https://files.example/a.jpg']);
    const standIn: CrmComment = { ...requesterCopy('9002', 21, photoOnly), body: '(1 attachment)', attachments: [file] };
    expect(adopt([photoOnly], [description('9000'), standIn]).mirror.mirrored.toCrm).toBe(1);
  });

  test('line endings and surrounding blanks do not matter, inner text does', () => {
    const u1 = user('101', 10, 'line one\nline two');
    const crlf: CrmComment = { ...requesterCopy('9001', 11, u1), body: 'line one\r\nline two\n' };
    expect(adopt([u1], [description('9000'), crlf]).next.toCrm).toEqual([]);
    const edited: CrmComment = { ...crlf, body: 'line one line two' };
    expect(adopt([u1], [description('9000'), edited]).next.toCrm).toEqual(['101']);
  });

  test("an agent's own internal note, a bridge notice and the requester's email reply never block the CRM cursor", () => {
    const u1 = user('101', 10, 'hello');
    const r1 = requesterCopy('9001', 11, u1);
    const note = agentNote('9002', 12, 'Customer is on the premium plan');
    const notice = noteCopy('9003', 13, appSupport('x', 0, 'never in this source'));
    const email = agentReply('9004', 14, 'sent from my phone', REQUESTER);
    const a1 = agentReply('9005', 15, 'Hi, how can we help?');
    const crm = [description('9000'), r1, note, notice, email, a1];
    const { mirror, next } = adopt([u1], crm);

    // The cursor stops only at the unmirrored agent reply; nothing unmatched is claimed as own.
    expect(mirror.crmComments).toEqual({ cursor: cursorOf(email), ownIds: [] });
    expect(mirror.mirrored).toEqual({ toCrm: 1, toSource: 0 });
    expect(next).toEqual({ toCrm: [], toSource: ['9005'] });
  });

  test('numeric ids within one second order as numbers (Connect, Zendesk)', () => {
    // Same timestamp: '10' comes after '9' numerically, before it as text.
    const u9 = user('9', 5, 'nine');
    const u10 = user('10', 5, 'ten');
    const r9 = requesterCopy('99', 6, u9);
    const r10 = requesterCopy('100', 6, u10);
    const { mirror, next } = adopt([u10, u9], [r10, description('1'), r9]);
    expect(mirror.sourceComments).toEqual({ cursor: cursorOf(u10), ownIds: [] });
    expect(mirror.crmComments).toEqual({ cursor: cursorOf(r10), ownIds: [] });
    expect(next).toEqual({ toCrm: [], toSource: [] });

    const missing = adopt([u9, u10], [description('1'), r10]);
    expect(missing.mirror.sourceComments).toEqual({ cursor: null, ownIds: ['10'] });
    expect(missing.next.toCrm).toEqual(['9']);
  });

  test('uuid ids (white-label) work the same way', () => {
    const u1 = user('f3b1c2d4-0000-4000-8000-000000000001', 10, 'hello');
    const a1 = agentReply('9001', 12, 'hi there');
    const c1 = sourceCopy('0a9e7d6c-0000-4000-8000-000000000002', 13, a1);
    const u2 = user('7c2d1e0f-0000-4000-8000-000000000003', 14, 'still broken');
    const r1 = requesterCopy('9002', 11, u1);
    const { mirror, next } = adopt([u2, c1, u1], [a1, r1, description('9000')]);
    expect(mirror.sourceComments.cursor).toEqual(cursorOf(c1));
    expect(mirror.crmComments.cursor).toEqual(cursorOf(a1));
    expect(next).toEqual({ toCrm: ['7c2d1e0f-0000-4000-8000-000000000003'], toSource: [] });
  });

  test('own ids ahead of the cursor are bounded, newest kept (default 100)', () => {
    const gap = user('1', 1, 'never mirrored');
    const source: SourceComment[] = [gap];
    const crm: CrmComment[] = [description('5000')];
    for (let i = 0; i < 120; i++) {
      const u = user(String(10 + i), 10 + i * 2, `message ${i}`);
      source.push(u);
      crm.push(requesterCopy(String(6000 + i), 11 + i * 2, u));
    }
    const mirror = recoverMirror({ sourceComments: source, crmComments: crm, requesterId: REQUESTER });
    expect(mirror.sourceComments.cursor).toBeNull();
    expect(mirror.sourceComments.ownIds).toHaveLength(100);
    expect(mirror.sourceComments.ownIds[0]).toBe('30');
    expect(mirror.sourceComments.ownIds[99]).toBe('129');
    expect(mirror.mirrored.toCrm).toBe(120);

    const small = recoverMirror({ sourceComments: source.slice(0, 4), crmComments: crm, requesterId: REQUESTER }, { maxOwnIds: 2 });
    expect(small.sourceComments.ownIds).toEqual(['11', '12']);
  });

  test('pure and deterministic: input order does not matter and inputs are not touched', () => {
    const u1 = user('101', 10, 'hello');
    const r1 = requesterCopy('9001', 11, u1);
    const a1 = agentReply('9002', 12, 'hi');
    const u2 = user('102', 13, 'more');
    const source = [u1, u2];
    const crm = [description('9000'), r1, a1];
    const frozen = JSON.stringify({ source, crm });
    const forward = recoverMirror({ sourceComments: source, crmComments: crm, requesterId: REQUESTER });
    const reversed = recoverMirror({ sourceComments: [...source].reverse(), crmComments: [...crm].reverse(), requesterId: REQUESTER });
    expect(reversed).toEqual(forward);
    expect(JSON.stringify({ source, crm })).toBe(frozen);
    expect(stillToSend(source, crm, forward)).toEqual({ toCrm: ['102'], toSource: ['9002'] });
  });
});
