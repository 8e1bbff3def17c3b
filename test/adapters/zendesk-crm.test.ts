import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import type { NewCrmTicket } from '../../src/ports/crm';
import { IntegrationError } from '../../src/ports/errors';
import { ZendeskSimulator } from '../../src/simulators/zendesk';

/** ZendeskCrm against the Zendesk simulator over real loopback HTTP. */
describe('ZendeskCrm', () => {
  const TOKEN = 'zd-token-SECRET';
  let sim: ZendeskSimulator;
  let crm: ZendeskCrm;

  beforeEach(async () => {
    sim = await ZendeskSimulator.start({ apiToken: TOKEN, echoApiWrites: false });
    crm = new ZendeskCrm({ baseUrl: sim.apiUrl, email: 'bridge@example.test', apiToken: TOKEN, timeoutMs: 500 });
  });
  afterEach(() => sim.stop());

  const newTicket = (over: Partial<NewCrmTicket> = {}): NewCrmTicket => ({
    externalId: 'connect:T-1',
    subject: 'No power',
    description: 'Since 8am',
    requester: { externalId: 'user-77', name: null, email: null },
    status: 'new',
    tags: ['ticket-bridge', 'source-connect'],
    idempotencyKey: 'create/connect/T-1',
    ...over,
  });
  const noDedupe = { check: false, afterCommentId: null, excludeIds: [] } as const;

  async function failure(p: Promise<unknown>): Promise<IntegrationError> {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    return err as IntegrationError;
  }

  describe('bridge user', () => {
    it('is the API user from /users/me.json, asked once', async () => {
      expect(await crm.bridgeUserId()).toBe(String(sim.bridgeUser.id));
      expect(await crm.bridgeUserId()).toBe(String(sim.bridgeUser.id));
      expect(sim.requests('GET /users/me.json')).toHaveLength(1);
    });

    it('is asked again after a failure (no cached error)', async () => {
      sim.fault({ match: 'GET /users/me.json', kind: 'error', status: 503, times: 1 });
      await expect(crm.bridgeUserId()).rejects.toMatchObject({ kind: 'server-error' });
      expect(await crm.bridgeUserId()).toBe(String(sim.bridgeUser.id));
    });
  });

  describe('createTicket / findTicketByExternalId', () => {
    it('creates the ticket with a placeholder requester name, external id, tags, and the Idempotency-Key', async () => {
      const created = await crm.createTicket(newTicket());
      const stored = sim.ticket(created.id)!;
      expect(stored).toMatchObject({ external_id: 'connect:T-1', subject: 'No power', status: 'new', tags: ['ticket-bridge', 'source-connect'] });
      expect(sim.user(stored.requester_id)).toMatchObject({ name: 'App user user-77', email: null, role: 'end-user' });
      expect(sim.requests('POST /tickets.json')[0]?.headers['idempotency-key']).toBe('create/connect/T-1');
      expect(created).toEqual({
        id: String(stored.id),
        status: 'new',
        externalId: 'connect:T-1',
        requesterId: String(stored.requester_id),
        assigneeId: null,
        comments: [{ id: expect.stringMatching(/^\d+$/), authorId: String(sim.bridgeUser.id), body: 'Since 8am', public: true, createdAt: expect.any(String) }],
        updatedAt: stored.updated_at,
      });
    });

    it('costs one request: the description comes from the audit of the create, as a list of the comments would give it', async () => {
      const created = await crm.createTicket(newTicket());
      expect(sim.requests().map((r) => r.route)).toEqual(['POST /tickets.json']);
      const listed = await crm.getTicket(created.id);
      expect(created.comments).toEqual(listed!.comments);
    });

    it('lists the comments when the answer to the create carries no audit it can read', async () => {
      for (const audit of [undefined, { created_at: 'yesterday', events: [] }, { created_at: new Date().toISOString(), events: [{ type: 'Create' }] }]) {
        // The answer as another Zendesk (or a proxy) might shape it: the ticket, and this audit.
        const reshaped: typeof fetch = async (input, init) => {
          const res = await fetch(input, init);
          if (init?.method !== 'POST' || !String(input).endsWith('/tickets.json')) return res;
          const body = (await res.json()) as Record<string, unknown>;
          return new Response(JSON.stringify({ ticket: body.ticket, ...(audit && { audit }) }), { status: res.status, headers: res.headers });
        };
        const other = new ZendeskCrm({ baseUrl: sim.apiUrl, email: 'bridge@example.test', apiToken: TOKEN, timeoutMs: 500, fetch: reshaped });
        const key = `create/${randomUUID()}`;
        const before = sim.requests('GET /tickets/:id/comments.json').length;
        const created = await other.createTicket(newTicket({ externalId: `connect:${key}`, idempotencyKey: key }));
        expect(sim.requests('GET /tickets/:id/comments.json')).toHaveLength(before + 1);
        expect(created.comments).toEqual([expect.objectContaining({ body: 'Since 8am', authorId: String(sim.bridgeUser.id) })]);
      }
    });

    it('sends the requester e-mail and name when the source has them', async () => {
      const created = await crm.createTicket(newTicket({ requester: { externalId: null, name: 'Ana', email: 'ana@example.test' } }));
      expect(sim.user(created.requesterId)).toMatchObject({ name: 'Ana', email: 'ana@example.test' });
    });

    it('creates a SOLVED ticket with the bridge as assignee (Zendesk needs one)', async () => {
      const created = await crm.createTicket(newTicket({ status: 'solved' }));
      expect(created).toMatchObject({ status: 'solved', assigneeId: String(sim.bridgeUser.id) });
    });

    it('is deduplicated by Zendesk when a create is retried after its response was lost', async () => {
      sim.fault({ match: 'POST /tickets.json', kind: 'drop-after-write', times: 1 });
      await expect(crm.createTicket(newTicket())).rejects.toMatchObject({ kind: 'network' });
      expect(sim.tickets()).toHaveLength(1);
      const retried = await crm.createTicket(newTicket());
      expect(sim.tickets()).toHaveLength(1);
      expect(retried.id).toBe(String(sim.tickets()[0]!.id));
    });

    it('finds a ticket by external id, with its comments; null when there is none', async () => {
      expect(await crm.findTicketByExternalId('connect:T-1')).toBeNull();
      const created = await crm.createTicket(newTicket());
      await crm.createTicket(newTicket({ externalId: 'connect:T-2', idempotencyKey: 'k2' }));
      const found = await crm.findTicketByExternalId('connect:T-1');
      expect(found).toEqual(created);
      expect(sim.requests('GET /tickets.json')[0]?.query).toEqual({ external_id: 'connect:T-1' });
    });
  });

  describe('getTicket', () => {
    it('reads every page of comments, in order, ids as strings', async () => {
      sim.pageSize = 2;
      const { id } = await crm.createTicket(newTicket({ status: 'open' }));
      for (const body of ['b', 'c', 'd', 'e']) await sim.agentReplies(id, body, { public: body !== 'c' });
      const before = sim.requests('GET /tickets/:id/comments.json').length;
      const ticket = await crm.getTicket(id);
      expect(ticket?.comments.map((c) => [c.body, c.public])).toEqual([
        ['Since 8am', true],
        ['b', true],
        ['c', false],
        ['d', true],
        ['e', true],
      ]);
      expect(ticket?.comments.every((c) => typeof c.id === 'string' && c.authorId !== '')).toBe(true);
      expect(sim.requests('GET /tickets/:id/comments.json').slice(before).map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
    });

    it('resolves null for an unknown ticket (404)', async () => {
      expect(await crm.getTicket('424242')).toBeNull();
    });

    describe('with commentsSince (issue 18: a long conversation costs one page per read)', () => {
      let clock = Date.parse('2026-01-01T00:00:00Z');
      let timed: ZendeskSimulator;
      let timedCrm: ZendeskCrm;
      beforeEach(async () => {
        // A minute between comments, so "since" falls between them.
        timed = await ZendeskSimulator.start({ apiToken: TOKEN, echoApiWrites: false, now: () => new Date(clock) });
        timedCrm = new ZendeskCrm({ baseUrl: timed.apiUrl, email: 'bridge@example.test', apiToken: TOKEN, timeoutMs: 2_000 });
      });
      afterEach(() => timed.stop());

      async function ticketWith(comments: number): Promise<string> {
        const { id } = await timedCrm.createTicket(newTicket({ status: 'open' }));
        for (let n = 1; n <= comments; n++) {
          clock += 60_000;
          await timed.agentReplies(id, `reply ${n}`);
        }
        return id;
      }

      it('a 300-comment ticket with one new comment: the ticket and one page, newest first', async () => {
        const id = await ticketWith(300);
        const before = timed.requests().length;
        const since = new Date(clock - 5 * 60_000).toISOString();
        const ticket = await timedCrm.getTicket(id, { commentsSince: since });
        const requests = timed.requests().slice(before);
        expect(requests.map((r) => r.route)).toEqual(['GET /tickets/:id.json', 'GET /tickets/:id/comments.json']);
        expect(requests[1]!.query).toMatchObject({ sort_order: 'desc' });
        // Oldest first, as always, and everything since `since` is there.
        const bodies = ticket!.comments.map((c) => c.body);
        expect(bodies.slice(-6)).toEqual(['reply 295', 'reply 296', 'reply 297', 'reply 298', 'reply 299', 'reply 300']);
        expect(ticket!.comments.every((c, i, all) => i === 0 || Date.parse(all[i - 1]!.createdAt) <= Date.parse(c.createdAt))).toBe(true);
      });

      it('pages back until it passes `since`, and then holds every comment since then', async () => {
        timed.pageSize = 3;
        const id = await ticketWith(10);
        const since = new Date(clock - 7 * 60_000).toISOString(); // replies 3..10
        const before = timed.requests('GET /tickets/:id/comments.json').length;
        const ticket = await timedCrm.getTicket(id, { commentsSince: since });
        expect(timed.requests('GET /tickets/:id/comments.json').length - before).toBe(3);
        const bodies = ticket!.comments.map((c) => c.body);
        expect(bodies).toEqual(expect.arrayContaining(['reply 3', 'reply 4', 'reply 10']));
        expect(bodies).toEqual([...bodies].sort((a, b) => Number(a.split(' ')[1] ?? 0) - Number(b.split(' ')[1] ?? 0)));
        // Without it: every page, oldest first, the description included.
        expect((await timedCrm.getTicket(id))!.comments.map((c) => c.body)).toEqual(['Since 8am', ...Array.from({ length: 10 }, (_, i) => `reply ${i + 1}`)]);
      });
    });
  });

  describe('addComment', () => {
    it("writes a user's message as a public comment by the ticket's requester, id from the audit", async () => {
      const t = await crm.createTicket(newTicket({ status: 'pending' }));
      const res = await crm.addComment(t.id, { body: 'Still broken', public: true, author: { as: 'requester' } }, noDedupe);
      const last = sim.comments(t.id).at(-1)!;
      // The write's answer carries the ticket: its version is the stamp for the next conditional write.
      expect(res).toEqual({ commentId: String(last.id), alreadyPresent: false, version: sim.ticket(t.id)!.updated_at, status: 'open' });
      expect(last).toMatchObject({ author_id: Number(t.requesterId), body: 'Still broken', public: true });
      expect(sim.ticket(t.id)?.status).toBe('open'); // an end-user reply reopens
    });

    it('writes internal notes as the bridge user', async () => {
      const t = await crm.createTicket(newTicket());
      await crm.addComment(t.id, { body: 'Ticket deleted in the app', public: false, author: { as: 'bridge' } }, noDedupe);
      expect(sim.comments(t.id).at(-1)).toMatchObject({ author_id: sim.bridgeUser.id, public: false });
    });

    it('finds the comment a lost response had already written, instead of writing it twice', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const lastSeen = t.comments.at(-1)!.id;
      sim.fault({ match: 'PUT /tickets/:id.json', kind: 'drop-after-write', times: 1 });
      const comment = { body: 'Any update?', public: true, author: { as: 'requester' } } as const;
      await expect(crm.addComment(t.id, comment, noDedupe)).rejects.toMatchObject({ kind: 'network' });

      const retry = await crm.addComment(t.id, comment, { check: true, afterCommentId: lastSeen, excludeIds: [] });
      // Found, not written: others may have written since, so the version is unknown.
      expect(retry).toEqual({ commentId: String(sim.comments(t.id).at(-1)!.id), alreadyPresent: true, version: null, status: null });
      expect(sim.comments(t.id).filter((c) => c.body === 'Any update?')).toHaveLength(1);
      expect(sim.requests('PUT /tickets/:id.json')).toHaveLength(1);
    });

    it('does not take a comment with another author, visibility, or an excluded id for its own', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const window = { check: true, afterCommentId: t.comments.at(-1)!.id, excludeIds: [] as string[] };
      const reply = { body: 'Same text', public: true, author: { as: 'requester' } } as const;
      await sim.agentReplies(t.id, 'Same text'); // differs only by author
      await crm.addComment(t.id, { ...reply, public: false }, noDedupe); // differs only by visibility
      const written = await crm.addComment(t.id, reply, window);
      expect(written.alreadyPresent).toBe(false);
      const excluded = await crm.addComment(t.id, reply, { ...window, excludeIds: [written.commentId] });
      expect(excluded.alreadyPresent).toBe(false);
      const found = await crm.addComment(t.id, reply, window);
      expect(found).toEqual({ commentId: written.commentId, alreadyPresent: true, version: null, status: null });
      expect(sim.comments(t.id).filter((c) => c.body === 'Same text')).toHaveLength(4);
    });

    it('with a condition, writes only onto the version it was given: else a write-conflict, nothing written', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const read = sim.ticket(t.id)!.updated_at;
      await new Promise((resolve) => setTimeout(resolve, 5));
      await sim.agentReplies(t.id, 'An agent was quicker.');
      const comment = { body: 'From the app', public: true, author: { as: 'requester', id: t.requesterId } } as const;
      const err = await failure(crm.addComment(t.id, comment, noDedupe, { version: read }));
      expect(err).toMatchObject({ kind: 'write-conflict' });
      expect(sim.comments(t.id).map((c) => c.body)).not.toContain('From the app');
      // On the current version it lands, and its answer is the ticket right after it.
      const landed = await crm.addComment(t.id, comment, noDedupe, { version: sim.ticket(t.id)!.updated_at });
      expect(landed).toMatchObject({ alreadyPresent: false, version: sim.ticket(t.id)!.updated_at, status: 'open' });
      expect(sim.comments(t.id).filter((c) => c.body === 'From the app')).toHaveLength(1);
      // The requester id given is used as the author: no read of the ticket to learn it.
      expect(sim.requests('GET /tickets/:id.json')).toHaveLength(0);
    });
  });

  describe('getTicketVersions', () => {
    it('reads many tickets, 100 a request, without their comments; unknown ids are left out', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 101; i++) ids.push((await crm.createTicket(newTicket({ externalId: `connect:T-${i}`, idempotencyKey: `k-${i}` }))).id);
      await sim.agentSetsStatus(ids[7]!, 'pending');
      const before = sim.requests().length;
      const versions = await crm.getTicketVersions([...ids, '999999']);
      expect(versions.size).toBe(101);
      expect(versions.get(ids[7]!)).toEqual({ status: 'pending', updatedAt: sim.ticket(ids[7]!)!.updated_at });
      expect(versions.has('999999')).toBe(false);
      const made = sim.requests().slice(before);
      expect(made.map((r) => [r.route, r.query.ids!.split(',').length])).toEqual([
        ['GET /tickets/show_many.json', 100],
        ['GET /tickets/show_many.json', 2],
      ]);
    });
  });

  describe('comments with files', () => {
    it("reads a comment's attachments (only on comments that have some); an entry of an unknown shape is skipped", async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const bytes = Buffer.from('%PDF-1.4 guide');
      await sim.agentReplies(t.id, 'Guide attached', { attachments: [{ fileName: 'guide.pdf', contentType: 'application/pdf', bytes }] });
      const [description, reply] = (await crm.getTicket(t.id))!.comments;
      expect(description).not.toHaveProperty('attachments');
      expect(reply!.attachments).toEqual([
        { id: expect.any(String), name: 'guide.pdf', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/), contentType: 'application/pdf', size: bytes.length },
      ]);
    });

    it('uploads only when no copy landed, binds the tokens and appends the lines in the same write; a retry finds the copy by its message', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const lastSeen = t.comments.at(-1)!.id;
      let uploads = 0;
      const files = async () => {
        uploads++;
        const up = await crm.files.upload({ name: 'meter.png', contentType: 'image/png', size: 3, body: Readable.from([Buffer.from('png')]) });
        return { uploads: [up.id], lines: ['attachment big.pdf (31 MB) not transferred: over the 20 MB limit'] };
      };
      const comment = { body: 'Photo', public: true, author: { as: 'requester' as const }, files };
      const written = await crm.addComment(t.id, comment, noDedupe);
      const last = sim.comments(t.id).at(-1)!;
      expect(last.body).toBe('Photo\n\nattachment big.pdf (31 MB) not transferred: over the 20 MB limit');
      expect(last.attachments.map((a) => a.file_name)).toEqual(['meter.png']);
      // The retry's lines might differ (a file that failed for good this time): the message decides.
      const retry = await crm.addComment(t.id, { ...comment, files: async () => ({ uploads: [], lines: [] }) }, { check: true, afterCommentId: lastSeen, excludeIds: [] });
      expect(retry).toEqual({ commentId: written.commentId, alreadyPresent: true, version: null, status: null });
      expect(uploads).toBe(1);
      expect(sim.comments(t.id).filter((c) => c.body.startsWith('Photo'))).toHaveLength(1);
    });
  });

  describe('setStatus / setAssignee', () => {
    it('assigns the bridge user when solving an unassigned ticket', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      await crm.setStatus(t.id, 'solved');
      expect(sim.ticket(t.id)).toMatchObject({ status: 'solved', assignee_id: sim.bridgeUser.id });
      expect(sim.requests('PUT /tickets/:id.json').at(-1)?.body).toEqual({ ticket: { status: 'solved', assignee_id: sim.bridgeUser.id } });
    });

    it("keeps an agent's assignment when solving, and sends only the status otherwise", async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      await crm.setAssignee(t.id, String(sim.agent.id));
      await crm.setStatus(t.id, 'pending');
      await crm.setStatus(t.id, 'solved');
      expect(sim.ticket(t.id)).toMatchObject({ status: 'solved', assignee_id: sim.agent.id });
      expect(sim.requests('PUT /tickets/:id.json').slice(-2).map((r) => r.body)).toEqual([
        { ticket: { status: 'pending' } },
        { ticket: { status: 'solved' } },
      ]);
      // Unassigning a solved ticket breaks "solving requires an assignee".
      await expect(crm.setAssignee(t.id, null)).rejects.toMatchObject({ kind: 'unprocessable' });
      expect(sim.ticket(t.id)?.assignee_id).toBe(sim.agent.id);
    });

    it('surfaces any change to a closed ticket as a non-retryable unprocessable', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      await sim.agentSetsStatus(t.id, 'closed');
      for (const act of [() => crm.setStatus(t.id, 'open'), () => crm.addComment(t.id, { body: 'x', public: true, author: { as: 'bridge' } }, noDedupe)]) {
        const err = await failure(act());
        expect(err).toMatchObject({ kind: 'unprocessable', status: 422, operation: 'PUT /tickets/{id}.json' });
        expect(err.retryable).toBe(false);
      }
    });

    it('closes a ticket known to be assigned at the given version without reading it first', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      await crm.setAssignee(t.id, String(sim.agent.id));
      const version = sim.ticket(t.id)!.updated_at;
      const before = sim.requests().length;
      const condition = { version, status: 'open', afterCommentId: null, excludeIds: [], assigned: true } as const;
      await crm.setStatus(t.id, 'closed', condition);
      expect(sim.requests().slice(before).map((r) => r.route)).toEqual(['PUT /tickets/:id.json']);
      expect(sim.ticket(t.id)).toMatchObject({ status: 'closed', assignee_id: sim.agent.id });
    });

    it('treats closing an already closed ticket as done (a retry after the close landed)', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      sim.fault({ match: 'PUT /tickets/:id.json', kind: 'drop-after-write', times: 1 });
      await expect(crm.setStatus(t.id, 'closed')).rejects.toMatchObject({ kind: 'network' });
      await expect(crm.setStatus(t.id, 'closed')).resolves.toEqual({ version: null });
      expect(sim.ticket(t.id)?.status).toBe('closed');
      expect(sim.requests('PUT /tickets/:id.json')).toHaveLength(1);
    });

    it('cannot move a ticket back to new (422)', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      await expect(crm.setStatus(t.id, 'new')).rejects.toMatchObject({ kind: 'unprocessable' });
    });

    it('sets and clears the assignee', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      await crm.setAssignee(t.id, String(sim.agent.id));
      expect(sim.ticket(t.id)?.assignee_id).toBe(sim.agent.id);
      await crm.setAssignee(t.id, null);
      expect(sim.ticket(t.id)?.assignee_id).toBeNull();
    });
  });

  describe('updateFields (later changes of mapped fields)', () => {
    const mappedTicket = () =>
      crm.createTicket(newTicket({ fields: { tags: ['tenant_north'], brandId: 101, groupId: 201, customFields: [{ id: 5001, value: 'house-12' }, { id: 5002, value: 'c-1' }] } }));

    it('one conditional PUT: fields overwritten, a custom field emptied, tags added and taken off, anyone else\'s tags kept', async () => {
      const t = await mappedTicket();
      await sim.agentAddsTags(t.id, ['vip']);
      const read = sim.ticket(t.id)!.updated_at;
      const { version } = await crm.updateFields(
        t.id,
        { set: { brandId: 102, customFields: [{ id: 5002, value: null }] }, addTags: ['tenant_south'], removeTags: (tag) => tag === 'tenant_north' || tag === 'tenant_south' },
        read,
      );
      expect(sim.requests('PUT /tickets/:id.json').map((r) => r.body)).toEqual([
        // The tags to take off come from a read; a tag being added is never taken off.
        { ticket: { brand_id: 102, custom_fields: [{ id: 5002, value: null }], additional_tags: ['tenant_south'], remove_tags: ['tenant_north'], safe_update: true, updated_stamp: read } },
      ]);
      expect(sim.ticket(t.id)).toMatchObject({
        brand_id: 102,
        group_id: 201,
        custom_fields: [{ id: 5001, value: 'house-12' }],
        tags: ['ticket-bridge', 'source-connect', 'vip', 'tenant_south'],
        updated_at: version,
      });
    });

    it('nothing to take off and a known version: no read first', async () => {
      const t = await mappedTicket();
      const reads = sim.requests('GET /tickets/:id.json').length;
      await crm.updateFields(t.id, { set: { priority: 'urgent' }, addTags: [] }, sim.ticket(t.id)!.updated_at);
      expect(sim.requests('GET /tickets/:id.json')).toHaveLength(reads);
      expect(sim.ticket(t.id)?.priority).toBe('urgent');
    });

    it('a ticket changed after the version: a write-conflict, nothing written', async () => {
      const t = await mappedTicket();
      const read = sim.ticket(t.id)!.updated_at;
      await new Promise((r) => setTimeout(r, 5));
      await sim.agentAddsTags(t.id, ['vip']);
      const plain = await failure(crm.updateFields(t.id, { set: { groupId: 202 }, addTags: [] }, read));
      expect(plain).toMatchObject({ kind: 'write-conflict', status: 409 });
      // With tags to take off, the read before the write finds the change already.
      const withTags = await failure(crm.updateFields(t.id, { set: { groupId: 202 }, addTags: [], removeTags: () => true }, read));
      expect(withTags).toMatchObject({ kind: 'write-conflict' });
      expect(sim.ticket(t.id)?.group_id).toBe(201);
    });

    it('without a known version, writes on the version a read finds', async () => {
      const t = await mappedTicket();
      const read = sim.ticket(t.id)!.updated_at;
      await crm.updateFields(t.id, { set: { formId: 301 }, addTags: [] }, null);
      expect(sim.requests('PUT /tickets/:id.json').at(-1)?.body).toEqual({ ticket: { ticket_form_id: 301, safe_update: true, updated_stamp: read } });
    });
  });

  describe('conditional status writes (safe_update)', () => {
    const conditionFor = (t: { status: string }, version: string | null, afterCommentId: string | null = null) =>
      ({ version, status: t.status, afterCommentId, excludeIds: [] }) as Parameters<ZendeskCrm['setStatus']>[2] & object;

    it('writes with the stamp it was given and answers the new version', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const read = sim.ticket(t.id)!.updated_at;
      const { version } = await crm.setStatus(t.id, 'pending', conditionFor(t, read));
      expect(sim.requests('PUT /tickets/:id.json').at(-1)?.body).toEqual({ ticket: { status: 'pending', safe_update: true, updated_stamp: read } });
      expect(sim.ticket(t.id)).toMatchObject({ status: 'pending', updated_at: version });
      expect(version).not.toBe(read);
    });

    it('writes nothing to a ticket changed after the stamp: a non-retryable write-conflict', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const read = sim.ticket(t.id)!.updated_at;
      await new Promise((r) => setTimeout(r, 5));
      await sim.agentSetsStatus(t.id, 'pending');
      await sim.agentSetsStatus(t.id, 'open'); // back where it was read: only the stamp tells
      const err = await failure(crm.setStatus(t.id, 'hold', conditionFor(t, read)));
      expect(err).toMatchObject({ kind: 'write-conflict', status: 409 });
      expect(err.retryable).toBe(false);
      expect(sim.ticket(t.id)?.status).toBe('open');
    });

    it('Zendesk itself refuses a stale stamp with 409 UpdateConflict', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const res = await fetch(`${sim.apiUrl}/tickets/${t.id}.json`, {
        method: 'PUT',
        headers: { authorization: `Basic ${Buffer.from(`bridge@example.test/token:${TOKEN}`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket: { status: 'pending', safe_update: true, updated_stamp: '2000-01-01T00:00:00Z' } }),
      });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: 'UpdateConflict' });
      expect(sim.ticket(t.id)?.status).toBe('open');
    });

    it('without a known version, re-reads: an agent reply since the read is a conflict', async () => {
      const t = await crm.createTicket(newTicket({ status: 'solved' }));
      const seen = t.comments.at(-1)!.id;
      await sim.agentReplies(t.id, 'Reset it remotely.', { status: 'solved' });
      const err = await failure(crm.setStatus(t.id, 'open', conditionFor(t, null, seen)));
      expect(err).toMatchObject({ kind: 'write-conflict' });
      expect(sim.ticket(t.id)?.status).toBe('solved');
    });

    it('without a known version, re-reads: a changed status is a conflict, an unchanged ticket is written', async () => {
      const t = await crm.createTicket(newTicket({ status: 'open' }));
      const seen = t.comments.at(-1)!.id;
      await sim.agentSetsStatus(t.id, 'hold');
      await expect(crm.setStatus(t.id, 'pending', conditionFor(t, null, seen))).rejects.toMatchObject({ kind: 'write-conflict' });
      const now = sim.ticket(t.id)!;
      await crm.setStatus(t.id, 'pending', { version: null, status: 'hold', afterCommentId: seen, excludeIds: [] });
      expect(sim.ticket(t.id)?.status).toBe('pending');
      expect(sim.requests('PUT /tickets/:id.json').at(-1)?.body).toMatchObject({ ticket: { safe_update: true, updated_stamp: now.updated_at } });
    });
  });

  describe('error classification', () => {
    let id: string;
    beforeEach(async () => {
      id = (await crm.createTicket(newTicket({ status: 'open' }))).id;
    });

    const retryAt = new Date(Date.now() + 3_600_000).toUTCString();
    const cases: [string, () => void, () => Promise<unknown>, Partial<IntegrationError>, boolean][] = [
      ['400 (idempotency key reused with another body)', () => {}, () => crm.createTicket(newTicket({ subject: 'same key, other body' })), { kind: 'bad-request', status: 400 }, false],
      ['401 (wrong token)', () => {}, () => new ZendeskCrm({ baseUrl: sim.apiUrl, email: 'bridge@example.test', apiToken: 'nope' }).getTicket(id), { kind: 'unauthorized', status: 401 }, false],
      ['403', () => sim.fault({ kind: 'error', status: 403, times: 1 }), () => crm.getTicket(id), { kind: 'forbidden', status: 403 }, false],
      ['404 on a write', () => {}, () => crm.setAssignee('424242', null), { kind: 'not-found', status: 404, operation: 'PUT /tickets/{id}.json' }, false],
      ['422 (assignee is not an agent)', () => {}, () => crm.setAssignee(id, '1'), { kind: 'unprocessable', status: 422 }, false],
      ['429 + Retry-After as an HTTP date', () => sim.fault({ kind: 'rate-limit', retryAfter: retryAt, times: 1 }), () => crm.getTicket(id), { kind: 'rate-limited', status: 429 }, true],
      ['500', () => sim.fault({ kind: 'error', status: 500, times: 1 }), () => crm.getTicket(id), { kind: 'server-error', status: 500 }, true],
      ['dropped connection', () => sim.fault({ match: 'GET /tickets/:id/comments.json', kind: 'drop', times: 1 }), () => crm.getTicket(id), { kind: 'network', operation: 'GET /tickets/{id}/comments.json' }, true],
      ['timeout', () => sim.fault({ kind: 'latency', delayMs: 800, times: 1 }), () => crm.getTicket(id), { kind: 'timeout' }, true],
      ['unparsable 2xx', () => sim.fault({ kind: 'malformed', times: 1 }), () => crm.getTicket(id), { kind: 'invalid-response' }, true],
    ];

    it.each(cases)('%s', async (_name, arrange, act, expected, retryable) => {
      arrange();
      const err = await failure(act());
      expect(err).toMatchObject({ service: 'zendesk', ...expected });
      expect(err.retryable).toBe(retryable);
      for (const leak of [TOKEN, 'bridge@example.test', 'user-77', sim.apiUrl, `/tickets/${id}`]) expect(err.message).not.toContain(leak);
    });

    it('turns an HTTP-date Retry-After into retryAfterMs', async () => {
      sim.fault({ kind: 'rate-limit', retryAfter: retryAt, times: 1 });
      const err = await failure(crm.getTicket(id));
      expect(err.retryAfterMs).toBeGreaterThan(3_500_000);
      expect(err.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    });
  });
});
