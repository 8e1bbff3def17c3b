import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemporalUnavailableError } from '../../src/api/gateway';
import { openWebhookInbox, type RunningWebhookInbox } from '../../src/api/inbox';
import { CONNECT_TOKEN, FakeGateway, LogCapture, postJson, type RunningApi, startApi } from './helpers';
import { eventually } from '../harness';

describe('POST /webhooks/connect', () => {
  let api: RunningApi;
  let gateway: FakeGateway;
  const url = () => `${api.url}/webhooks/connect?auth_token=${encodeURIComponent(CONNECT_TOKEN)}`;

  beforeEach(async () => {
    gateway = new FakeGateway();
    api = await startApi({ gateway });
  });
  afterEach(() => api.close());

  describe('authentication', () => {
    it('rejects a missing token with 401 and does not signal', async () => {
      const res = await postJson(`${api.url}/webhooks/connect`, { type: 'CREATE', ticketId: '42' });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
      expect(gateway.sourceCalls).toHaveLength(0);
    });

    it.each([
      ['a wrong token', 'nope'],
      ['a token prefix', CONNECT_TOKEN.slice(0, -1)],
      ['a longer token', `${CONNECT_TOKEN}x`],
      ['an empty token', ''],
    ])('rejects %s with 401', async (_label, token) => {
      const res = await postJson(`${api.url}/webhooks/connect?auth_token=${encodeURIComponent(token)}`, { type: 'CREATE', ticketId: '42' });
      expect(res.status).toBe(401);
      expect(gateway.sourceCalls).toHaveLength(0);
    });

    it('rejects a repeated auth_token parameter even if one copy is right', async () => {
      const res = await postJson(`${url()}&auth_token=other`, { type: 'CREATE', ticketId: '42' });
      expect(res.status).toBe(401);
    });

    it('rejects before reading the body (no 400 for a bad body without the token)', async () => {
      const res = await postJson(`${api.url}/webhooks/connect?auth_token=nope`, '{not json');
      expect(res.status).toBe(401);
    });
  });

  describe('accepted notifications', () => {
    it.each([
      ['CREATE', 'created'],
      ['UPDATE', 'updated'],
      ['DELETE', 'deleted'],
    ] as const)('%s → 202 after the gateway signalled a %s notification', async (type, kind) => {
      const res = await postJson(url(), { type, ticketId: 'abc-42' });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, workflowId: 'ticket/connect/abc-42', outcome: 'signalled' });
      expect(gateway.sourceCalls).toHaveLength(1);
      const [call] = gateway.sourceCalls;
      expect(call!.source).toBe('connect');
      expect(call!.id).toBe('abc-42');
      expect(call!.notification).toEqual({ kind, eventId: null, receivedAt: expect.any(String), snapshot: null });
      expect(Date.now() - Date.parse(call!.notification.receivedAt)).toBeLessThan(5_000);
    });

    it('accepts a numeric ticketId as its text', async () => {
      const res = await postJson(url(), { type: 'UPDATE', ticketId: 42 });
      expect(res.status).toBe(202);
      expect(gateway.sourceCalls[0]!.id).toBe('42');
    });

    it('ignores unknown extra fields', async () => {
      const res = await postJson(url(), { type: 'UPDATE', ticketId: '7', tenantId: 't1' });
      expect(res.status).toBe(202);
    });

    it('answers 202 only once the gateway has resolved', async () => {
      let release: (() => void) | undefined;
      gateway.onNotifySource = (source, id) =>
        new Promise((resolve) => {
          release = () => resolve({ outcome: 'signalled', workflowId: `ticket/${source}/${id}` });
        });
      let settled = false;
      const pending = postJson(url(), { type: 'CREATE', ticketId: '1' }).then((r) => {
        settled = true;
        return r;
      });
      // The request has reached the gateway (on a busy machine that can take a while)…
      await eventually(() => expect(release).toBeDefined());
      await new Promise((r) => setTimeout(r, 100));
      // …and the answer waits for it.
      expect(settled).toBe(false);
      release!();
      expect((await pending).status).toBe(202);
    });

    it('reports a completed workflow as ignored, still 202', async () => {
      gateway.onNotifySource = async (source, id) => ({ outcome: 'ignored', workflowId: `ticket/${source}/${id}`, reason: 'completed' });
      const res = await postJson(url(), { type: 'UPDATE', ticketId: '9' });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, workflowId: 'ticket/connect/9', outcome: 'ignored' });
    });
  });

  describe('validation', () => {
    async function issues(body: unknown): Promise<Array<{ path: string; message: string }>> {
      const res = await postJson(url(), body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: string; issues: Array<{ path: string; message: string }> };
      expect(json.error).toBe('invalid_request');
      expect(gateway.sourceCalls).toHaveLength(0);
      return json.issues;
    }

    it('names a bad type', async () => {
      expect(await issues({ type: 'PATCH', ticketId: '42' })).toEqual([
        { path: 'type', message: 'must be one of CREATE, UPDATE, DELETE' },
      ]);
    });

    it('names a missing ticketId', async () => {
      expect((await issues({ type: 'CREATE' })).map((i) => i.path)).toEqual(['ticketId']);
    });

    it.each([[''], ['../admin'], ['a/b'], ['has space'], ['x'.repeat(129)], [-1], [1.5], [true], [null]])(
      'names an unusable ticketId %p',
      async (ticketId) => {
        expect((await issues({ type: 'CREATE', ticketId })).map((i) => i.path)).toEqual(['ticketId']);
      },
    );

    it('names both fields when both are wrong', async () => {
      expect((await issues({ type: 1, ticketId: {} })).map((i) => i.path).sort()).toEqual(['ticketId', 'type']);
    });

    it('rejects a JSON array as the body', async () => {
      expect((await issues([])).map((i) => i.path)).toEqual(['(body)']);
    });

    it('rejects malformed JSON with 400 invalid_json', async () => {
      const res = await postJson(url(), '{"type": "CREATE", ');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_json' });
    });

    it('rejects a non-JSON media type with 415', async () => {
      const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'type=CREATE' });
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({ error: 'unsupported_media_type' });
    });

    it('rejects an empty body with 400', async () => {
      const res = await fetch(url(), { method: 'POST' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: '(body)' }] });
    });

    it('rejects a body over BODY_LIMIT with 413', async () => {
      const res = await postJson(url(), { type: 'CREATE', ticketId: '1', padding: 'x'.repeat(2048) });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: 'payload_too_large' });
      expect(gateway.sourceCalls).toHaveLength(0);
    });
  });

  describe('Temporal down', () => {
    let dir: string;
    let inbox: RunningWebhookInbox;
    let queueing: RunningApi;
    const queueingUrl = () => `${queueing.url}/webhooks/connect?auth_token=${encodeURIComponent(CONNECT_TOKEN)}`;

    beforeEach(async () => {
      gateway.onNotifySource = async () => {
        throw new TemporalUnavailableError('signalWithStart');
      };
      gateway.onReady = async () => {
        throw new TemporalUnavailableError('getSystemInfo');
      };
      dir = mkdtempSync(join(tmpdir(), 'connect-webhook-inbox-'));
      const logs = new LogCapture();
      inbox = await openWebhookInbox({ dir, maxEntries: 1, payloadEncryption: { mode: 'off' }, gateway, logger: logs.logger });
      queueing = await startApi({ gateway, inbox, logs });
    });
    afterEach(async () => {
      await queueing.close();
      await inbox.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers 202 queued once the notification is on disk in the inbox', async () => {
      const res = await postJson(queueingUrl(), { type: 'CREATE', ticketId: '42' });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, workflowId: 'ticket/connect/42', outcome: 'queued' });
      expect(readdirSync(dir)).toHaveLength(1);
      expect(queueing.logs.requestLines().at(-1)).toMatchObject({ status: 202, outcome: 'queued', workflowId: 'ticket/connect/42' });
    });

    it('answers 503 temporal_unavailable with Retry-After when the inbox cannot take it either (nothing recorded)', async () => {
      expect((await postJson(queueingUrl(), { type: 'CREATE', ticketId: '1' })).status).toBe(202);
      const res = await postJson(queueingUrl(), { type: 'CREATE', ticketId: '2' }); // INBOX_MAX_ENTRIES is 1
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
      expect(readdirSync(dir)).toHaveLength(1);
    });

    it('answers 503 without an inbox', async () => {
      const res = await postJson(url(), { type: 'CREATE', ticketId: '42' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
    });

    it('answers 500 without internals for an unexpected error, and queues nothing', async () => {
      gateway.onNotifySource = async () => {
        throw new TypeError('secret internal detail at /srv/app.js');
      };
      const res = await postJson(queueingUrl(), { type: 'CREATE', ticketId: '42' });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: 'internal_error' });
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});
