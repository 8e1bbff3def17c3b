import { ConnectSource } from '../../src/adapters/connect';
import { IntegrationError } from '../../src/ports/errors';
import { ConnectSimulator } from '../../src/simulators/connect';

/** ConnectSource against the Connect simulator over real loopback HTTP. */
describe('ConnectSource', () => {
  const API_KEY = 'connect-key-SECRET';
  let sim: ConnectSimulator;
  let source: ConnectSource;
  let clock: number;

  beforeEach(async () => {
    clock = Date.parse('2030-01-01T10:00:00Z');
    // A frozen clock: comments share createdAt, so ordering must fall back to the numeric id.
    sim = await ConnectSimulator.start({ apiKey: API_KEY, now: () => new Date(clock) });
    source = new ConnectSource({ baseUrl: sim.url, apiKey: API_KEY, timeoutMs: 500 });
  });
  afterEach(() => sim.stop());

  const newTicket = async () =>
    (await sim.userCreatesTicket({ title: 'No power', description: 'Since 8am', userId: 'user-77' })).ticket.id;
  const supportComments = (id: string) => sim.ticket(id)!.comments.filter((c) => c.author === 'SUPPORT');

  async function failure(p: Promise<unknown>): Promise<IntegrationError> {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    return err as IntegrationError;
  }

  describe('fetchTicket', () => {
    it('maps the Connect ticket onto the canonical SourceTicket', async () => {
      const id = await newTicket();
      await sim.userComments(id, 'hello?');
      expect(await source.fetchTicket(id)).toEqual({
        source: 'connect',
        id,
        status: 'OPEN',
        title: 'No power',
        description: 'Since 8am',
        requester: { externalId: 'user-77', name: null, email: null },
        assigneeRef: null,
        comments: [{ id: expect.stringMatching(/^\d+$/), author: 'USER', body: 'hello?', createdAt: '2030-01-01T10:00:00.000Z', attachments: [] }],
        createdAt: '2030-01-01T10:00:00.000Z',
        updatedAt: '2030-01-01T10:00:00.000Z',
      });
    });

    it('orders comments by (createdAt, numeric id), across a digit boundary', async () => {
      const id = await newTicket();
      for (const m of ['a', 'b', 'c']) await sim.userComments(id, m); // ids 98, 99, 100 at the same instant
      clock -= 60_000;
      await sim.userComments(id, 'earlier'); // id 101, created a minute before
      const ticket = await source.fetchTicket(id);
      expect(ticket?.comments.map((c) => [c.id, c.body])).toEqual([
        ['101', 'earlier'],
        ['98', 'a'],
        ['99', 'b'],
        ['100', 'c'],
      ]);
    });

    it('resolves null for an unknown ticket (404)', async () => {
      expect(await source.fetchTicket('T-404')).toBeNull();
    });
  });

  describe('writes', () => {
    it('posts a SUPPORT comment and returns its id', async () => {
      const id = await newTicket();
      const res = await source.postSupportComment(id, 'We are on it', { check: false, afterCommentId: null, excludeIds: [] });
      expect(res).toEqual({ commentId: expect.stringMatching(/^\d+$/), alreadyPresent: false });
      expect(supportComments(id)).toEqual([expect.objectContaining({ id: Number(res.commentId), message: 'We are on it' })]);
      expect(sim.requests('POST /tickets/:id/comment')[0]?.body).toEqual({ message: 'We are on it' });
    });

    it('sets the status', async () => {
      const id = await newTicket();
      await source.setStatus(id, 'PENDING');
      expect(sim.ticket(id)?.status).toBe('PENDING');
      expect(sim.requests('PUT /tickets/:id')[0]?.body).toEqual({ status: 'PENDING' });
    });
  });

  describe('comment dedupe on retry', () => {
    it('finds the comment a lost response had already written, instead of writing it twice', async () => {
      const id = await newTicket();
      await sim.userComments(id, 'first'); // id 98
      await sim.userComments(id, 'second'); // id 99: the last one the workflow saw
      sim.fault({ match: 'POST /tickets/:id/comment', kind: 'drop-after-write', times: 1 });
      const first = await failure(source.postSupportComment(id, 'Fixed it', { check: false, afterCommentId: '99', excludeIds: [] }));
      expect(first).toMatchObject({ kind: 'network' });
      expect(first.retryable).toBe(true);

      // Comment 100 landed; "100" < "99" as text, so only a numeric comparison finds it.
      const retry = await source.postSupportComment(id, 'Fixed it', { check: true, afterCommentId: '99', excludeIds: [] });
      expect(retry).toEqual({ commentId: '100', alreadyPresent: true });
      expect(supportComments(id)).toHaveLength(1);
      expect(sim.requests('POST /tickets/:id/comment')).toHaveLength(1);
    });

    it('writes again when the only identical comment is excluded, before the window, by the user, or when not checking', async () => {
      const id = await newTicket();
      const mine = await source.postSupportComment(id, 'Same text', { check: false, afterCommentId: null, excludeIds: [] });
      await sim.userComments(id, 'Same text');
      const last = sim.ticket(id)!.comments.at(-1)!.id;

      const excluded = await source.postSupportComment(id, 'Same text', { check: true, afterCommentId: null, excludeIds: [mine.commentId] });
      expect(excluded.alreadyPresent).toBe(false);
      const outside = await source.postSupportComment(id, 'Same text', { check: true, afterCommentId: String(last + 1), excludeIds: [] });
      expect(outside.alreadyPresent).toBe(false);
      const unchecked = await source.postSupportComment(id, 'Same text', { check: false, afterCommentId: null, excludeIds: [] });
      expect(unchecked.alreadyPresent).toBe(false);
      expect(supportComments(id)).toHaveLength(4);
    });

    it('fails with not-found when the ticket is gone during the dedupe read', async () => {
      const err = await failure(source.postSupportComment('T-gone', 'x', { check: true, afterCommentId: null, excludeIds: [] }));
      expect(err).toMatchObject({ kind: 'not-found', status: 404 });
      expect(err.retryable).toBe(false);
    });
  });

  describe('error classification', () => {
    let id: string;
    beforeEach(async () => {
      id = await newTicket();
    });

    const cases: [string, () => void, () => Promise<unknown>, Partial<IntegrationError>, boolean][] = [
      ['400 (empty message)', () => {}, () => source.postSupportComment(id, '  ', { check: false, afterCommentId: null, excludeIds: [] }), { kind: 'bad-request', status: 400 }, false],
      ['401 (wrong key)', () => {}, () => new ConnectSource({ baseUrl: sim.url, apiKey: 'wrong' }).fetchTicket(id), { kind: 'unauthorized', status: 401 }, false],
      ['403', () => sim.fault({ kind: 'error', status: 403, times: 1 }), () => source.fetchTicket(id), { kind: 'forbidden', status: 403 }, false],
      ['404 on a write', () => {}, () => source.setStatus('T-404', 'OPEN'), { kind: 'not-found', status: 404, operation: 'PUT /tickets/{id}' }, false],
      ['422', () => sim.fault({ kind: 'error', status: 422, times: 1 }), () => source.setStatus(id, 'OPEN'), { kind: 'unprocessable', status: 422 }, false],
      ['429 + Retry-After', () => sim.fault({ kind: 'rate-limit', retryAfter: 7, times: 1 }), () => source.fetchTicket(id), { kind: 'rate-limited', status: 429, retryAfterMs: 7000 }, true],
      ['500', () => sim.fault({ kind: 'error', status: 500, times: 1 }), () => source.fetchTicket(id), { kind: 'server-error', status: 500 }, true],
      ['503', () => sim.fault({ kind: 'error', status: 503, times: 1 }), () => source.setStatus(id, 'OPEN'), { kind: 'server-error', status: 503 }, true],
      ['dropped connection', () => sim.fault({ kind: 'drop', times: 1 }), () => source.fetchTicket(id), { kind: 'network', status: null }, true],
      ['timeout', () => sim.fault({ kind: 'latency', delayMs: 800, times: 1 }), () => source.fetchTicket(id), { kind: 'timeout', status: null }, true],
      ['unparsable 2xx', () => sim.fault({ kind: 'malformed', times: 1 }), () => source.fetchTicket(id), { kind: 'invalid-response' }, true],
    ];

    it.each(cases)('%s', async (_name, arrange, act, expected, retryable) => {
      arrange();
      const err = await failure(act());
      expect(err).toMatchObject({ service: 'connect', ...expected });
      expect(err.retryable).toBe(retryable);
      expect(err.operation).toMatch(/^(GET|PUT|POST) \/tickets\/\{id\}/);
      for (const leak of [API_KEY, id, 'user-77', sim.url]) expect(err.message).not.toContain(leak);
    });
  });
});
