/**
 * `POST /webhooks/whitelabel` over real HTTP: signature, clock window, envelope validation, body
 * limit, Temporal down. Every rejection must leave the gateway untouched.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { toSourceTicket } from '../../src/adapters/whitelabel/mapping';
import { whitelabelEventSchema } from '../../src/adapters/whitelabel/schemas';
import { TemporalUnavailableError } from '../../src/api/gateway';
import { openWebhookInbox, type RunningWebhookInbox } from '../../src/api/inbox';
import { createTemporalGateway } from '../../src/api/temporal-gateway';
import {
  SEED_EVENTS,
  SEED_TICKET_ASSIGNED,
  SEED_TICKET_CREATED,
  SEED_TICKET_RESOLVED,
  SEED_TICKET_UPDATED,
} from '../../src/simulators/whitelabel/seed-events';
import { signatureHeaderValue } from '../../src/simulators/whitelabel/signing';
import { WhitelabelSimulator } from '../../src/simulators/whitelabel/whitelabel-simulator';
import { encryptionWith } from '../security/keys';
import { RecordingGateway, type RunningBridge, startBridge, WL_SECRET } from './helpers';
import { eventually } from '../harness';

/** A fixed clock for the bridge: 2026-01-01T00:00:00Z. */
const NOW_MS = Date.UTC(2026, 0, 1);
const NOW_S = NOW_MS / 1000;
const HEADER = 'X-Whitelabel-Signature';

const created = JSON.stringify(SEED_TICKET_CREATED);

interface PostOptions {
  secret?: string;
  t?: number;
  recipe?: 'timestamp.body' | 'body';
  header?: string;
  /** Use this header value as it is instead of signing. */
  headerValue?: string | null;
  /** Sign these bytes but send `body`. */
  signedBody?: string;
}

describe('POST /webhooks/whitelabel', () => {
  let gateway: RecordingGateway;
  let bridge: RunningBridge;

  beforeEach(async () => {
    gateway = new RecordingGateway();
    bridge = await startBridge(gateway, { now: () => NOW_MS });
  });
  afterEach(() => bridge.close());

  function post(body: string, o: PostOptions = {}): Promise<Response> {
    const value =
      o.headerValue !== undefined
        ? o.headerValue
        : signatureHeaderValue(o.secret ?? WL_SECRET, o.signedBody ?? body, o.t ?? NOW_S, o.recipe ?? 'timestamp.body');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (value !== null) headers[o.header ?? HEADER] = value;
    return fetch(bridge.webhookUrl, { method: 'POST', headers, body });
  }

  async function expectRejected(res: Response, status: number): Promise<Record<string, unknown>> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(gateway.sourceCalls).toEqual([]);
    return (await res.json()) as Record<string, unknown>;
  }

  describe('accepted events', () => {
    it.each([
      ['whitelabel_ticket_created', 'created', SEED_TICKET_CREATED],
      ['whitelabel_ticket_updated', 'updated', SEED_TICKET_UPDATED],
      ['whitelabel_ticket_resolved', 'updated', SEED_TICKET_RESOLVED],
      ['whitelabel_ticket_assigned', 'updated', SEED_TICKET_ASSIGNED],
    ] as const)('%s → 202 after signalling a %s notification (no snapshot: the workflow reads the ticket back)', async (_type, kind, event) => {
      const res = await post(JSON.stringify(event));
      const ticketId = event.data.ticket.id;
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, workflowId: `ticket/whitelabel/${ticketId}`, outcome: 'signalled' });
      expect(gateway.sourceCalls).toEqual([
        {
          source: 'whitelabel',
          id: ticketId,
          notification: {
            kind,
            eventId: event.event_id,
            receivedAt: new Date(NOW_MS).toISOString(),
            snapshot: null,
          },
        },
      ]);
      expect(gateway.otherCalls).toEqual([]);
    });

    it('logs the workflow id and outcome, never ticket content or personal data', async () => {
      for (const event of SEED_EVENTS) expect((await post(JSON.stringify(event))).status).toBe(202);
      const log = bridge.logText();
      expect(log).toContain('ticket/whitelabel/fbaddbf8-e290-4fa4-a3ed-fbb4837dabe1');
      for (const personal of ['client.doe@plugnpaid.com', 'james doe', 'billing settings', 'help with account', WL_SECRET]) {
        expect(log).not.toContain(personal);
      }
    });

    it('answers 202 only once the gateway has resolved', async () => {
      let release: (() => void) | undefined;
      gateway.onNotifySource = (source, id) =>
        new Promise((resolve) => {
          release = () => resolve({ outcome: 'signalled', workflowId: `ticket/${source}/${id}` });
        });
      let settled = false;
      const pending = post(created).then((r) => ((settled = true), r));
      // The request has reached the gateway (on a busy machine that can take a while)…
      await eventually(() => expect(release).toBeDefined());
      await new Promise((r) => setTimeout(r, 100));
      // …and the answer waits for it.
      expect(settled).toBe(false);
      release!();
      expect((await pending).status).toBe(202);
    });

    it('reports a completed workflow as ignored, still 202 (the platform must not retry)', async () => {
      gateway.onNotifySource = async (source, id) => ({ outcome: 'ignored', workflowId: `ticket/${source}/${id}`, reason: 'completed' });
      const res = await post(created);
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ accepted: true, outcome: 'ignored' });
    });

    it('accepts any Content-Type: the signature decides', async () => {
      const headers = { 'content-type': 'text/plain', [HEADER]: signatureHeaderValue(WL_SECRET, created, NOW_S) };
      const res = await fetch(bridge.webhookUrl, { method: 'POST', headers, body: created });
      expect(res.status).toBe(202);
    });
  });

  describe('signature', () => {
    const sig = (body: string, t = NOW_S, secret = WL_SECRET) => signatureHeaderValue(secret, body, t).split(',s=')[1]!;

    it('accepts a good signature', async () => {
      expect((await post(created)).status).toBe(202);
    });

    it('accepts upper-case hex and spaces around the parts', async () => {
      expect((await post(created, { headerValue: ` t=${NOW_S} , s=${sig(created).toUpperCase()} ` })).status).toBe(202);
    });

    it('accepts one good signature among several (secret rotation)', async () => {
      const header = `t=${NOW_S},s=${sig(created, NOW_S, 'old-secret-0123456789abcdef')},s=${sig(created)}`;
      expect((await post(created, { headerValue: header })).status).toBe(202);
    });

    it('rejects a missing header', async () => {
      expect(await expectRejected(await post(created, { headerValue: null }), 401)).toEqual({
        error: 'unauthorized',
        reason: 'signature_missing',
        message: 'the signature header is missing',
      });
    });

    it('rejects a signature sent under another header name', async () => {
      expect(await expectRejected(await post(created, { header: 'X-Signature' }), 401)).toMatchObject({ reason: 'signature_missing' });
    });

    it.each([
      ['no t=/s= parts', 'garbage'],
      ['only a timestamp', `t=${NOW_S}`],
      ['only a signature', `s=${'a'.repeat(64)}`],
      ['a non-numeric timestamp', `t=soon,s=${'a'.repeat(64)}`],
      ['a millisecond timestamp', `t=${NOW_MS},s=${'a'.repeat(64)}`],
      ['two timestamps', `t=${NOW_S},t=${NOW_S},s=${'a'.repeat(64)}`],
      ['a signature that is not hex', `t=${NOW_S},s=${'z'.repeat(64)}`],
      ['a truncated signature', `t=${NOW_S},s=${'a'.repeat(63)}`],
      ['base64 instead of hex', `t=${NOW_S},s=${Buffer.alloc(32, 1).toString('base64')}`],
    ])('rejects a malformed header: %s', async (_label, headerValue) => {
      expect(await expectRejected(await post(created, { headerValue }), 401)).toMatchObject({ reason: 'signature_malformed' });
    });

    it('rejects a wrong secret', async () => {
      const res = await post(created, { secret: 'another-secret-0123456789abcdef' });
      expect(await expectRejected(res, 401)).toEqual({
        error: 'unauthorized',
        reason: 'signature_mismatch',
        message: 'the signature does not match the request body',
      });
    });

    it('rejects a tampered body (signed one body, sent another)', async () => {
      const tampered = created.replace('"is_open":true', '"is_open":false');
      expect(tampered).not.toBe(created);
      expect(await expectRejected(await post(tampered, { signedBody: created }), 401)).toMatchObject({ reason: 'signature_mismatch' });
    });

    it('rejects re-serialised JSON: only the raw bytes count', async () => {
      const pretty = JSON.stringify(SEED_TICKET_CREATED, null, 2);
      expect(await expectRejected(await post(pretty, { signedBody: created }), 401)).toMatchObject({ reason: 'signature_mismatch' });
    });

    it('rejects a moved timestamp (t is part of the signed bytes)', async () => {
      const header = `t=${NOW_S - 1},s=${sig(created, NOW_S)}`;
      expect(await expectRejected(await post(created, { headerValue: header }), 401)).toMatchObject({ reason: 'signature_mismatch' });
    });

    it('rejects the wrong recipe (the raw body alone, where "<t>.<body>" is configured)', async () => {
      expect(await expectRejected(await post(created, { recipe: 'body' }), 401)).toMatchObject({ reason: 'signature_mismatch' });
    });

    it.each([
      [301, 'timestamp_too_old', 'the signature timestamp is more than 300 seconds old'],
      [3600 * 24, 'timestamp_too_old', 'the signature timestamp is more than 300 seconds old'],
      [-301, 'timestamp_in_future', 'the signature timestamp is more than 300 seconds in the future'],
    ])('rejects a correctly signed timestamp %i s old', async (age, reason, message) => {
      const res = await post(created, { t: NOW_S - age });
      expect(await expectRejected(res, 401)).toEqual({ error: 'unauthorized', reason, message });
    });

    it.each([299, 300, -299, -300])('accepts a timestamp %i s old (inside the 5-minute window)', async (age) => {
      expect((await post(created, { t: NOW_S - age })).status).toBe(202);
    });

    it('checks the clock before the body is read: a stale request is "too old" whatever its signature', async () => {
      // The window is public (5 minutes); what matters is that a stale request costs no body read.
      const res = await post(created, { t: NOW_S - 3600, secret: 'another-secret-0123456789abcdef' });
      expect(await expectRejected(res, 401)).toMatchObject({ reason: 'timestamp_too_old' });
    });

    it('logs the reason, never the signature or the body', async () => {
      const header = signatureHeaderValue('another-secret-0123456789abcdef', created, NOW_S);
      await post(created, { headerValue: header });
      const log = bridge.logText();
      expect(log).toContain('signature_mismatch');
      expect(log).not.toContain(header.split(',s=')[1]);
      expect(log).not.toContain('client.doe@plugnpaid.com');
    });
  });

  describe('envelope validation (signed, so only the body is wrong)', () => {
    type Mutate = (e: Record<string, any>) => void;
    const ticket = (e: Record<string, any>) => e.data.ticket as Record<string, any>;

    async function issuesFor(mutate: Mutate, base: object = SEED_TICKET_CREATED): Promise<Array<{ path: string; message: string }>> {
      const event = structuredClone(base) as Record<string, any>;
      mutate(event);
      const body = await expectRejected(await post(JSON.stringify(event)), 400);
      expect(body.error).toBe('invalid_request');
      return body.issues as Array<{ path: string; message: string }>;
    }

    it.each<[string, Mutate, string]>([
      ['event_id missing', (e) => delete e.event_id, 'event_id'],
      ['event_id empty', (e) => (e.event_id = ''), 'event_id'],
      ['event_id not a string', (e) => (e.event_id = 42), 'event_id'],
      ['event_id with a slash', (e) => (e.event_id = 'whev/../x'), 'event_id'],
      ['event_type missing', (e) => delete e.event_type, 'event_type'],
      ['api_version 3', (e) => (e.api_version = 3), 'api_version'],
      ['api_version "2"', (e) => (e.api_version = '2'), 'api_version'],
      ['object not "event"', (e) => (e.object = 'ticket'), 'object'],
      ['data missing', (e) => delete e.data, 'data'],
      ['data.ticket missing', (e) => delete e.data.ticket, 'data.ticket'],
      ['endpoint_id missing', (e) => delete e.endpoint_id, 'endpoint_id'],
      ['ticket id missing', (e) => delete ticket(e).id, 'data.ticket.id'],
      ['ticket id not a UUID', (e) => (ticket(e).id = '../../admin'), 'data.ticket.id'],
      ['title not a string', (e) => (ticket(e).title = 5), 'data.ticket.title'],
      ['is_open as text', (e) => (ticket(e).is_open = 'true'), 'data.ticket.is_open'],
      ['ticket object not "ticket"', (e) => (ticket(e).object = 'event'), 'data.ticket.object'],
      ['created_at as a date string', (e) => (ticket(e).created_at = '2022-12-19'), 'data.ticket.created_at'],
      ['updated_at missing', (e) => delete ticket(e).updated_at, 'data.ticket.updated_at'],
      ['updated_at fractional', (e) => (ticket(e).updated_at = 1671472527.5), 'data.ticket.updated_at'],
      ['client missing', (e) => delete ticket(e).client, 'data.ticket.client'],
      ['client id missing', (e) => delete ticket(e).client.id, 'data.ticket.client.id'],
      ['client email not a string', (e) => (ticket(e).client.email = 7), 'data.ticket.client.email'],
      ['teammate_id missing', (e) => delete ticket(e).teammate_id, 'data.ticket.teammate_id'],
      ['teammate_id not a UUID', (e) => (ticket(e).teammate_id = 'bob'), 'data.ticket.teammate_id'],
      ['replies missing', (e) => delete ticket(e).replies, 'data.ticket.replies'],
      ['replies not a list', (e) => (ticket(e).replies = {}), 'data.ticket.replies'],
      ['a reply id missing', (e) => delete ticket(e).replies[0].id, 'data.ticket.replies.0.id'],
      ['a reply text null', (e) => (ticket(e).replies[0].text = null), 'data.ticket.replies.0.text'],
      ['a reply is_client_reply missing', (e) => delete ticket(e).replies[1].is_client_reply, 'data.ticket.replies.1.is_client_reply'],
      ['a reply created_at negative', (e) => (ticket(e).replies[1].created_at = -1), 'data.ticket.replies.1.created_at'],
      ['a reply assets not a list', (e) => (ticket(e).replies[0].assets = 'x'), 'data.ticket.replies.0.assets'],
    ])('%s → 400 naming %s', async (_label, mutate, path) => {
      expect((await issuesFor(mutate)).map((i) => i.path)).toEqual([path]);
    });

    it('validates data.reply when present', async () => {
      const issues = await issuesFor((e) => delete e.data.reply.is_client_reply, SEED_TICKET_UPDATED);
      expect(issues.map((i) => i.path)).toEqual(['data.reply.is_client_reply']);
    });

    it('names every bad field at once', async () => {
      const issues = await issuesFor((e) => {
        e.api_version = 1;
        ticket(e).is_open = null;
      });
      expect(issues.map((i) => i.path).sort()).toEqual(['api_version', 'data.ticket.is_open']);
    });

    it('rejects an unknown event type with 400 naming event_type', async () => {
      const issues = await issuesFor((e) => (e.event_type = 'whitelabel_ticket_deleted'));
      expect(issues).toEqual([
        {
          path: 'event_type',
          message:
            'unknown event type: must be one of whitelabel_ticket_created, whitelabel_ticket_updated, whitelabel_ticket_assigned, whitelabel_ticket_resolved',
        },
      ]);
    });

    it('rejects a JSON array as the envelope', async () => {
      const body = await expectRejected(await post('[]'), 400);
      expect(body).toMatchObject({ error: 'invalid_request', issues: [{ path: '(body)' }] });
    });

    it('ignores unknown extra fields and any shape of the unused category/subcategory/language', async () => {
      const event = structuredClone(SEED_TICKET_CREATED) as Record<string, any>;
      event.extra = { nested: true };
      Object.assign(event.data.ticket, { category: null, subcategory: { a: 1 }, language: 7 });
      expect((await post(JSON.stringify(event))).status).toBe(202);
    });

    it('rejects malformed JSON with 400 invalid_json', async () => {
      expect(await expectRejected(await post('{"event_id": '), 400)).toEqual({ error: 'invalid_json' });
    });

    it('rejects an empty (signed) body with 400 invalid_json', async () => {
      expect(await expectRejected(await post(''), 400)).toEqual({ error: 'invalid_json' });
    });

    it('names fields without echoing their values', async () => {
      const issues = await issuesFor((e) => (ticket(e).client.email = 12345));
      expect(JSON.stringify(issues)).not.toContain('12345');
    });
  });

  describe('body limit', () => {
    const oversize = JSON.stringify({ ...SEED_TICKET_CREATED, padding: 'x'.repeat(20 * 1024) });

    it('rejects a signed body over the limit with 413; an unsigned one is a 401 before its size matters', async () => {
      expect(await expectRejected(await post(oversize), 413)).toEqual({ error: 'payload_too_large' });
      expect(await expectRejected(await post(oversize, { headerValue: null }), 401)).toMatchObject({ reason: 'signature_missing' });
    });

    it('takes its own limit when configured (events carry every reply)', async () => {
      await bridge.close();
      bridge = await startBridge(gateway, { now: () => NOW_MS, bodyLimitBytes: 64 * 1024 });
      expect((await post(oversize)).status).toBe(202);
    });
  });

  describe('Temporal down', () => {
    it('answers 503 temporal_unavailable with Retry-After (the platform retries for three days)', async () => {
      gateway.onNotifySource = async () => {
        throw new TemporalUnavailableError('signalWithStart');
      };
      const res = await post(created);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
    });

    it('answers 500 without internals for an unexpected error', async () => {
      gateway.onNotifySource = async () => {
        throw new TypeError('internal detail client.doe@plugnpaid.com');
      };
      const res = await post(created);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe(JSON.stringify({ error: 'internal_error' }));
    });
  });
});

describe('configurable header and recipe', () => {
  let gateway: RecordingGateway;
  let bridge: RunningBridge;
  afterEach(() => bridge.close());

  it('uses the configured header name, and only it', async () => {
    gateway = new RecordingGateway();
    bridge = await startBridge(gateway, { signatureHeader: 'X-Platform-Signature' });
    const value = signatureHeaderValue(WL_SECRET, created, Math.floor(Date.now() / 1000));
    const send = (header: string) =>
      fetch(bridge.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', [header]: value }, body: created });
    expect((await send('X-Whitelabel-Signature')).status).toBe(401);
    expect((await send('x-platform-signature')).status).toBe(202);
    expect(gateway.sourceCalls).toHaveLength(1);
  });

  /** SEED_TICKET_CREATED as if it had just happened: its signed `updated_at` is now. */
  const freshCreated = () =>
    JSON.stringify({ ...SEED_TICKET_CREATED, data: { ticket: { ...SEED_TICKET_CREATED.data.ticket, updated_at: Math.floor(Date.now() / 1000) } } });
  const sendSigned = (body: string, t: number, recipe: 'body' | 'timestamp.body') =>
    fetch(bridge.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [HEADER]: signatureHeaderValue(WL_SECRET, body, t, recipe) },
      body,
    });

  it('with the "body" recipe, accepts the raw body alone and rejects "<t>.<body>"', async () => {
    gateway = new RecordingGateway();
    bridge = await startBridge(gateway, { signedPayload: 'body' });
    const body = freshCreated();
    const t = Math.floor(Date.now() / 1000);
    expect((await sendSigned(body, t, 'timestamp.body')).status).toBe(401);
    expect(gateway.sourceCalls).toHaveLength(0);
    expect((await sendSigned(body, t, 'body')).status).toBe(202);
    expect(gateway.sourceCalls).toHaveLength(1);
  });

  it('with the "body" recipe, a captured event replayed with a fresh t is refused: its signed updated_at is the clock', async () => {
    gateway = new RecordingGateway();
    bridge = await startBridge(gateway, { signedPayload: 'body' });
    // The seed event changed its ticket in 2022; `t` is not signed, so a replayer sets it to now.
    const res = await sendSigned(created, Math.floor(Date.now() / 1000), 'body');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: 'unauthorized',
      reason: 'timestamp_too_old',
      message: "the event's data.ticket.updated_at (the signed time of this recipe) is more than 300 seconds old",
    });
    expect(gateway.sourceCalls).toHaveLength(0);
  });

  it('with the "body" recipe, the unsigned t is not trusted either way: a stale t on a fresh event is accepted', async () => {
    gateway = new RecordingGateway();
    bridge = await startBridge(gateway, { signedPayload: 'body' });
    expect((await sendSigned(freshCreated(), Math.floor(Date.now() / 1000) - 600, 'body')).status).toBe(202);
    expect(gateway.sourceCalls).toHaveLength(1);
  });
});

describe('events sent by the simulator', () => {
  let gateway: RecordingGateway;
  let bridge: RunningBridge;
  let sim: WhitelabelSimulator;

  beforeEach(async () => {
    gateway = new RecordingGateway();
    // "<t>.<body>": the seed fixtures changed their tickets in 2022, and only a signed `t` (fresh
    // per delivery) lets them through; with the "body" recipe they are replays (tested above).
    bridge = await startBridge(gateway, { signatureHeader: 'X-Sim-Sig', signedPayload: 'timestamp.body' });
    sim = await WhitelabelSimulator.start({
      webhookUrl: bridge.webhookUrl,
      signing: { secret: WL_SECRET, header: 'X-Sim-Sig', recipe: 'timestamp.body' },
    });
  });
  afterEach(async () => {
    await sim.stop();
    await bridge.close();
  });

  it('delivers the seed events signed, duplicated and shuffled: every delivery is accepted', async () => {
    // A fixed "random" sequence that reorders the four: the test must not depend on luck.
    const draws = [0.1, 0.9, 0.4];
    const deliveries = await sim.sendSeedEvents({ times: 2, order: 'shuffle', random: () => draws.shift() ?? 0 });
    expect(deliveries.map((d) => d.status)).toEqual(Array(8).fill(202));
    const sentOrder = deliveries.filter((_, i) => i % 2 === 0).map((d) => d.payload.event_id);
    expect(sentOrder).not.toEqual(SEED_EVENTS.map((e) => e.event_id));
    expect([...sentOrder].sort()).toEqual(SEED_EVENTS.map((e) => e.event_id).sort());
    // The bridge passes every delivery on; the workflow dedupes by event id.
    expect(gateway.sourceCalls.map((c) => c.notification.eventId)).toEqual(deliveries.map((d) => d.payload.event_id));
  });

  it('sends the fixtures byte for byte', async () => {
    const [delivery] = await sim.sendEvents([SEED_TICKET_RESOLVED]);
    expect(delivery).toMatchObject({ status: 202, payload: SEED_TICKET_RESOLVED });
    expect(gateway.sourceCalls.map((c) => [c.id, c.notification.eventId])).toEqual([[SEED_TICKET_RESOLVED.data.ticket.id, SEED_TICKET_RESOLVED.event_id]]);
  });

  it('delays each delivery when asked', async () => {
    const started = Date.now();
    await sim.sendEvents([SEED_TICKET_CREATED, SEED_TICKET_UPDATED], { delayMs: 150 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(gateway.sourceCalls).toHaveLength(2);
  });

  it("a client's ticket and reply arrive as created, then updated with the reply", async () => {
    const { ticket, webhooks } = await sim.clientCreatesTicket({ title: 'Cannot log in', text: 'It says my password is wrong' });
    expect(webhooks.map((w) => w.status)).toEqual([202]);
    const replied = await sim.clientReplies(ticket.id, 'Any news?');
    expect(gateway.sourceCalls.map((c) => [c.id, c.notification.kind])).toEqual([
      [ticket.id, 'created'],
      [ticket.id, 'updated'],
    ]);
    const tickets = [...webhooks, ...replied.webhooks].map((w) => toSourceTicket(whitelabelEventSchema.parse(w.payload).data.ticket));
    expect(tickets.map((t) => t.status)).toEqual(['OPEN', 'OPEN']);
    // The opening message is the description; only the reply is a comment.
    const snapshot = tickets[1]!;
    expect(snapshot.description).toBe('It says my password is wrong');
    expect(snapshot.comments.map((c) => [c.author, c.body])).toEqual([['USER', 'Any news?']]);
  });
});

describe('with the real Temporal gateway and no Temporal server', () => {
  it('answers 503 quickly and signals nothing', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
    const gateway = createTemporalGateway({
      client: new Client({ connection, namespace: 'default' }),
      taskQueue: 'ticket-bridge',
      rpcTimeoutMs: 1_000,
    });
    const bridge = await startBridge(gateway);
    try {
      const headers = { [HEADER]: signatureHeaderValue(WL_SECRET, created, Math.floor(Date.now() / 1000)) };
      const started = Date.now();
      const res = await fetch(bridge.webhookUrl, { method: 'POST', headers, body: created });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await bridge.close();
      await connection.close();
    }
  });

  it('with the API inbox: answers 202 queued, and the event is on disk encrypted (it carries personal data)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const dir = mkdtempSync(join(tmpdir(), 'whitelabel-inbox-'));
    const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
    const gateway = createTemporalGateway({
      client: new Client({ connection, namespace: 'default' }),
      taskQueue: 'ticket-bridge',
      rpcTimeoutMs: 1_000,
      readyTimeoutMs: 500,
    });
    let inbox: RunningWebhookInbox | undefined;
    const bridge = await startBridge(gateway, {}, {}, async (logger) => {
      inbox = await openWebhookInbox({ dir, maxEntries: 10, payloadEncryption: encryptionWith('k1'), gateway, logger });
      return inbox;
    });
    try {
      const headers = { [HEADER]: signatureHeaderValue(WL_SECRET, created, Math.floor(Date.now() / 1000)) };
      const res = await fetch(bridge.webhookUrl, { method: 'POST', headers, body: created });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, workflowId: `ticket/whitelabel/${SEED_TICKET_CREATED.data.ticket.id}`, outcome: 'queued' });

      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
      const onDisk = readFileSync(join(dir, files[0]!));
      const { client, title, replies } = SEED_TICKET_CREATED.data.ticket;
      for (const personal of [client.name, client.email, title, replies[0]!.text.trim()]) {
        expect(onDisk.includes(Buffer.from(personal))).toBe(false);
        expect(bridge.logText()).not.toContain(personal);
      }
    } finally {
      await bridge.close();
      await inbox?.stop();
      await connection.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
