/**
 * The real gateway over a real `@temporalio/client` whose server is not there. Webhooks are
 * not refused: each is queued in the API's durable inbox (202 `queued`, on disk before the
 * answer) within the gateway's deadline. Only when the inbox cannot take one either is the
 * answer 503, so the sender retries; routes that need an answer from Temporal (ops) answer 503.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createTemporalGateway } from '../../src/api/temporal-gateway';
import { TemporalUnavailableError, type TicketWorkflowGateway } from '../../src/api/gateway';
import { openWebhookInbox, type RunningWebhookInbox } from '../../src/api/inbox';
import { CONNECT_TOKEN, LogCapture, OPS_TOKEN, postJson, type RunningApi, startApi, zendeskHeaders } from './helpers';

/** A loopback port that was free a moment ago and now refuses connections. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Temporal unreachable', () => {
  let api: RunningApi;
  let inbox: RunningWebhookInbox;
  let connection: Connection;
  let gateway: TicketWorkflowGateway;
  let dir: string;
  const RPC_TIMEOUT_MS = 1_000;

  /** An API over the unreachable gateway with an inbox of its own. */
  async function startWithInbox(maxEntries: number): Promise<{ api: RunningApi; inbox: RunningWebhookInbox; inboxDir: string }> {
    const inboxDir = mkdtempSync(join(dir, 'inbox-'));
    const logs = new LogCapture();
    const opened = await openWebhookInbox({ dir: inboxDir, maxEntries, payloadEncryption: { mode: 'off' }, gateway, logger: logs.logger });
    return { api: await startApi({ gateway, inbox: opened, logs }), inbox: opened, inboxDir };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'temporal-unavailable-'));
    connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    const client = new Client({ connection, namespace: 'default' });
    gateway = createTemporalGateway({ client, taskQueue: 'ticket-bridge', rpcTimeoutMs: RPC_TIMEOUT_MS, readyTimeoutMs: RPC_TIMEOUT_MS });
    ({ api, inbox } = await startWithInbox(100));
  });
  afterAll(async () => {
    await api.close();
    await inbox.stop();
    await connection.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function timed(request: () => Promise<Response>): Promise<{ res: Response; ms: number }> {
    const started = Date.now();
    const res = await request();
    return { res, ms: Date.now() - started };
  }

  it('POST /webhooks/connect answers 202 queued within the deadline, once the notification is on disk', async () => {
    const before = inbox.stats().entries;
    const { res, ms } = await timed(() =>
      postJson(`${api.url}/webhooks/connect?auth_token=${CONNECT_TOKEN}`, { type: 'CREATE', ticketId: '42' }),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, workflowId: 'ticket/connect/42', outcome: 'queued' });
    expect(inbox.stats().entries).toBe(before + 1);
    // Deadline plus at most one retry back-off step of the client (see temporal-gateway.ts).
    expect(ms).toBeLessThan(RPC_TIMEOUT_MS + 2_000);
  });

  it('POST /webhooks/zendesk answers 202 queued (external id path: a signal)', async () => {
    const raw = JSON.stringify({ ticket_id: '35436', external_id: 'connect:42' });
    const { res, ms } = await timed(() => fetch(`${api.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(raw), body: raw }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, outcome: 'queued', workflowId: 'ticket/connect/42' });
    // Ticket 42 already waits in the inbox: queued behind it at once, without asking Temporal.
    expect(ms).toBeLessThan(RPC_TIMEOUT_MS);
  });

  it('POST /webhooks/zendesk answers 202 queued (visibility lookup path: the workflow is found at delivery)', async () => {
    const raw = JSON.stringify({ ticket_id: '35437' });
    const res = await fetch(`${api.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(raw), body: raw });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, outcome: 'queued' });
  });

  it('GET /tickets/connect/:id answers 503 (an operator wants an answer, not a promise)', async () => {
    const res = await fetch(`${api.url}/tickets/connect/42`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    expect(res.status).toBe(503);
  });

  it('GET /readyz answers 200 queueing with the inbox depth (webhooks are still taken), /healthz 200', async () => {
    const res = await fetch(`${api.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'queueing',
      temporal: 'unavailable',
      inbox: { queued: 3, oldestAgeSeconds: expect.any(Number), unreadable: 0, maxEntries: 100 },
    });
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });

  it('answers 503 when the inbox cannot take the webhook either, and says so in the log and /readyz', async () => {
    const full = await startWithInbox(1);
    try {
      const url = `${full.api.url}/webhooks/connect?auth_token=${CONNECT_TOKEN}`;
      expect((await postJson(url, { type: 'CREATE', ticketId: '1' })).status).toBe(202);
      const refused = await postJson(url, { type: 'CREATE', ticketId: '2' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({ error: 'temporal_unavailable' });
      expect(readdirSync(full.inboxDir)).toHaveLength(1);
      expect(full.api.logs.records().find((r) => r.msg === 'inbox full (INBOX_MAX_ENTRIES): webhook refused')).toMatchObject({
        level: 'warn',
        workflowId: 'ticket/connect/2',
        queued: 1,
        maxEntries: 1,
      });
      const ready = await fetch(`${full.api.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ error: 'temporal_unavailable', inbox: { queued: 1, maxEntries: 1 } });
    } finally {
      await full.api.close();
      await full.inbox.stop();
    }
  });

  it('the gateway reports TemporalUnavailableError, not a raw gRPC error', async () => {
    const client = new Client({ connection, namespace: 'default' });
    const plain = createTemporalGateway({ client, taskQueue: 'q', readyTimeoutMs: 300 });
    await expect(plain.ready()).rejects.toBeInstanceOf(TemporalUnavailableError);
  });

  it('logs the outage as a warning with the error type, not its message', async () => {
    const queued = api.logs.records().filter((r) => r.msg === 'temporal unavailable; webhook queued in the inbox');
    expect(queued[0]).toMatchObject({ level: 'warn', err: { type: 'TemporalUnavailableError' }, workflowId: 'ticket/connect/42' });
    expect(queued[0]!.err).not.toHaveProperty('message');
    const refused = api.logs.records().filter((r) => r.msg === 'temporal unavailable');
    expect(refused[0]).toMatchObject({ level: 'warn', err: { type: 'TemporalUnavailableError' } });
  });
});
