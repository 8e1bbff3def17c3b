/**
 * `WhitelabelSource` (the write-back direction) against the simulator over real HTTP: the three
 * calls, every error class, and no duplicate reply after a write whose response was lost.
 */
import { createServer } from 'node:net';
import { toSourceTicket } from '../../src/adapters/whitelabel/mapping';
import { whitelabelTicketSchema } from '../../src/adapters/whitelabel/schemas';
import { WhitelabelSource } from '../../src/adapters/whitelabel/whitelabel-source';
import type { TicketStatus } from '../../src/domain/ticket';
import { IntegrationError, type IntegrationErrorKind } from '../../src/ports/errors';
import type { FaultSpec } from '../../src/simulators/common/faults';
import { SEED_EVENTS, SEED_TICKET_UPDATED } from '../../src/simulators/whitelabel/seed-events';
import { WhitelabelSimulator } from '../../src/simulators/whitelabel/whitelabel-simulator';

const TIMEOUT_MS = 400;

describe('WhitelabelSource against the simulator', () => {
  let sim: WhitelabelSimulator;
  let source: WhitelabelSource;
  /** The simulator's clock, moved by tests (the platform's timestamps are whole seconds). */
  let clock: number;

  beforeEach(async () => {
    clock = Date.UTC(2026, 0, 1, 9);
    // 'user': the bridge's own writes send no events here; nobody listens in these tests.
    sim = await WhitelabelSimulator.start({ signing: { secret: 'unused-secret-0123456789' }, notifyOn: 'user', now: () => new Date(clock) });
    source = new WhitelabelSource({ baseUrl: sim.url, apiKey: sim.apiKey, timeoutMs: TIMEOUT_MS });
  });
  afterEach(() => sim.stop());

  async function newTicket(): Promise<string> {
    const { ticket } = await sim.clientCreatesTicket({ title: 'Billing', text: 'My invoice is wrong' });
    return ticket.id;
  }

  async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
    const err = await promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IntegrationError);
    return err as IntegrationError;
  }

  describe('fetchTicket: GET /tickets/{id}', () => {
    it('reads and maps the ticket', async () => {
      const id = await newTicket();
      clock += 60_000;
      await sim.teammateReplies(id, 'Looking into it');
      const ticket = await source.fetchTicket(id);
      expect(ticket).toEqual(toSourceTicket(whitelabelTicketSchema.parse(sim.ticket(id))));
      expect(ticket).toMatchObject({
        source: 'whitelabel',
        id,
        status: 'PENDING',
        description: 'My invoice is wrong',
        createdAt: '2026-01-01T09:00:00.000Z',
        updatedAt: '2026-01-01T09:01:00.000Z',
      });
      // The opening reply is the description, not also a comment.
      expect(ticket!.comments.map((c) => [c.author, c.body])).toEqual([['SUPPORT', 'Looking into it']]);
      const [request] = sim.requests('GET /tickets/:id');
      expect(request).toMatchObject({ path: `/tickets/${id}`, status: 200 });
    });

    it("reads the seed tickets as the events carried them", async () => {
      sim.loadTickets(SEED_EVENTS.map((e) => e.data.ticket));
      const ticket = await source.fetchTicket(SEED_TICKET_UPDATED.data.ticket.id);
      expect(ticket).toEqual(toSourceTicket(whitelabelTicketSchema.parse(SEED_TICKET_UPDATED.data.ticket)));
    });

    it('resolves null for a ticket the platform does not have (404)', async () => {
      expect(await source.fetchTicket('00000000-0000-4000-8000-000000000000')).toBeNull();
    });
  });

  describe('postSupportComment: POST /tickets/{id}/replies', () => {
    it('posts an agent reply with {text} and returns its id', async () => {
      const id = await newTicket();
      const result = await source.postSupportComment(id, 'We fixed it', { check: false, afterCommentId: null, excludeIds: [] });
      const replies = sim.ticket(id)!.replies;
      expect(replies.at(-1)).toMatchObject({ id: result.commentId, text: 'We fixed it', is_client_reply: false });
      expect(result.alreadyPresent).toBe(false);
      expect(sim.requests('POST /tickets/:id/replies').map((r) => r.body)).toEqual([{ text: 'We fixed it' }]);
      // check: false means no read first.
      expect(sim.requests('GET /tickets/:id')).toHaveLength(0);
    });
  });

  describe('setStatus: PUT /tickets/{id}', () => {
    it.each<[TicketStatus, boolean]>([
      ['SOLVED', false],
      ['CLOSED', false],
      ['NEW', true],
      ['OPEN', true],
      ['PENDING', true],
    ])('%s → is_open %s', async (status, isOpen) => {
      const id = await newTicket();
      await sim.resolve(id); // start closed, so every case is a visible change or a visible no-op
      await source.setStatus(id, status);
      expect(sim.requests('PUT /tickets/:id').map((r) => r.body)).toEqual([{ is_open: isOpen }]);
      expect(sim.ticket(id)!.is_open).toBe(isOpen);
    });
  });

  describe('error classification', () => {
    const kinds: Array<[string, FaultSpec, IntegrationErrorKind, boolean, number | null]> = [
      ['400', { kind: 'error', status: 400 }, 'bad-request', false, 400],
      ['403', { kind: 'error', status: 403 }, 'forbidden', false, 403],
      ['404', { kind: 'error', status: 404 }, 'not-found', false, 404],
      ['422', { kind: 'error', status: 422 }, 'unprocessable', false, 422],
      ['408', { kind: 'error', status: 408 }, 'timeout', true, 408],
      ['409', { kind: 'error', status: 409 }, 'conflict', true, 409],
      ['500', { kind: 'error', status: 500 }, 'server-error', true, 500],
      ['503', { kind: 'error', status: 503 }, 'server-error', true, 503],
      ['429', { kind: 'rate-limit', retryAfter: 7 }, 'rate-limited', true, 429],
      ['a dropped connection', { kind: 'drop' }, 'network', true, null],
      ['a body that is not JSON', { kind: 'malformed' }, 'invalid-response', true, null],
      // Far past the timeout: on a loaded machine a response only slightly late can win the race.
      ['no answer within the timeout', { kind: 'latency', delayMs: TIMEOUT_MS + 2_000 }, 'timeout', true, null],
    ];

    it.each(kinds)('POST replies answered with %s → %s', async (_label, fault, kind, retryable, status) => {
      const id = await newTicket();
      sim.fault({ ...fault, match: 'POST /tickets/:id/replies', times: 1 });
      const err = await failure(source.postSupportComment(id, 'Hello', { check: false, afterCommentId: null, excludeIds: [] }));
      expect({ kind: err.kind, retryable: err.retryable, status: err.status, service: err.service, operation: err.operation }).toEqual({
        kind,
        retryable,
        status,
        service: 'whitelabel',
        operation: 'POST /tickets/{id}/replies',
      });
      // Errors name the operation template, never the ticket, the URL or the key.
      expect(err.message).not.toContain(id);
      expect(err.message).not.toContain('127.0.0.1');
      expect(err.message).not.toContain(sim.apiKey);
    });

    it('honours Retry-After on 429', async () => {
      const id = await newTicket();
      sim.fault({ kind: 'rate-limit', retryAfter: 7, match: 'PUT /tickets/:id', times: 1 });
      const err = await failure(source.setStatus(id, 'SOLVED'));
      expect(err).toMatchObject({ kind: 'rate-limited', retryAfterMs: 7000, operation: 'PUT /tickets/{id}' });
    });

    it.each(kinds.filter(([, , kind]) => kind !== 'not-found'))('GET ticket answered with %s → %s', async (_label, fault, kind, retryable) => {
      const id = await newTicket();
      sim.fault({ ...fault, match: 'GET /tickets/:id', times: 1 });
      const err = await failure(source.fetchTicket(id));
      expect([err.kind, err.retryable, err.operation]).toEqual([kind, retryable, 'GET /tickets/{id}']);
    });

    it('a wrong API key → unauthorized, not retryable', async () => {
      const id = await newTicket();
      const wrong = new WhitelabelSource({ baseUrl: sim.url, apiKey: 'wrong-key', timeoutMs: TIMEOUT_MS });
      const err = await failure(wrong.fetchTicket(id));
      expect([err.kind, err.retryable, err.status]).toEqual(['unauthorized', false, 401]);
      expect(err.message).toBe('whitelabel GET /tickets/{id}: HTTP 401 (remote code unauthorized)');
    });

    it('an empty reply is refused by the platform → bad-request', async () => {
      const id = await newTicket();
      const err = await failure(source.postSupportComment(id, '  ', { check: false, afterCommentId: null, excludeIds: [] }));
      expect([err.kind, err.retryable]).toEqual(['bad-request', false]);
    });

    it('a reply to a ticket that does not exist → not-found', async () => {
      const err = await failure(
        source.postSupportComment('00000000-0000-4000-8000-000000000000', 'Hi', { check: false, afterCommentId: null, excludeIds: [] }),
      );
      expect([err.kind, err.retryable]).toEqual(['not-found', false]);
    });

    it('a refused connection → network, retryable', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as { port: number };
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const gone = new WhitelabelSource({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k', timeoutMs: TIMEOUT_MS });
      const err = await failure(gone.setStatus('00000000-0000-4000-8000-000000000000', 'OPEN'));
      expect([err.kind, err.retryable]).toEqual(['network', true]);
    });
  });

  describe('no duplicate replies on retry', () => {
    const countText = (id: string, text: string) => sim.ticket(id)!.replies.filter((r) => r.text === text).length;

    it('finds the reply that landed when the response was lost, instead of posting again', async () => {
      const id = await newTicket();
      const cursor = sim.ticket(id)!.replies.at(-1)!.id;
      clock += 5_000;
      sim.fault({ kind: 'drop-after-write', match: 'POST /tickets/:id/replies', times: 1 });

      const first = await failure(source.postSupportComment(id, 'Refund issued', { check: false, afterCommentId: cursor, excludeIds: [] }));
      expect([first.kind, first.retryable]).toEqual(['network', true]);
      expect(countText(id, 'Refund issued')).toBe(1); // it landed

      // The activity's retry: attempt > 1, so check first.
      const retry = await source.postSupportComment(id, 'Refund issued', { check: true, afterCommentId: cursor, excludeIds: [] });
      const landed = sim.ticket(id)!.replies.find((r) => r.text === 'Refund issued')!;
      expect(retry).toEqual({ commentId: landed.id, alreadyPresent: true });
      expect(countText(id, 'Refund issued')).toBe(1);
      expect(sim.requests('POST /tickets/:id/replies')).toHaveLength(1);
    });

    it('matches text modulo trailing space and line endings, as the platform may normalise them', async () => {
      const id = await newTicket();
      sim.fault({ kind: 'drop-after-write', match: 'POST /tickets/:id/replies', times: 1 });
      await failure(source.postSupportComment(id, 'Line one\r\nLine two', { check: false, afterCommentId: null, excludeIds: [] }));
      const retry = await source.postSupportComment(id, 'Line one\nLine two  ', { check: true, afterCommentId: null, excludeIds: [] });
      expect(retry.alreadyPresent).toBe(true);
      expect(sim.requests('POST /tickets/:id/replies')).toHaveLength(1);
    });

    it('posts when the failed attempt never reached the platform', async () => {
      const id = await newTicket();
      const cursor = sim.ticket(id)!.replies.at(-1)!.id;
      sim.fault({ kind: 'error', status: 503, match: 'POST /tickets/:id/replies', times: 1 });
      await failure(source.postSupportComment(id, 'Refund issued', { check: false, afterCommentId: cursor, excludeIds: [] }));
      const retry = await source.postSupportComment(id, 'Refund issued', { check: true, afterCommentId: cursor, excludeIds: [] });
      expect(retry.alreadyPresent).toBe(false);
      expect(countText(id, 'Refund issued')).toBe(1);
    });

    it('does not mistake an older identical reply (before the cursor) for this one', async () => {
      const id = await newTicket();
      clock += 1_000;
      await sim.teammateReplies(id, 'Thanks!'); // an agent's earlier "Thanks!", already processed
      clock += 60_000;
      await sim.clientReplies(id, 'It works now');
      const cursor = sim.ticket(id)!.replies.at(-1)!.id;
      clock += 60_000;
      const retry = await source.postSupportComment(id, 'Thanks!', { check: true, afterCommentId: cursor, excludeIds: [] });
      expect(retry.alreadyPresent).toBe(false);
      expect(countText(id, 'Thanks!')).toBe(2);
    });

    it('does not mistake the cursor reply itself (already processed) for this one', async () => {
      const id = await newTicket();
      clock += 1_000;
      await sim.teammateReplies(id, 'Thanks!'); // a teammate's reply in the app, the last one processed
      const cursor = sim.ticket(id)!.replies.at(-1)!.id;
      const retry = await source.postSupportComment(id, 'Thanks!', { check: true, afterCommentId: cursor, excludeIds: [] });
      expect(retry.alreadyPresent).toBe(false);
      expect(countText(id, 'Thanks!')).toBe(2);
    });

    it("does not mistake the bridge's own earlier reply (excludeIds) for this one", async () => {
      const id = await newTicket();
      const cursor = sim.ticket(id)!.replies.at(-1)!.id;
      clock += 1_000;
      const own = await source.postSupportComment(id, 'Thanks!', { check: false, afterCommentId: cursor, excludeIds: [] });
      clock += 1_000;
      const retry = await source.postSupportComment(id, 'Thanks!', { check: true, afterCommentId: cursor, excludeIds: [own.commentId] });
      expect(retry.alreadyPresent).toBe(false);
      expect(retry.commentId).not.toBe(own.commentId);
      expect(countText(id, 'Thanks!')).toBe(2);
    });

    it("does not mistake the client's message with the same text for the agent's reply", async () => {
      const id = await newTicket();
      const cursor = sim.ticket(id)!.replies.at(-1)!.id;
      clock += 1_000;
      await sim.clientReplies(id, 'OK');
      const retry = await source.postSupportComment(id, 'OK', { check: true, afterCommentId: cursor, excludeIds: [] });
      expect(retry.alreadyPresent).toBe(false);
    });

    it('finds a reply that landed within the cursor reply\'s own second', async () => {
      const id = await newTicket(); // the cursor reply and the lost write share a second
      const cursor = sim.ticket(id)!.replies.at(-1)!.id;
      sim.fault({ kind: 'drop-after-write', match: 'POST /tickets/:id/replies', times: 1 });
      await failure(source.postSupportComment(id, 'Same second', { check: false, afterCommentId: cursor, excludeIds: [] }));
      const retry = await source.postSupportComment(id, 'Same second', { check: true, afterCommentId: cursor, excludeIds: [] });
      expect(retry.alreadyPresent).toBe(true);
      expect(countText(id, 'Same second')).toBe(1);
    });

    it('reports not-found when the ticket vanished before the retry', async () => {
      const err = await failure(
        source.postSupportComment('00000000-0000-4000-8000-000000000000', 'Hi', { check: true, afterCommentId: null, excludeIds: [] }),
      );
      expect([err.kind, err.retryable, err.operation]).toEqual(['not-found', false, 'GET /tickets/{id}']);
    });
  });
});
