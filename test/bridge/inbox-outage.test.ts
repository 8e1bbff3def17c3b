/**
 * Issue 10, scenario 11: "a lost CREATE is lost for good". A Temporal server of this file's
 * own (the official dev server on a SQLite file, so it can be stopped and started again on the
 * same port and state) runs under the bridge's real API and worker. While it is stopped, the
 * Connect simulator's CREATE webhooks get 202 `queued` from the API's inbox; once it is back,
 * the drainer delivers them and every ticket reaches Zendesk exactly once. The same holds when
 * the API process itself restarts while entries wait (a new inbox on the same directory).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ConnectSource } from '../../src/adapters/connect';
import { assigneeResolver, WhitelabelSource } from '../../src/adapters/whitelabel';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import { type RunningApiHalf, type RunningWorkerHalf, startApiHalf, startWorkerHalf } from '../../src/runtime/bridge';
import { createClient } from '../../src/runtime/client';
import { type DevServer, freePort, startDevServer } from '../../src/runtime/dev-server';
import { ConnectSimulator } from '../../src/simulators/connect';
import { ZendeskSimulator } from '../../src/simulators/zendesk';
import { WORKFLOWS_PATH } from '../../src/worker';
import { bundleWorkflows, eventually, uniqueTaskQueue } from '../harness';
import { parsePrometheus } from '../support/prometheus';
import { rigApiConfig } from '../support/bridge-rig';
import { capturingLogger } from '../support/log-capture';

jest.setTimeout(90_000);

const apiConfig = rigApiConfig();
const encryption = { payloadEncryption: apiConfig.payloadEncryption! };

describe('no webhook lost while Temporal is down (durable API inbox)', () => {
  let dir: string;
  let inboxDir: string;
  let port: number;
  let server: DevServer | null = null;
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let connect: ConnectSimulator;
  let zendesk: ZendeskSimulator;
  let worker: RunningWorkerHalf;
  let api: RunningApiHalf;
  const logLines: string[] = [];

  const startServer = async () => {
    server = await startDevServer({ port, headless: true, dbFilename: join(dir, 'temporal.db') });
  };
  const stopServer = async () => {
    await server?.stop();
    server = null;
  };

  async function startApi(): Promise<RunningApiHalf> {
    const logger = capturingLogger(logLines);
    const started = await startApiHalf({
      client: createClient(connection, 'default', encryption),
      taskQueue,
      config: apiConfig,
      workflowSettings: {},
      logger,
      port: 0,
      // Short back-off: the test should not wait out production's 30 s steps.
      inbox: { dir: inboxDir, maxEntries: 100, retry: { initialMs: 200, maxMs: 1_000 } },
    });
    // Connect's webhooks only: Zendesk's (about the bridge's own writes) would land in the inbox
    // too when they arrive during an outage, and blur what this test counts.
    connect.webhookUrl = `${started.url}/webhooks/connect?auth_token=${apiConfig.connectWebhookToken}`;
    return started;
  }

  const taskQueue = uniqueTaskQueue('inbox');

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    } catch {
      // installed already in this process
    }
    dir = mkdtempSync(join(tmpdir(), 'ticket-bridge-outage-'));
    inboxDir = join(dir, 'inbox');
    port = await freePort();
    await startServer();
    connection = await Connection.connect({ address: server!.address });
    nativeConnection = await NativeConnection.connect({ address: server!.address });
    connect = await ConnectSimulator.start();
    const bridgeEmail = 'bridge@example.test';
    zendesk = await ZendeskSimulator.start({ bridgeEmail, webhookSecret: apiConfig.zendeskWebhookSecret });
    worker = await startWorkerHalf({
      nativeConnection,
      namespace: 'default',
      taskQueue,
      ports: {
        sources: {
          connect: new ConnectSource({ baseUrl: connect.url, apiKey: connect.apiKey }),
          // Not exercised here; the worker needs both sources.
          whitelabel: new WhitelabelSource({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused' }),
        },
        crm: new ZendeskCrm({ baseUrl: zendesk.apiUrl, email: bridgeEmail, apiToken: zendesk.apiToken }),
        assignees: { whitelabel: assigneeResolver({}) },
      },
      payloadEncryption: encryption.payloadEncryption,
      overrides: { workflowBundle: await bundleWorkflows(WORKFLOWS_PATH) },
    });
    api = await startApi();
  });

  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await connect?.stop();
    await zendesk?.stop();
    await connection?.close().catch(() => undefined);
    await nativeConnection?.close().catch(() => undefined);
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  });

  const inboxFiles = () => readdirSync(inboxDir).sort();
  const zendeskTicketsFor = (id: string) => zendesk.tickets().filter((t) => t.external_id === `connect:${id}`);
  const requestLines = () =>
    logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'request' && r.route === '/webhooks/connect');

  /** The user opens tickets in the app; resolves with the Connect simulator's webhook answers. */
  async function userCreates(ids: readonly string[]): Promise<Array<number | null>> {
    const created = await Promise.all(ids.map((id) => connect.userCreatesTicket({ id, title: `Meter ${id}`, description: 'The reading doubled.' })));
    return created.flatMap(({ webhooks }) => webhooks.map((w) => w.status));
  }

  async function everyTicketInZendeskOnce(ids: readonly string[]): Promise<void> {
    await eventually(
      () => {
        for (const id of ids) expect(zendeskTicketsFor(id)).toHaveLength(1);
        expect(inboxFiles()).toEqual([]);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  it('takes webhooks straight to Temporal while it is up, without touching the disk', async () => {
    expect(await userCreates(['up-1'])).toEqual([202]);
    await everyTicketInZendeskOnce(['up-1']);
    expect(inboxFiles()).toEqual([]);
    expect(requestLines().at(-1)).toMatchObject({ status: 202, outcome: 'signalled', workflowId: 'ticket/connect/up-1' });
  });

  it('queues CREATEs that arrive while Temporal is stopped, and delivers each exactly once when it is back', async () => {
    await stopServer();
    const ids = ['down-1', 'down-2', 'down-3'];
    const before = requestLines().length;
    expect(await userCreates(ids)).toEqual([202, 202, 202]);
    // 202 `queued`: on disk, in the API's inbox, one file per webhook.
    expect(requestLines().slice(before).map((r) => [r.status, r.outcome])).toEqual(ids.map(() => [202, 'queued']));
    expect(inboxFiles()).toHaveLength(3);
    expect(api.inbox.stats().entries).toBe(3);
    const metrics = parsePrometheus(
      await (await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${apiConfig.opsApiToken}` } })).text(),
    );
    expect(metrics.value('ticket_bridge_inbox_entries', {})).toBe(3);
    expect(metrics.value('ticket_bridge_webhooks_total', { source: 'connect', outcome: 'queued' })).toBe(3);
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'queueing', temporal: 'unavailable', inbox: { queued: 3 } });
    for (const id of ids) expect(zendeskTicketsFor(id)).toEqual([]);

    await startServer();
    await everyTicketInZendeskOnce(ids);
    expect(api.inbox.stats().entries).toBe(0);
    expect((await (await fetch(`${api.url}/readyz`)).json())).toMatchObject({ status: 'ready', temporal: 'up', inbox: { queued: 0 } });
    // Nothing went twice: one Zendesk ticket per Connect ticket, all four so far.
    expect(zendesk.tickets()).toHaveLength(4);
  });

  it('delivers what was queued before the API itself restarted', async () => {
    await stopServer();
    const ids = ['restart-1', 'restart-2'];
    expect(await userCreates(ids)).toEqual([202, 202]);
    expect(inboxFiles()).toHaveLength(2);

    // The API process goes away with entries in its inbox; a new one opens the same directory.
    await api.stop();
    expect(inboxFiles()).toHaveLength(2);
    api = await startApi();
    expect(api.inbox.stats().entries).toBe(2);

    await startServer();
    await everyTicketInZendeskOnce(ids);
    expect(zendesk.tickets()).toHaveLength(6);
    // The new process said what it found, in counts and ages only.
    const resumed = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'inbox: delivering webhooks queued before the restart');
    expect(resumed).toMatchObject({ queued: 2, oldestAgeSeconds: expect.any(Number) });
  });
});
