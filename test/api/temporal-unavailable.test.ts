/**
 * The real gateway over a real `@temporalio/client` whose server is not there: every route that
 * needs Temporal answers 503 quickly (within the gateway's deadline), so the sender retries.
 */
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createTemporalGateway } from '../../src/api/temporal-gateway';
import { TemporalUnavailableError } from '../../src/api/gateway';
import { CONNECT_TOKEN, OPS_TOKEN, postJson, type RunningApi, startApi, zendeskHeaders } from './helpers';

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
  let connection: Connection;
  const RPC_TIMEOUT_MS = 1_000;

  beforeAll(async () => {
    connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    const client = new Client({ connection, namespace: 'default' });
    const gateway = createTemporalGateway({ client, taskQueue: 'ticket-bridge', rpcTimeoutMs: RPC_TIMEOUT_MS, readyTimeoutMs: RPC_TIMEOUT_MS });
    api = await startApi({ gateway });
  });
  afterAll(async () => {
    await api.close();
    await connection.close();
  });

  async function timed(request: () => Promise<Response>): Promise<{ res: Response; ms: number }> {
    const started = Date.now();
    const res = await request();
    return { res, ms: Date.now() - started };
  }

  it('POST /webhooks/connect answers 503 within the deadline', async () => {
    const { res, ms } = await timed(() =>
      postJson(`${api.url}/webhooks/connect?auth_token=${CONNECT_TOKEN}`, { type: 'CREATE', ticketId: '42' }),
    );
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
    // Deadline plus at most one retry back-off step of the client (see temporal-gateway.ts).
    expect(ms).toBeLessThan(RPC_TIMEOUT_MS + 2_000);
  });

  it('POST /webhooks/zendesk answers 503 (external id path: a signal)', async () => {
    const raw = JSON.stringify({ ticket_id: '35436', external_id: 'connect:42' });
    const { res, ms } = await timed(() => fetch(`${api.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(raw), body: raw }));
    expect(res.status).toBe(503);
    // Deadline plus at most one retry back-off step of the client (see temporal-gateway.ts).
    expect(ms).toBeLessThan(RPC_TIMEOUT_MS + 2_000);
  });

  it('POST /webhooks/zendesk answers 503 (visibility lookup path)', async () => {
    const raw = JSON.stringify({ ticket_id: '35436' });
    const res = await fetch(`${api.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(raw), body: raw });
    expect(res.status).toBe(503);
  });

  it('GET /tickets/connect/:id answers 503', async () => {
    const res = await fetch(`${api.url}/tickets/connect/42`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    expect(res.status).toBe(503);
  });

  it('GET /readyz answers 503 and /healthz still 200', async () => {
    expect((await fetch(`${api.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });

  it('the gateway reports TemporalUnavailableError, not a raw gRPC error', async () => {
    const client = new Client({ connection, namespace: 'default' });
    const gateway = createTemporalGateway({ client, taskQueue: 'q', readyTimeoutMs: 300 });
    await expect(gateway.ready()).rejects.toBeInstanceOf(TemporalUnavailableError);
  });

  it('logs the 503 as a warning with the error type, not its message', async () => {
    const lines = api.logs.records().filter((r) => r.msg === 'temporal unavailable');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatchObject({ level: 'warn', err: { type: 'TemporalUnavailableError' } });
  });
});
