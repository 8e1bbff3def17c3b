/**
 * The ops routes' HTTP contract over a fake gateway: what reaches the gateway (and what never
 * does), status codes, error bodies naming the field. test/api/temporal-ops.test.ts runs the same
 * routes over real Temporal.
 */
import { TemporalUnavailableError } from '../../src/api/gateway';
import { FakeGateway, OPS_TOKEN, postJson, type RunningApi, sampleDetails, sampleState, startApi } from './helpers';

const auth = { authorization: `Bearer ${OPS_TOKEN}` };

describe('ops routes', () => {
  let api: RunningApi;
  let gateway: FakeGateway;

  beforeEach(async () => {
    gateway = new FakeGateway();
    api = await startApi({ gateway });
  });
  afterEach(() => api.close());

  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${api.url}${path}`, { headers });
  const issues = async (res: Response) => ((await res.json()) as { issues: Array<{ path: string; message: string }> }).issues;

  describe('GET /tickets', () => {
    it('passes the filters to the gateway and answers its page', async () => {
      const page = {
        tickets: [
          {
            workflowId: 'ticket/connect/42',
            source: 'connect' as const,
            sourceTicketId: '42',
            status: 'OPEN' as const,
            crmTicketId: '35436',
            executionStatus: 'RUNNING' as const,
            startTime: '2026-01-01T00:00:00.000Z',
            closeTime: null,
            deletedByUser: false,
          },
        ],
        nextPageToken: 'abc_-123',
      };
      gateway.onListTickets = async () => page;
      const res = await get('/tickets?status=OPEN,NEW&source=connect&pageSize=10&pageToken=prev_-token');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual(page);
      expect(gateway.listCalls).toEqual([{ statuses: ['OPEN', 'NEW'], sources: ['connect'], pageSize: 10, pageToken: 'prev_-token' }]);
    });

    it('defaults to everything, 50 per page', async () => {
      expect((await get('/tickets')).status).toBe(200);
      expect(gateway.listCalls).toEqual([{ pageSize: 50 }]);
    });

    it.each([
      ['an unknown status', 'status=WAITING', 'status'],
      ['a quote (no way into the visibility query)', 'status=OPEN%22%20OR%20WorkflowType%3D%22x', 'status'],
      ['an empty status list', 'status=,', 'status'],
      ['a repeated parameter', 'status=OPEN&status=NEW', 'status'],
      ['an unknown source', 'source=jira', 'source'],
      ['a page size of 0', 'pageSize=0', 'pageSize'],
      ['a page size above the limit', 'pageSize=201', 'pageSize'],
      ['a page size that is no number', 'pageSize=ten', 'pageSize'],
      ['a page token that is not one', 'pageToken=a%20b', 'pageToken'],
      ['a misspelt parameter (no silent "list all")', 'stauts=OPEN', 'stauts'],
    ])('answers 400 naming the parameter for %s, without asking Temporal', async (_label, query, path) => {
      const res = await get(`/tickets?${query}`);
      expect(res.status).toBe(400);
      expect((await issues(res)).map((i) => i.path)).toEqual([path]);
      expect(gateway.listCalls).toHaveLength(0);
    });

    it('needs the ops token', async () => {
      expect((await get('/tickets', {})).status).toBe(401);
      expect((await get('/tickets', { authorization: 'Bearer nope' })).status).toBe(401);
      expect(gateway.listCalls).toHaveLength(0);
    });

    it('answers 503 when Temporal is unavailable', async () => {
      gateway.onListTickets = async () => {
        throw new TemporalUnavailableError('list');
      };
      expect((await get('/tickets')).status).toBe(503);
    });
  });

  describe('POST /tickets/:source/:ticketId/resync and /close', () => {
    const post = (path: string, body?: unknown, headers: Record<string, string> = {}) => postJson(`${api.url}${path}`, body ?? '', { ...auth, ...headers });
    // The ticket exists (a bad request is checked against that first); tests of an unknown one say so.
    beforeEach(() => {
      gateway.onDescribeTicket = async () => sampleDetails;
    });

    it("answers 200 with the update's result", async () => {
      gateway.onUpdateTicket = async () => ({ outcome: 'completed', workflowId: 'ticket/connect/42', updateId: 'u', state: sampleState });
      const res = await post('/tickets/connect/42/close', { reason: 'duplicate' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(sampleState);
      expect(gateway.updateCalls).toEqual([{ source: 'connect', id: '42', update: { name: 'close', request: { reason: 'duplicate' } } }]);
    });

    it('answers 202 when the workflow accepted it but had not finished when the API stopped waiting', async () => {
      gateway.onUpdateTicket = async () => ({ outcome: 'accepted', workflowId: 'ticket/connect/42', updateId: 'u-1' });
      const res = await post('/tickets/connect/42/resync', {});
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, workflowId: 'ticket/connect/42', updateId: 'u-1', message: expect.stringContaining('GET /tickets/connect/42') });
    });

    it("answers 409 rejected with the workflow's reason", async () => {
      gateway.onUpdateTicket = async () => ({ outcome: 'rejected', workflowId: 'ticket/connect/42', message: 'the ticket is closed' });
      const res = await post('/tickets/connect/42/resync', { reason: 'x' });
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ error: 'rejected', message: 'the ticket is closed' });
    });

    it('answers 404 when there is no workflow', async () => {
      const res = await post('/tickets/connect/42/resync', {});
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_found' });
    });

    it.each<[string, unknown, Record<string, string>?]>([
      ['an unknown field', { reason: 'x', foo: 1 }],
      ['no reason to close', {}],
      ['a body that is not JSON', 'reason=x'],
      ['a bad Idempotency-Key', { reason: 'x' }, { 'idempotency-key': 'a b' }],
    ])('answers 404 for an unknown ticket before looking at the body: %s', async (_label, body, headers = {}) => {
      gateway.onDescribeTicket = async () => null;
      const res = await post('/tickets/connect/42/close', body, headers);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_found' });
      expect(gateway.describeCalls).toEqual([{ source: 'connect', id: '42' }]);
      expect(gateway.updateCalls).toHaveLength(0);
    });

    it('answers 503 when Temporal is unavailable', async () => {
      gateway.onUpdateTicket = async () => {
        throw new TemporalUnavailableError('update:close');
      };
      expect((await post('/tickets/connect/42/close', { reason: 'x' })).status).toBe(503);
    });

    it.each([
      ['close without a reason', '/tickets/connect/42/close', {}, 'reason'],
      ['close with a reason that is no string', '/tickets/connect/42/close', { reason: 42 }, 'reason'],
      ['close with an empty reason', '/tickets/connect/42/close', { reason: ' ' }, 'reason'],
      ['a reason over 500 characters', '/tickets/connect/42/resync', { reason: 'x'.repeat(501) }, 'reason'],
      ['an unknown source', '/tickets/jira/42/resync', {}, 'source'],
      ['a bad ticket id', `/tickets/connect/${encodeURIComponent('a b')}/resync`, {}, 'ticketId'],
    ])('answers 400 naming the field: %s', async (_label, path, body, field) => {
      const res = await post(path, body);
      expect(res.status).toBe(400);
      expect((await issues(res)).map((i) => i.path)).toEqual([field]);
      expect(gateway.updateCalls).toHaveLength(0);
    });

    it('names each unknown body field, a typo too, and refuses a body that is not an object', async () => {
      const unknown = await post('/tickets/connect/42/close', { reason: 'x', foo: 1 });
      expect(unknown.status).toBe(400);
      expect(await issues(unknown)).toEqual([{ path: 'foo', message: 'unknown field' }]);
      const typo = await post('/tickets/connect/42/close', { reasn: 'x' });
      expect(await issues(typo)).toEqual([
        { path: 'reason', message: 'is required' },
        { path: 'reasn', message: 'unknown field' },
      ]);
      const notObject = await post('/tickets/connect/42/resync', '[1]');
      expect(await issues(notObject)).toEqual([{ path: '(body)', message: 'must be a JSON object' }]);
      const notJson = await post('/tickets/connect/42/resync', '{"reason":');
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toEqual({ error: 'invalid_json' });
      // Only an empty body is no body (a bare curl); blanks are not JSON (found by the hostile suite).
      const blanks = await post('/tickets/connect/42/resync', ' \n');
      expect(blanks.status).toBe(400);
      expect(await blanks.json()).toEqual({ error: 'invalid_json' });
      expect(gateway.updateCalls).toHaveLength(0);
    });

    const closeWith = (contentType: string | undefined) =>
      fetch(`${api.url}/tickets/connect/42/close`, {
        method: 'POST',
        headers: { ...auth, ...(contentType && { 'content-type': contentType }) },
        // Bytes, not a string: fetch adds no Content-Type of its own to those.
        body: new TextEncoder().encode('{"reason":"duplicate"}'),
      });

    it.each([
      ['no Content-Type', undefined],
      ['application/json', 'application/json; charset=utf-8'],
    ])('reads a JSON body: %s', async (_label, contentType) => {
      gateway.onUpdateTicket = async () => ({ outcome: 'completed', workflowId: 'ticket/connect/42', updateId: 'u', state: sampleState });
      const res = await closeWith(contentType);
      expect(res.status).toBe(200);
      expect(gateway.updateCalls).toEqual([{ source: 'connect', id: '42', update: { name: 'close', request: { reason: 'duplicate' } } }]);
    });

    it.each([
      ['text/plain', 'text/plain'],
      ["curl -d's form encoding", 'application/x-www-form-urlencoded'],
    ])('refuses a body declared as %s with a 415 that names the type to send (what a browser sends cross-site unasked)', async (_label, contentType) => {
      gateway.onDescribeTicket = async () => sampleDetails;
      const res = await closeWith(contentType);
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({ error: 'unsupported_media_type', message: 'send the body as Content-Type: application/json' });
      expect(gateway.updateCalls).toHaveLength(0);
    });

    it('turns an Idempotency-Key into the update id', async () => {
      await post('/tickets/connect/42/resync', {}, { 'idempotency-key': 'OPS-12:retry' });
      expect(gateway.updateCalls[0]).toMatchObject({ updateId: 'resync-OPS-12:retry' });
    });

    it('needs the ops token', async () => {
      const res = await postJson(`${api.url}/tickets/connect/42/close`, { reason: 'x' });
      expect(res.status).toBe(401);
      expect(gateway.updateCalls).toHaveLength(0);
    });

    it('logs the workflow id and the outcome, never the reason', async () => {
      gateway.onUpdateTicket = async () => ({ outcome: 'rejected', workflowId: 'ticket/connect/42', message: 'closed' });
      await post('/tickets/connect/42/close', { reason: 'Jane Doe called, jane@example.com' });
      await new Promise((r) => setImmediate(r));
      expect(api.logs.requestLines().at(-1)).toMatchObject({ route: '/tickets/:source/:ticketId/close', status: 409, workflowId: 'ticket/connect/42', outcome: 'close rejected' });
      expect(api.logs.text).not.toContain('jane@example.com');
    });
  });
});
