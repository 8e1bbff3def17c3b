import { ConnectSimulator } from '../../src/simulators/connect';
import { startReceiver, type Receiver } from './receiver';

/** Raw HTTP against the simulator: it must behave as connect-tickets-api.md says. */
describe('Connect simulator', () => {
  let sim: ConnectSimulator;
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await startReceiver();
    sim = await ConnectSimulator.start({ apiKey: 'k-123', webhookUrl: `${receiver.url}/webhooks/connect?auth_token=tok` });
  });
  afterEach(async () => {
    await sim.stop();
    await receiver.close();
  });

  const call = async (method: string, path: string, body?: unknown, key = 'k-123') => {
    const res = await fetch(sim.url + path, {
      method,
      headers: { 'clevergy-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
  };

  describe('REST API', () => {
    it('requires the API key, answering 401 with the documented error body', async () => {
      const { ticket } = await sim.userCreatesTicket({ title: 't', description: 'd' });
      for (const key of ['wrong', '']) {
        const res = await call('GET', `/tickets/${ticket.id}`, undefined, key);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ timestamp: expect.any(String), status: 401, error: 'Unauthorized', path: `/tickets/${ticket.id}` });
      }
    });

    it('serves a created ticket in the documented Ticket shape', async () => {
      const { ticket } = await sim.userCreatesTicket({ title: 'No power', description: 'Since 8am', userId: 'u-9', houseId: 'h-1' });
      const res = await call('GET', `/tickets/${ticket.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: ticket.id,
        tenantId: 'tenant-sim',
        status: 'NEW',
        title: 'No power',
        description: 'Since 8am',
        userId: 'u-9',
        houseId: 'h-1',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        comments: [],
      });
    });

    it('answers 404 with the documented body for an unknown ticket', async () => {
      const res = await call('GET', '/tickets/nope');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ status: 404, error: 'Not Found', path: '/tickets/nope' });
    });

    it('updates the status (and updatedAt), rejecting unknown statuses with 400', async () => {
      let clock = Date.parse('2030-01-01T00:00:00Z');
      await sim.stop();
      sim = await ConnectSimulator.start({ apiKey: 'k-123', now: () => new Date(clock) });
      const { ticket } = await sim.userCreatesTicket({ title: 't', description: 'd' });
      clock += 60_000;
      const ok = await call('PUT', `/tickets/${ticket.id}`, { status: 'PENDING' });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ status: 'PENDING', updatedAt: '2030-01-01T00:01:00.000Z', createdAt: '2030-01-01T00:00:00.000Z' });
      const bad = await call('PUT', `/tickets/${ticket.id}`, { status: 'RESOLVED' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ status: 400, error: 'Bad Request' });
      expect(sim.ticket(ticket.id)?.status).toBe('PENDING');
    });

    it('adds SUPPORT comments with numeric, increasing ids (201), rejecting an empty message (400)', async () => {
      const { ticket } = await sim.userCreatesTicket({ title: 't', description: 'd' });
      const ids: number[] = [];
      for (const message of ['one', 'two', 'three']) {
        const res = await call('POST', `/tickets/${ticket.id}/comment`, { message });
        expect(res.status).toBe(201);
        expect(res.body).toEqual({
          id: expect.any(Number),
          ticketId: ticket.id,
          message,
          author: 'SUPPORT',
          attachments: [],
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        });
        ids.push(res.body.id);
      }
      expect(ids[1]! - ids[0]!).toBe(1);
      expect(ids[2]! - ids[1]!).toBe(1);
      expect((await call('POST', `/tickets/${ticket.id}/comment`, { message: '' })).status).toBe(400);
      expect((await call('POST', '/tickets/nope/comment', { message: 'x' })).status).toBe(404);
      expect(sim.ticket(ticket.id)?.comments.map((c) => c.message)).toEqual(['one', 'two', 'three']);
    });

    it('hands out a signed attachment upload URL that attaches the file', async () => {
      const { ticket } = await sim.userCreatesTicket({ title: 't', description: 'd' });
      const comment = (await call('POST', `/tickets/${ticket.id}/comment`, { message: 'see file' })).body;
      const res = await call('POST', `/comments/${comment.id}/attachment-upload-url`, { fileName: 'invoice.pdf' });
      expect(res.status).toBe(200);
      const put = await fetch(res.body.url, { method: 'PUT', body: '%PDF-1.4' });
      expect(put.status).toBe(200);
      expect(sim.ticket(ticket.id)?.comments[0]?.attachments).toEqual(['invoice.pdf']);
    });

    it('keeps a request log without the API key', async () => {
      await call('GET', '/tickets/x');
      const [entry] = sim.requests('GET /tickets/:id');
      expect(entry).toMatchObject({ method: 'GET', path: '/tickets/x', route: 'GET /tickets/:id', status: 404 });
      expect(entry?.headers['clevergy-api-key']).toBeUndefined();
    });
  });

  describe('end-user actions and webhooks', () => {
    it('sends CREATE / UPDATE / DELETE notifications to the configured URL and reports the receiver status', async () => {
      const created = await sim.userCreatesTicket({ title: 't', description: 'd' });
      const id = created.ticket.id;
      expect(created.webhooks.map((w) => w.status)).toEqual([202]);
      const replied = await sim.userComments(id, 'any news?');
      expect(replied.comment).toMatchObject({ author: 'USER', message: 'any news?' });
      expect(sim.ticket(id)?.status).toBe('OPEN');
      await sim.userDeletesTicket(id);
      expect(receiver.received.map((r) => r.body)).toEqual([
        { type: 'CREATE', ticketId: id },
        { type: 'UPDATE', ticketId: id },
        { type: 'DELETE', ticketId: id },
      ]);
      expect(receiver.received[0]).toMatchObject({ path: '/webhooks/connect', query: { auth_token: 'tok' } });
      expect((await call('GET', `/tickets/${id}`)).status).toBe(404);
    });

    it('follows the guide for SOLVED: "not resolved" → PENDING, "resolved" → CLOSED, then no replies', async () => {
      const { ticket } = await sim.userCreatesTicket({ title: 't', description: 'd' });
      await call('PUT', `/tickets/${ticket.id}`, { status: 'SOLVED' });
      await sim.userRejectsResolution(ticket.id, 'still broken');
      expect(sim.ticket(ticket.id)?.status).toBe('PENDING');
      await call('PUT', `/tickets/${ticket.id}`, { status: 'SOLVED' });
      await sim.userConfirmsResolved(ticket.id);
      expect(sim.ticket(ticket.id)?.status).toBe('CLOSED');
      await expect(sim.userComments(ticket.id, 'hello?')).rejects.toThrow(/CLOSED/);
    });

    it("does not notify on the integrator's own writes by default, and does with notifyOn 'all'", async () => {
      const { ticket } = await sim.userCreatesTicket({ title: 't', description: 'd' });
      await call('POST', `/tickets/${ticket.id}/comment`, { message: 'hi' });
      await sim.webhooks.idle();
      expect(receiver.received).toHaveLength(1);
      sim.notifyOn = 'all';
      await call('PUT', `/tickets/${ticket.id}`, { status: 'PENDING' });
      await sim.webhooks.idle();
      expect(receiver.received.map((r) => r.body)).toEqual([
        { type: 'CREATE', ticketId: ticket.id },
        { type: 'UPDATE', ticketId: ticket.id },
      ]);
    });

    it('delivers duplicates, late, and out of order on request', async () => {
      sim.webhooks.options = { times: 2 };
      const { ticket, webhooks } = await sim.userCreatesTicket({ title: 't', description: 'd' });
      expect(webhooks).toHaveLength(2);
      sim.webhooks.options = {};
      sim.webhooks.hold();
      await sim.userComments(ticket.id, 'a');
      await sim.userDeletesTicket(ticket.id);
      expect(receiver.received).toHaveLength(2);
      expect(sim.webhooks.pending()).toHaveLength(2);
      const started = Date.now();
      await sim.webhooks.release({ order: 'reverse', delayMs: 50 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(95);
      expect(receiver.received.slice(2).map((r) => (r.body as { type: string }).type)).toEqual(['DELETE', 'UPDATE']);
    });

    it('reports a failing receiver without throwing', async () => {
      receiver.status = 503;
      const { webhooks } = await sim.userCreatesTicket({ title: 't', description: 'd' });
      expect(webhooks.map((w) => w.status)).toEqual([503]);
      await receiver.close();
      const down = await sim.sendWebhook({ type: 'UPDATE', ticketId: 'x' });
      expect(down).toEqual([expect.objectContaining({ status: null, error: 'ECONNREFUSED' })]);
      receiver = await startReceiver(); // for afterEach
    });
  });

  describe('fault injection', () => {
    let ticketId: string;
    beforeEach(async () => {
      ticketId = (await sim.userCreatesTicket({ title: 't', description: 'd' })).ticket.id;
    });

    it('fails N requests on one route with an error status, then recovers', async () => {
      const fault = sim.fault({ match: 'GET /tickets/:id', kind: 'error', status: 503, times: 2 });
      expect((await call('GET', `/tickets/${ticketId}`)).status).toBe(503);
      expect((await call('POST', `/tickets/${ticketId}/comment`, { message: 'other route' })).status).toBe(201);
      expect((await call('GET', `/tickets/${ticketId}`)).status).toBe(503);
      expect((await call('GET', `/tickets/${ticketId}`)).status).toBe(200);
      expect(fault.hits).toBe(2);
    });

    it('answers 429 with Retry-After', async () => {
      sim.fault({ kind: 'rate-limit', retryAfter: 7, times: 1 });
      const res = await call('GET', `/tickets/${ticketId}`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
    });

    it('drops the connection without applying the write', async () => {
      sim.fault({ match: 'POST /tickets/:id/comment', kind: 'drop', times: 1 });
      await expect(call('POST', `/tickets/${ticketId}/comment`, { message: 'lost' })).rejects.toThrow('fetch failed');
      expect(sim.ticket(ticketId)?.comments).toHaveLength(0);
    });

    it('drop-after-write applies the write and loses the response', async () => {
      sim.fault({ match: 'POST /tickets/:id/comment', kind: 'drop-after-write', times: 1 });
      await expect(call('POST', `/tickets/${ticketId}/comment`, { message: 'landed' })).rejects.toThrow('fetch failed');
      expect(sim.ticket(ticketId)?.comments.map((c) => c.message)).toEqual(['landed']);
    });

    it('adds latency', async () => {
      sim.fault({ kind: 'latency', delayMs: 150, times: 1 });
      const started = Date.now();
      expect((await call('GET', `/tickets/${ticketId}`)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('scopes a fault to a time window', async () => {
      let clock = 0;
      await sim.stop();
      sim = await ConnectSimulator.start({ apiKey: 'k-123', now: () => new Date(clock) });
      ticketId = (await sim.userCreatesTicket({ title: 't', description: 'd' })).ticket.id;
      sim.fault({ kind: 'error', status: 500, forMs: 1000 });
      expect((await call('GET', `/tickets/${ticketId}`)).status).toBe(500);
      clock = 999;
      expect((await call('GET', `/tickets/${ticketId}`)).status).toBe(500);
      clock = 1000;
      expect((await call('GET', `/tickets/${ticketId}`)).status).toBe(200);
    });

    it('can answer 200 with a body that is not JSON', async () => {
      sim.fault({ kind: 'malformed', times: 1 });
      const res = await fetch(`${sim.url}/tickets/${ticketId}`, { headers: { 'clevergy-api-key': 'k-123' } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
    });
  });
});
