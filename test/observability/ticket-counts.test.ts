/**
 * `ticket_bridge_tickets{status}`: the API half counts running tickets by status in Temporal
 * visibility every TICKET_COUNTS_INTERVAL. On a Temporal server of this file's own (so it can be
 * stopped): a ticket opened through the Connect webhook is counted as NEW; with the server down,
 * each failed count is a Temporal call error (`operation="count"`) and the gauge keeps its last
 * value; the API still stops promptly. Off (no interval), there is no series at all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { type RunningApiHalf, startApiHalf } from '../../src/runtime/bridge';
import { createClient } from '../../src/runtime/client';
import { type DevServer, startDevServer } from '../../src/runtime/dev-server';
import { ConnectSimulator } from '../../src/simulators/connect';
import { eventually, uniqueTaskQueue } from '../harness';
import { rigApiConfig } from '../support/bridge-rig';
import { capturingLogger } from '../support/log-capture';
import { parsePrometheus, type Scrape } from '../support/prometheus';

jest.setTimeout(90_000);

const apiConfig = rigApiConfig();

describe('tickets by status (ticket_bridge_tickets)', () => {
  let dir: string;
  let server: DevServer | null = null;
  let connection: Connection;
  let connect: ConnectSimulator;
  const apis: RunningApiHalf[] = [];
  const logLines: string[] = [];

  async function startApi(ticketCountsIntervalMs: number | null): Promise<RunningApiHalf> {
    const api = await startApiHalf({
      client: createClient(connection, 'default', { payloadEncryption: { mode: 'off' } }),
      taskQueue: uniqueTaskQueue('counts'),
      config: { ...apiConfig, ticketCountsIntervalMs },
      workflowSettings: {},
      logger: capturingLogger(logLines),
      port: 0,
      inbox: { dir: mkdtempSync(join(dir, 'inbox-')), maxEntries: 100 },
    });
    apis.push(api);
    return api;
  }

  async function scrape(api: RunningApiHalf): Promise<Scrape> {
    const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${apiConfig.opsApiToken}` } });
    expect(res.status).toBe(200);
    return parsePrometheus(await res.text());
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ticket-bridge-counts-'));
    server = await startDevServer({ port: 0, headless: true, dbFilename: join(dir, 'temporal.db') });
    connection = await Connection.connect({ address: server.address });
    connect = await ConnectSimulator.start();
  });

  afterAll(async () => {
    for (const api of apis) await api.stop();
    await connect?.stop();
    await connection?.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('off: no series, and no count is made', async () => {
    const api = await startApi(null);
    const metrics = await scrape(api);
    expect(metrics.find('ticket_bridge_tickets')).toEqual([]);
    expect(metrics.find('ticket_bridge_temporal_call_errors_total', { operation: 'count' })).toEqual([]);
  });

  it('counts a new ticket; keeps the last value and counts the errors while Temporal is down', async () => {
    const api = await startApi(300);
    connect.webhookUrl = `${api.url}/webhooks/connect?auth_token=${apiConfig.connectWebhookToken}`;
    const { webhooks } = await connect.userCreatesTicket({ id: `counts-${Date.now()}`, title: 'Counted', description: 'One of one' });
    expect(webhooks.map((w) => w.status)).toEqual([202]);
    await eventually(async () => {
      const metrics = await scrape(api);
      expect(metrics.value('ticket_bridge_webhooks_total', { source: 'connect', outcome: 'accepted' })).toBe(1);
      expect(Object.fromEntries(metrics.find('ticket_bridge_tickets').map((s) => [s.labels.status, s.value]))).toEqual({ NEW: 1, OPEN: 0, PENDING: 0, SOLVED: 0, CLOSED: 0 });
    });

    await server!.stop();
    server = null;
    await eventually(async () => {
      const metrics = await scrape(api);
      // Each failed count waits for its deadline first: how many fit in the wait depends on the machine.
      expect(metrics.value('ticket_bridge_temporal_call_errors_total', { operation: 'count', reason: 'unavailable' })).toBeGreaterThan(0);
      expect(metrics.value('ticket_bridge_tickets', { status: 'NEW' })).toBe(1);
      // Said once the round is over.
      expect(logLines.some((l) => l.includes('ticket counts: some visibility counts failed'))).toBe(true);
    }, { timeoutMs: 60_000, intervalMs: 300 });
  });
});
