import { createHmac } from 'node:crypto';
import { ZendeskRuleError, ZendeskSimulator } from '../../src/simulators/zendesk';
import { startReceiver, type Receiver } from './receiver';
import { eventually } from '../harness';

/** Raw HTTP against the simulator: it must behave as zendesk-api.md says. */
describe('Zendesk simulator', () => {
  let sim: ZendeskSimulator;
  let receiver: Receiver;
  const auth = (email = 'bridge@example.test', token = 'tok') =>
    `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;

  beforeEach(async () => {
    receiver = await startReceiver(200);
    sim = await ZendeskSimulator.start({ apiToken: 'tok', webhookUrl: `${receiver.url}/webhooks/zendesk`, webhookSecret: 's3cret' });
  });
  afterEach(async () => {
    await sim.webhooks.idle();
    await sim.stop();
    await receiver.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(path.startsWith('http') ? path : sim.apiUrl + path, {
      method,
      headers: { authorization: auth(), 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
  };
  const newTicket = (over: Record<string, unknown> = {}) => ({
    ticket: {
      subject: 'No power',
      comment: { body: 'Since 8am', public: true },
      requester: { name: 'App user u-1' },
      external_id: 'connect:T-1',
      tags: ['ticket-bridge'],
      ...over,
    },
  });
  const create = async (over: Record<string, unknown> = {}) => (await call('POST', '/tickets.json', newTicket(over))).body.ticket;

  describe('auth and users', () => {
    it('authenticates the bridge API user by Basic {email}/token:{token}', async () => {
      expect((await call('GET', '/users/me.json', undefined, { authorization: auth('bridge@example.test', 'nope') })).status).toBe(401);
      expect((await call('GET', '/users/me.json', undefined, { authorization: auth('other@example.test', 'tok') })).status).toBe(401);
      const me = await call('GET', '/users/me.json');
      expect(me.status).toBe(200);
      expect(me.body.user).toMatchObject({ id: sim.bridgeUser.id, email: 'bridge@example.test' });
      expect(sim.requests('GET /users/me.json')[0]?.headers.authorization).toBeUndefined();
    });
  });

  describe('tickets', () => {
    it('creates a ticket with a new requester; the submitter (bridge) authors the first comment', async () => {
      const res = await call('POST', '/tickets.json', newTicket());
      expect(res.status).toBe(201);
      const t = res.body.ticket;
      expect(t).toMatchObject({ status: 'new', external_id: 'connect:T-1', tags: ['ticket-bridge'], submitter_id: sim.bridgeUser.id, assignee_id: null });
      expect(sim.user(t.requester_id)).toMatchObject({ name: 'App user u-1', email: null, role: 'end-user' });
      expect(sim.comments(t.id)).toEqual([expect.objectContaining({ author_id: sim.bridgeUser.id, body: 'Since 8am', public: true })]);
    });

    it('matches an existing requester by e-mail', async () => {
      const a = await create({ requester: { name: 'Ana', email: 'ana@example.test' } });
      const b = await create({ requester: { name: 'Ana B.', email: 'ana@example.test' }, external_id: 'connect:T-2' });
      expect(b.requester_id).toBe(a.requester_id);
    });

    it('dedupes creates by Idempotency-Key (hit/miss), and rejects the key with another body (400)', async () => {
      const first = await call('POST', '/tickets.json', newTicket(), { 'Idempotency-Key': 'k1' });
      const again = await call('POST', '/tickets.json', newTicket(), { 'Idempotency-Key': 'k1' });
      expect(first.headers.get('x-idempotency-lookup')).toBe('miss');
      expect(again.headers.get('x-idempotency-lookup')).toBe('hit');
      expect(again.status).toBe(201);
      expect(again.body.ticket.id).toBe(first.body.ticket.id);
      expect(sim.tickets()).toHaveLength(1);
      const other = await call('POST', '/tickets.json', newTicket({ subject: 'changed' }), { 'Idempotency-Key': 'k1' });
      expect(other.status).toBe(400);
      expect((await call('POST', '/tickets.json', newTicket(), { 'Idempotency-Key': 'x'.repeat(256) })).status).toBe(400);
      await call('POST', '/tickets.json', newTicket());
      expect(sim.tickets()).toHaveLength(2);
    });

    it('forgets an Idempotency-Key after 2 hours', async () => {
      let clock = Date.parse('2030-01-01T00:00:00Z');
      await sim.stop();
      sim = await ZendeskSimulator.start({ apiToken: 'tok', now: () => new Date(clock) });
      await call('POST', '/tickets.json', newTicket(), { 'Idempotency-Key': 'k1' });
      clock += 2 * 3600_000;
      const later = await call('POST', '/tickets.json', newTicket(), { 'Idempotency-Key': 'k1' });
      expect(later.headers.get('x-idempotency-lookup')).toBe('miss');
      expect(sim.tickets()).toHaveLength(2);
    });

    it('finds tickets by external_id', async () => {
      const a = await create();
      await create({ external_id: 'connect:T-2' });
      const res = await call('GET', '/tickets.json?external_id=connect%3AT-1');
      expect(res.body.tickets.map((t: { id: number }) => t.id)).toEqual([a.id]);
      expect((await call('GET', '/tickets.json?external_id=none')).body.tickets).toEqual([]);
    });

    it('paginates comments with absolute next_page links', async () => {
      sim.pageSize = 2;
      const t = await create();
      for (const body of ['b', 'c', 'd', 'e']) await sim.agentReplies(t.id, body);
      const bodies: string[] = [];
      let next: string | null = `${sim.apiUrl}/tickets/${t.id}/comments.json`;
      let pages = 0;
      while (next) {
        const page: { body: { comments: { body: string }[]; next_page: string | null; count: number } } = await call('GET', next);
        expect(page.body.count).toBe(5);
        bodies.push(...page.body.comments.map((c) => c.body));
        next = page.body.next_page;
        pages++;
      }
      expect(pages).toBe(3);
      expect(bodies).toEqual(['Since 8am', 'b', 'c', 'd', 'e']);
    });

    it('answers 404 RecordNotFound for an unknown ticket', async () => {
      const res = await call('GET', '/tickets/999.json');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'RecordNotFound', description: 'Not found' });
      expect((await call('PUT', '/tickets/999.json', { ticket: { status: 'open' } })).status).toBe(404);
    });

    it('returns the audit with a Comment event whose id is the new comment id', async () => {
      const t = await create();
      const res = await call('PUT', `/tickets/${t.id}.json`, { ticket: { comment: { body: 'note', public: false } } });
      expect(res.status).toBe(200);
      const event = res.body.audit.events.find((e: { type: string }) => e.type === 'Comment');
      expect(event).toMatchObject({ type: 'Comment', body: 'note', public: false, author_id: sim.bridgeUser.id });
      expect(sim.comments(t.id).at(-1)?.id).toBe(event.id);
    });
  });

  describe('ticket rules', () => {
    it('never lets a ticket go back to new (422)', async () => {
      const t = await create();
      expect((await call('PUT', `/tickets/${t.id}.json`, { ticket: { status: 'open' } })).status).toBe(200);
      const back = await call('PUT', `/tickets/${t.id}.json`, { ticket: { status: 'new' } });
      expect(back.status).toBe(422);
      expect(back.body.error).toBe('RecordInvalid');
    });

    it('requires an assignee to solve (422), and accepts solve + assignee in one update', async () => {
      const t = await create();
      expect((await call('PUT', `/tickets/${t.id}.json`, { ticket: { status: 'solved' } })).status).toBe(422);
      expect(sim.ticket(t.id)?.status).toBe('new');
      const ok = await call('PUT', `/tickets/${t.id}.json`, { ticket: { status: 'solved', assignee_id: sim.bridgeUser.id } });
      expect(ok.status).toBe(200);
      expect(sim.ticket(t.id)).toMatchObject({ status: 'solved', assignee_id: sim.bridgeUser.id });
      const requester = sim.ticket(t.id)!.requester_id;
      expect((await call('PUT', `/tickets/${t.id}.json`, { ticket: { assignee_id: requester } })).status).toBe(422);
    });

    it('makes a closed ticket read-only (422 for any update, comments included)', async () => {
      const t = await create({ status: 'open' });
      await sim.agentSetsStatus(t.id, 'closed');
      for (const ticket of [{ status: 'open' }, { comment: { body: 'hello' } }, { assignee_id: null }]) {
        const res = await call('PUT', `/tickets/${t.id}.json`, { ticket });
        expect(res.status).toBe(422);
      }
      expect(sim.comments(t.id)).toHaveLength(1);
      await expect(sim.agentReplies(t.id, 'x')).rejects.toBeInstanceOf(ZendeskRuleError);
    });

    it("reopens pending/solved/hold on an end user's comment, unless the update sets a status", async () => {
      const t = await create({ status: 'open' });
      for (const parked of ['pending', 'hold', 'solved'] as const) {
        await sim.agentSetsStatus(t.id, parked);
        const res = await call('PUT', `/tickets/${t.id}.json`, { ticket: { comment: { body: 'me again', author_id: t.requester_id } } });
        expect(res.body.ticket.status).toBe('open');
      }
      await sim.agentSetsStatus(t.id, 'pending');
      await sim.agentReplies(t.id, 'agent comment');
      expect(sim.ticket(t.id)?.status).toBe('pending');
      await call('PUT', `/tickets/${t.id}.json`, { ticket: { status: 'pending', comment: { body: 'explicit', author_id: t.requester_id } } });
      expect(sim.ticket(t.id)?.status).toBe('pending');
      await sim.requesterReplies(t.id, 'by email');
      expect(sim.ticket(t.id)?.status).toBe('open');
    });

    it('assigns the acting agent when an agent solves an unassigned ticket (as the agent UI does)', async () => {
      const t = await create({ status: 'open' });
      await sim.agentSetsStatus(t.id, 'solved');
      expect(sim.ticket(t.id)).toMatchObject({ status: 'solved', assignee_id: sim.agent.id });
    });
  });

  describe('webhooks', () => {
    const verify = (r: { headers: Record<string, unknown>; rawBody: string }) => {
      const ts = String(r.headers['x-zendesk-webhook-signature-timestamp']);
      const expected = createHmac('sha256', 's3cret').update(ts + r.rawBody).digest('base64');
      return r.headers['x-zendesk-webhook-signature'] === expected;
    };

    it('sends signed comment_added events in the event-subscription shape when an agent replies', async () => {
      sim.echoApiWrites = false;
      const t = await create({ status: 'open' });
      const { comment, webhooks } = await sim.agentReplies(t.id, 'We are on it');
      expect(webhooks.map((w) => w.status)).toEqual([200]);
      const [r] = receiver.received;
      expect(verify(r!)).toBe(true);
      expect(r!.headers['x-zendesk-webhook-signature-timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(r!.body).toEqual({
        account_id: expect.any(Number),
        id: expect.any(String),
        time: expect.any(String),
        type: 'zen:event-type:ticket.comment_added',
        zendesk_event_version: '2022-11-06',
        subject: `zen:ticket:${t.id}`,
        detail: expect.objectContaining({
          id: String(t.id),
          external_id: 'connect:T-1',
          status: 'OPEN',
          actor_id: String(sim.agent.id),
          requester_id: String(t.requester_id),
        }),
        event: {
          comment: { id: String(comment.id), body: 'We are on it', is_public: true, author: { id: String(sim.agent.id), is_staff: true, name: 'Agent Smith' } },
        },
      });
    });

    it('sends status_changed with current/previous, and marks internal notes is_public false', async () => {
      sim.echoApiWrites = false;
      const t = await create({ status: 'open' });
      await sim.agentAddsNote(t.id, 'internal');
      await sim.agentSetsStatus(t.id, 'solved');
      const [note, status] = receiver.received.map((r) => r.body as any);
      expect(note.event.comment.is_public).toBe(false);
      expect(status).toMatchObject({ type: 'zen:event-type:ticket.status_changed', event: { current: 'SOLVED', previous: 'OPEN' }, detail: { status: 'SOLVED' } });
      expect(receiver.received.every(verify)).toBe(true);
    });

    it("echoes the bridge's own API writes by default (actor = bridge user), and not when turned off", async () => {
      const t = await create({ status: 'open' });
      await call('PUT', `/tickets/${t.id}.json`, { ticket: { status: 'pending', comment: { body: 'from the app', author_id: t.requester_id } } });
      await sim.webhooks.idle();
      const bodies = receiver.received.map((r) => r.body as any);
      const types = bodies.map((b) => b.type);
      expect(types).toEqual(['zen:event-type:ticket.comment_added', 'zen:event-type:ticket.comment_added', 'zen:event-type:ticket.status_changed']);
      expect(bodies.every((b) => b.detail.actor_id === String(sim.bridgeUser.id))).toBe(true);
      expect(bodies[1].event.comment.author).toMatchObject({ id: String(t.requester_id), is_staff: false });

      sim.echoApiWrites = false;
      await call('PUT', `/tickets/${t.id}.json`, { ticket: { status: 'open' } });
      await sim.webhooks.idle();
      expect(receiver.received).toHaveLength(3);
    });

    it('can deliver each event twice, and a held batch shuffled', async () => {
      sim.echoApiWrites = false;
      const t = await create({ status: 'open' });
      sim.webhooks.options = { times: 2 };
      await sim.agentReplies(t.id, 'one');
      expect(receiver.received).toHaveLength(2);
      expect((receiver.received[0]!.body as any).id).toBe((receiver.received[1]!.body as any).id);
      sim.webhooks.options = {};
      sim.webhooks.hold();
      for (const body of ['a', 'b', 'c', 'd', 'e', 'f']) await sim.agentReplies(t.id, body);
      const sent = await sim.webhooks.release({ order: 'shuffle' });
      expect(sent).toHaveLength(6);
      const bodies = receiver.received.slice(2).map((r) => (r.body as any).event.comment.body);
      expect([...bodies].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    });
  });

  describe('faults', () => {
    it('applies a PUT with drop-after-write: the comment exists, the client saw a dropped connection', async () => {
      sim.echoApiWrites = false;
      const t = await create();
      sim.fault({ match: 'PUT /tickets/:id.json', kind: 'drop-after-write', times: 1 });
      await expect(call('PUT', `/tickets/${t.id}.json`, { ticket: { comment: { body: 'landed' } } })).rejects.toThrow('fetch failed');
      expect(sim.comments(t.id).map((c) => c.body)).toEqual(['Since 8am', 'landed']);
      expect(sim.requests('PUT /tickets/:id.json')[0]?.status).toBe('dropped');
    });

    it('answers late after the write with latency afterWrite: the comment is there while the answer is still on its way', async () => {
      sim.echoApiWrites = false;
      const t = await create();
      sim.fault({ match: 'PUT /tickets/:id.json', kind: 'latency', afterWrite: true, delayMs: 2_000, times: 1 });
      const answer = call('PUT', `/tickets/${t.id}.json`, { ticket: { comment: { body: 'landed' } } });
      let answered = false;
      void answer.then(() => (answered = true));
      await eventually(() => expect(sim.comments(t.id).map((c) => c.body)).toEqual(['Since 8am', 'landed']), { intervalMs: 10 });
      expect(answered).toBe(false);
      expect((await answer).status).toBe(200);
    });

    it('injects 403 and 429 with the Zendesk error bodies', async () => {
      sim.fault({ match: 'GET /users/me.json', kind: 'error', status: 403, times: 1 });
      sim.fault({ match: 'GET /users/me.json', kind: 'rate-limit', retryAfter: 30, times: 1 });
      const forbidden = await call('GET', '/users/me.json');
      expect(forbidden).toMatchObject({ status: 403, body: { error: 'Forbidden' } });
      const limited = await call('GET', '/users/me.json');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('30');
      expect((await call('GET', '/users/me.json')).status).toBe(200);
    });
  });
});
