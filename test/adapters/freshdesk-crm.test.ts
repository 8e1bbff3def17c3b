import { Readable } from 'node:stream';
import { transferAttachment } from '../../src/activities/attachment-transfer';
import { FreshdeskCrm, parseFreshdeskStatusMap } from '../../src/adapters/freshdesk';
import type { NewCrmTicket } from '../../src/ports/crm';
import { IntegrationError } from '../../src/ports/errors';
import { FreshdeskSimulator } from '../../src/simulators/freshdesk';

/** FreshdeskCrm against the Freshdesk simulator over real loopback HTTP. */
describe('FreshdeskCrm', () => {
  const KEY = 'fd-key-SECRET';
  const FIELD = 'cf_ticket_bridge_id';
  const MB = 1024 * 1024;
  let clock: { ms: number };
  let sim: FreshdeskSimulator;
  let crm: FreshdeskCrm;

  beforeEach(async () => {
    clock = { ms: Date.parse('2026-12-06T10:00:00Z') };
    sim = await FreshdeskSimulator.start({ apiKey: KEY, echoApiWrites: false, now: () => new Date(clock.ms) });
    crm = new FreshdeskCrm({ baseUrl: sim.apiUrl, apiKey: KEY, externalIdField: FIELD, timeoutMs: 1000 });
  });
  afterEach(() => sim.stop());

  const newTicket = (over: Partial<NewCrmTicket> = {}): NewCrmTicket => ({
    externalId: 'connect:T-1',
    subject: 'No power',
    description: 'Since 8am\nand still <off>',
    requester: { externalId: 'user-77', name: null, email: null },
    status: 'new',
    tags: ['ticket-bridge', 'source-connect'],
    idempotencyKey: 'create/connect/T-1',
    ...over,
  });
  const noDedupe = { check: false, afterCommentId: null, excludeIds: [] } as const;
  const retry = { check: true, afterCommentId: null, excludeIds: [] } as const;

  async function failure(p: Promise<unknown>): Promise<IntegrationError> {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    return err as IntegrationError;
  }

  const file = (name: string, bytes: number) => ({ name, contentType: 'application/pdf', bytes: Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(bytes - 9, 7)]) });

  it('is the key agent from /agents/me, asked once, with Basic auth of the key', async () => {
    expect(await crm.bridgeUserId()).toBe(String(sim.apiAgent.id));
    expect(await crm.bridgeUserId()).toBe(String(sim.apiAgent.id));
    expect(sim.requests('GET /agents/me')).toHaveLength(1);
    const wrong = new FreshdeskCrm({ baseUrl: sim.apiUrl, apiKey: 'other', externalIdField: FIELD });
    expect((await failure(wrong.bridgeUserId())).kind).toBe('unauthorized');
  });

  describe('create and read', () => {
    it('creates with our id in the custom field, the requester by external id, status 2, and reads the description as comment 0', async () => {
      const created = await crm.createTicket(newTicket());
      const stored = sim.ticket(created.id)!;
      expect(stored).toMatchObject({ status: 2, custom_fields: { [FIELD]: 'connect:T-1' }, tags: ['ticket-bridge', 'source-connect'] });
      expect(stored.description).toBe('Since 8am<br>and still &lt;off&gt;');
      expect(sim.user(stored.requester_id)).toMatchObject({ unique_external_id: 'connect:user-77', email: null, name: 'App user user-77' });
      expect(created).toMatchObject({ id: String(stored.id), status: 'open', externalId: 'connect:T-1', requesterId: String(stored.requester_id), assigneeId: null });
      expect(created.comments).toEqual([
        { id: '0', authorId: String(stored.requester_id), body: 'Since 8am\nand still <off>', public: true, createdAt: '2026-12-06T10:00:00.000Z' },
      ]);
    });

    it('matches the requester by e-mail when the source has one', async () => {
      const a = await crm.createTicket(newTicket({ requester: { externalId: 'u1', name: 'Ann', email: 'ann@example.test' } }));
      const b = await crm.createTicket(newTicket({ externalId: 'connect:T-2', requester: { externalId: 'u1', name: 'Ann', email: 'ann@example.test' } }));
      expect(a.requesterId).toBe(b.requesterId);
      expect(sim.user(a.requesterId)).toMatchObject({ email: 'ann@example.test', name: 'Ann' });
    });

    it('finds a create whose answer was lost through the requester\'s tickets, while search still lags: one ticket', async () => {
      sim.searchLagMs = 120_000;
      sim.fault({ match: 'POST /tickets', kind: 'drop-after-write', times: 1 });
      expect((await failure(crm.createTicket(newTicket()))).kind).toBe('network');
      expect(await crm.findTicketByExternalId('connect:T-1')).toBeNull(); // the index has not caught up
      const again = await crm.createTicket(newTicket());
      expect(sim.tickets()).toHaveLength(1);
      expect(again.id).toBe(String(sim.tickets()[0]!.id));
      expect(sim.requests('POST /tickets')).toHaveLength(1);
    });

    it('a follow-up is a new ticket: the closed one it follows is not its landed copy', async () => {
      const first = await crm.createTicket(newTicket());
      await crm.setStatus(first.id, 'closed');
      const follow = await crm.createTicket(newTicket({ followUpOf: first.id }));
      expect(follow.id).not.toBe(first.id);
      expect(await crm.createTicket(newTicket({ followUpOf: first.id }))).toMatchObject({ id: follow.id });
      clock.ms += 1000;
      expect((await crm.findTicketByExternalId('connect:T-1'))?.id).toBe(follow.id);
    });

    it('reads every page of conversations, following the link header', async () => {
      const t = await crm.createTicket(newTicket());
      for (let i = 0; i < 230; i++) await sim.agentReplies(t.id, `reply ${i}`);
      const before = sim.requests('GET /tickets/:id/conversations').length;
      const read = (await crm.getTicket(t.id))!;
      expect(read.comments).toHaveLength(231);
      expect(read.comments.at(-1)).toMatchObject({ body: 'reply 229', authorId: String(sim.agent.id), public: true });
      const pages = sim.requests('GET /tickets/:id/conversations').slice(before);
      expect(pages.map((r) => [r.query.page ?? '1', r.query.per_page])).toEqual([['1', '100'], ['2', '100'], ['3', '100']]);
    });

    it('answers null for a deleted ticket, and versions per ticket without the missing ones', async () => {
      const a = await crm.createTicket(newTicket());
      const b = await crm.createTicket(newTicket({ externalId: 'connect:T-2' }));
      sim.adminDeletesTicket(b.id);
      expect(await crm.getTicket(b.id)).toBeNull();
      const versions = await crm.getTicketVersions([a.id, b.id]);
      expect([...versions.keys()]).toEqual([a.id]);
      // Read in the very second of the last change (by Freshdesk's Date header): provisional.
      expect(versions.get(a.id)).toEqual({ status: 'open', updatedAt: '2026-12-06T10:00:00.999Z' });
    });

    it('a change in the same second as a read is not missed: that read\'s version is provisional, the next one settled and different', async () => {
      const t = await crm.createTicket(newTicket());
      const seen = (await crm.getTicket(t.id))!.updatedAt;
      await sim.agentReplies(t.id, 'same second'); // updated_at does not move: same second
      expect(sim.ticket(t.id)!.updated_at).toBe('2026-12-06T10:00:00Z');
      clock.ms += 1500;
      const later = (await crm.getTicketVersions([t.id])).get(t.id)!.updatedAt;
      expect([seen, later]).toEqual(['2026-12-06T10:00:00.999Z', '2026-12-06T10:00:00.000Z']);
      // A conditional write still compares by the second: the settled version is the same ticket.
      await crm.addComment(t.id, { body: 'ok', public: true, author: { as: 'requester' } }, noDedupe, { version: later! });
      expect(sim.conversations(t.id)).toHaveLength(2);
    });
  });

  describe('comments', () => {
    it('writes the user\'s message as an incoming public note by the requester, a bridge notice as a private note, a public bridge comment as a reply', async () => {
      const t = await crm.createTicket(newTicket());
      const user = await crm.addComment(t.id, { body: 'It is back', public: true, author: { as: 'requester' } }, noDedupe);
      await crm.addComment(t.id, { body: 'Internal', public: false, author: { as: 'bridge' } }, noDedupe);
      await crm.addComment(t.id, { body: 'Notice', public: true, author: { as: 'bridge' } }, noDedupe);
      const [c1, c2, c3] = sim.conversations(t.id);
      expect(c1).toMatchObject({ id: Number(user.commentId), incoming: true, private: false, user_id: Number(t.requesterId), source: 2 });
      expect(c2).toMatchObject({ incoming: false, private: true, user_id: sim.apiAgent.id, source: 2 });
      expect(c3).toMatchObject({ incoming: false, private: false, user_id: sim.apiAgent.id, source: 0 });
      expect(user).toEqual({ commentId: String(c1!.id), alreadyPresent: false, version: null, status: null });
    });

    it('a retry finds the comment that landed with its answer lost: one note', async () => {
      const t = await crm.createTicket(newTicket());
      sim.fault({ match: 'POST /tickets/:id/notes', kind: 'drop-after-write', times: 1 });
      const comment = { body: 'Line one\nline two', public: true, author: { as: 'requester' } } as const;
      expect((await failure(crm.addComment(t.id, comment, noDedupe))).kind).toBe('network');
      const again = await crm.addComment(t.id, comment, retry);
      expect(again).toMatchObject({ alreadyPresent: true, commentId: String(sim.conversations(t.id)[0]!.id) });
      expect(sim.conversations(t.id)).toHaveLength(1);
    });

    it('refuses a conditional write when the ticket changed since the version it was decided from, writing nothing', async () => {
      const t = await crm.createTicket(newTicket());
      clock.ms += 2000;
      await sim.agentReplies(t.id, 'agent was faster');
      const err = await failure(crm.addComment(t.id, { body: 'late', public: true, author: { as: 'requester' } }, noDedupe, { version: t.updatedAt! }));
      expect(err.kind).toBe('write-conflict');
      expect(sim.conversations(t.id)).toHaveLength(1);
    });
  });

  describe('status and assignee', () => {
    it('maps statuses both ways (2 open, 3 pending, 4 resolved = solved)', async () => {
      const t = await crm.createTicket(newTicket());
      const { version } = await crm.setStatus(t.id, 'solved');
      expect(sim.ticket(t.id)!.status).toBe(4);
      expect(version).toBe('2026-12-06T10:00:00.999Z'); // the second of the write, provisional
      expect((await crm.getTicket(t.id))!.status).toBe('solved');
      await crm.setStatus(t.id, 'pending');
      expect(sim.ticket(t.id)!.status).toBe(3);
    });

    it('reads a custom status as the map says, and one it does not know as hold (an agent is on it)', async () => {
      await sim.stop();
      sim = await FreshdeskSimulator.start({ apiKey: KEY, echoApiWrites: false, customStatuses: [6, 7], now: () => new Date(clock.ms) });
      crm = new FreshdeskCrm({ baseUrl: sim.apiUrl, apiKey: KEY, externalIdField: FIELD, statuses: parseFreshdeskStatusMap('6=pending')! });
      const t = await crm.createTicket(newTicket());
      await sim.agentSetsStatus(t.id, 6);
      expect((await crm.getTicket(t.id))!.status).toBe('pending');
      await sim.agentSetsStatus(t.id, 7);
      expect((await crm.getTicket(t.id))!.status).toBe('hold');
      await crm.setStatus(t.id, 'pending');
      expect(sim.ticket(t.id)!.status).toBe(3); // the lowest number mapped to pending
    });

    it('refuses a conditional status write after a newer version, and one without a version after an agent replied', async () => {
      const t = await crm.createTicket(newTicket());
      clock.ms += 2000;
      await sim.agentReplies(t.id, 'done?');
      const stale = { version: t.updatedAt!, status: 'open' as const, afterCommentId: '0', excludeIds: [] };
      expect((await failure(crm.setStatus(t.id, 'solved', stale))).kind).toBe('write-conflict');
      expect((await failure(crm.setStatus(t.id, 'solved', { ...stale, version: null }))).kind).toBe('write-conflict');
      expect(sim.ticket(t.id)!.status).toBe(2);
      const replyId = String(sim.conversations(t.id)[0]!.id);
      await crm.setStatus(t.id, 'solved', { ...stale, version: null, afterCommentId: replyId });
      expect(sim.ticket(t.id)!.status).toBe(4);
    });

    it('sets and clears the responder', async () => {
      const t = await crm.createTicket(newTicket());
      await crm.setAssignee(t.id, String(sim.agent.id));
      expect(sim.ticket(t.id)!.responder_id).toBe(sim.agent.id);
      await crm.setAssignee(t.id, null);
      expect(sim.ticket(t.id)!.responder_id).toBeNull();
    });
  });

  describe('failures', () => {
    it('429 with Retry-After, 5xx and a dropped connection are retryable and classified', async () => {
      sim.ratePerMinute = 1;
      await crm.bridgeUserId();
      const limited = await failure(crm.getTicket('1'));
      expect(limited).toMatchObject({ kind: 'rate-limited', status: 429 });
      expect(limited.retryAfterMs).toBeGreaterThanOrEqual(1000);
      sim.ratePerMinute = null;
      sim.fault({ match: 'GET /tickets/:id', kind: 'error', status: 503, times: 1 });
      expect(await failure(crm.getTicket('1'))).toMatchObject({ kind: 'server-error', retryable: true });
      sim.fault({ match: 'GET /tickets/:id', kind: 'drop', times: 1 });
      expect(await failure(crm.getTicket('1'))).toMatchObject({ kind: 'network', retryable: true });
    });
  });

  describe('attachments', () => {
    it('downloads through a reference resolved to a fresh URL, after the listed one expired', async () => {
      sim.attachmentUrlTtlMs = 1000;
      const t = await crm.createTicket(newTicket());
      const pdf = file('report.pdf', 4096);
      await sim.agentReplies(t.id, 'see file', { attachments: [{ name: pdf.name, contentType: pdf.contentType, bytes: pdf.bytes }] });
      const listed = (await crm.getTicket(t.id))!.comments[1]!.attachments![0]!;
      expect(listed).toMatchObject({ name: 'report.pdf', size: 4096, url: expect.stringMatching(/^freshdesk-attachment:/) });
      clock.ms += 60_000; // every URL handed out so far has expired
      const download = await crm.files.download(listed.url);
      const chunks: Buffer[] = [];
      for await (const chunk of download.stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(pdf.bytes)).toBe(true);
    });

    it("creates with the opening message's files as parts; those over the ticket's 20 MB together are lines, not a refused create", async () => {
      const a = file('a.pdf', 12 * MB);
      const b = file('b.pdf', 12 * MB);
      const staged = [];
      for (const f of [a, b]) staged.push((await crm.files.upload({ name: f.name, contentType: f.contentType, size: f.bytes.length, body: Readable.from([f.bytes]) })).id);
      const created = await crm.createTicket(newTicket({ description: 'Two scans', uploads: staged }));
      const stored = sim.ticket(created.id)!;
      expect(stored.attachments.map((x) => [x.name, x.size])).toEqual([['a.pdf', 12 * MB]]);
      expect(stored.description_text).toBe('Two scans\n\nattachment b.pdf (12 MB) not transferred: Freshdesk keeps at most 20 MB of files per ticket, and this one would go over');
      expect(sim.file(stored.attachments[0]!.id)!.bytes.equals(a.bytes)).toBe(true);
      expect(created.comments[0]!.attachments).toEqual([expect.objectContaining({ name: 'a.pdf', size: 12 * MB })]);
    });

    it('downloads under the outbound policy: a URL on another host is refused before a byte is sent', async () => {
      const err = await failure(crm.files.download('http://169.254.169.254/latest/meta-data'));
      expect(err).toMatchObject({ kind: 'forbidden', reason: 'host-not-allowed' });
    });

    it('sends files as parts of the note, within what is left of the ticket\'s 20 MB; what does not fit is a line', async () => {
      const t = await crm.createTicket(newTicket());
      const big = file('big.pdf', 15 * MB);
      await sim.agentReplies(t.id, 'a large one', { attachments: [{ name: big.name, contentType: big.contentType, bytes: big.bytes }] });
      const small = file('small.pdf', 2 * MB);
      const large = file('large.pdf', 6 * MB);
      const source = {
        service: 'connect',
        download: async (url: string) => {
          const f = url === 'small' ? small : large;
          return { stream: Readable.from([f.bytes]), size: f.bytes.length, contentType: f.contentType };
        },
      };
      const outcome = await crm.addComment(
        t.id,
        {
          body: 'two files',
          public: true,
          author: { as: 'requester' },
          files: async () => {
            const uploads: string[] = [];
            const lines: string[] = [];
            for (const [url, name] of [['small', 'small.pdf'], ['large', 'large.pdf']] as const) {
              const r = await transferAttachment({ from: source, to: crm.files, file: { url, name, size: url === 'small' ? small.bytes.length : large.bytes.length, contentType: 'application/pdf' } });
              if (r.transferred && !r.duplicate) uploads.push(r.targetId);
              if (!r.transferred) lines.push(r.line);
            }
            return { uploads, lines };
          },
        },
        noDedupe,
      );
      const note = sim.conversations(t.id).find((c) => String(c.id) === outcome.commentId)!;
      expect(note.attachments.map((a) => [a.name, a.size])).toEqual([['small.pdf', 2 * MB]]);
      expect(note.body_text).toBe('two files\n\nattachment large.pdf (6 MB) not transferred: Freshdesk keeps at most 20 MB of files per ticket, and this one would go over');
      expect(sim.file(note.attachments[0]!.id)!.bytes.equals(small.bytes)).toBe(true);
    });
  });
});
