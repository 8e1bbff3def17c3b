/**
 * `ticket-bridge backfill` (docs/backfill.md) as a process, with the bridge's environment,
 * against the real dev server, the simulators over HTTP and the bridge's real worker and API:
 * tickets that existed before the bridge (some already in Zendesk) are bridged exactly once,
 * a run killed half-way is finished by running it again, a third run changes nothing, and the
 * starts keep to `--rate`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import { runCli } from '../../src/cli';
import { backfill, pacer, type BackfillTarget } from '../../src/cli/backfill';
import { crmExternalId, CRM_BRIDGE_TAG, ticketWorkflowId } from '../../src/domain/ticket';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { CLI_BIN, runBin } from '../support/cli';

jest.setTimeout(240_000);

describe('backfill against the bridge, the simulators and Temporal', () => {
  let rig: BridgeRig;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    rig = await startBridgeRig();
    dir = mkdtempSync(join(tmpdir(), 'backfill-'));
    // The bridge's own environment, as an operator runs the command next to it.
    env = {
      TEMPORAL_ADDRESS: rig.env.address,
      TEMPORAL_NAMESPACE: rig.env.namespace,
      TEMPORAL_TASK_QUEUE: rig.taskQueue,
      CONNECT_API_URL: rig.connect.url,
      CONNECT_API_KEY: rig.connect.apiKey,
      CONNECT_WEBHOOK_TOKEN: rig.apiConfig.connectWebhookToken,
      ZENDESK_API_URL: rig.zendesk.apiUrl,
      ZENDESK_EMAIL: 'bridge@example.test',
      ZENDESK_API_TOKEN: rig.zendesk.apiToken,
      ZENDESK_WEBHOOK_SECRET: rig.apiConfig.zendeskWebhookSecret,
      OPS_API_TOKEN: rig.apiConfig.opsApiToken,
      PAYLOAD_ENCRYPTION: 'off',
    };
  });
  afterAll(async () => {
    await rig?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Tickets opened before the bridge was there: no webhook ever reached it. */
  async function existingTickets(prefix: string, n: number): Promise<string[]> {
    const url = rig.connect.webhookUrl;
    rig.connect.webhookUrl = undefined;
    try {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = `${prefix}-${i}`;
        await rig.connect.userCreatesTicket({ id, title: `Old ticket ${i}`, description: `Written before the bridge, private text ${i}` });
        ids.push(id);
      }
      return ids;
    } finally {
      rig.connect.webhookUrl = url;
    }
  }

  const zendeskTicketsOf = (id: string) => rig.zendesk.tickets().filter((t) => t.external_id === crmExternalId('connect', id));
  const workflowExists = async (id: string) =>
    rig.client.workflow
      .getHandle(ticketWorkflowId('connect', id))
      .describe()
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );

  test('bridges each ticket once: interrupted, run again, and once more (which changes nothing), within the rate', async () => {
    const prefix = `bf-${randomUUID().slice(0, 6)}`;
    const ids = await existingTickets(prefix, 30);
    // Three are in Zendesk already (a bridge before this one made them): adopted, not duplicated.
    const crm = new ZendeskCrm({ baseUrl: rig.zendesk.apiUrl, email: 'bridge@example.test', apiToken: rig.zendesk.apiToken });
    for (const id of ids.slice(0, 3)) {
      await crm.createTicket({
        externalId: crmExternalId('connect', id),
        subject: 'Old ticket',
        description: 'Written before the bridge',
        requester: { externalId: null, name: null, email: null },
        status: 'open',
        tags: [CRM_BRIDGE_TAG],
        idempotencyKey: randomUUID(),
      });
    }
    // Two were bridged by their webhook already.
    const live = [`${prefix}-live-0`, `${prefix}-live-1`];
    for (const id of live) await rig.connect.userCreatesTicket({ id, title: 'New', description: 'After the bridge' });
    for (const id of live) await rig.zendeskTicketFor(id);
    const missing = [`${prefix}-gone-0`, `${prefix}-gone-1`];
    const file = join(dir, 'ids.txt');
    writeFileSync(file, ['# tickets before the bridge', ...ids, ...live, ...missing, 'not an id!', ids[5], ''].join('\n'));
    const all = [...ids, ...live];

    // First run, killed once a third of the tickets have their Zendesk ticket.
    const first = spawn(process.execPath, [CLI_BIN, 'backfill', '--source', 'connect', '--file', file, '--rate', '4'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((done) => first.once('exit', () => done()));
    await eventually(() => expect(ids.filter((id) => zendeskTicketsOf(id).length > 0).length).toBeGreaterThanOrEqual(10), { timeoutMs: 60_000 });
    first.kill('SIGKILL');
    await exited;
    const startedBefore = (await Promise.all(ids.map(workflowExists))).filter(Boolean).length;
    expect(startedBefore).toBeLessThan(ids.length);

    // Run again to the end: what the first run did is "already bridged".
    const began = Date.now();
    const second = await runBin(['backfill', '--source', 'connect', '--file', file, '--rate', '10', '--json'], env);
    const tookMs = Date.now() - began;
    expect(second.code).toBe(0);
    const counts = JSON.parse(second.stdout);
    expect(counts).toMatchObject({ seen: 35, notFound: 2, invalid: 1, failed: 0, started: ids.length - startedBefore, alreadyBridged: startedBefore + live.length });
    // The rate: n paced starts (and the two not-found reads) take at least (n + 2 - 1) / rate.
    expect(tookMs).toBeGreaterThanOrEqual(((counts.started + counts.notFound - 1) / 10) * 1000 - 50);
    // Plain progress lines (not a terminal), ids only: no ticket text.
    expect(second.stderr).toMatch(/^backfill: 4\/35: started \d+, already bridged \d+/m);
    expect(second.stderr + second.stdout).not.toContain('private text');

    // Each ticket: one workflow, linked to exactly one Zendesk ticket (the three old ones adopted).
    for (const id of all) {
      await eventually(async () => {
        const state = await rig.stateOf('connect', id);
        expect(zendeskTicketsOf(id)).toHaveLength(1);
        expect(state.crmTicketId).toBe(String(zendeskTicketsOf(id)[0]!.id));
      });
    }
    expect(await workflowExists(missing[0]!)).toBe(false);

    // A third run changes nothing: no start, no create, nothing read from the source.
    const creates = rig.zendesk.requests('POST /tickets.json').length;
    const reads = rig.connect.requests('GET /tickets/:id').length;
    const third = await runBin(['backfill', '--source', 'connect', '--file', file, '--rate', '10'], env);
    expect(third.code).toBe(0);
    expect(third.stdout).toBe(`backfill connect: 35 ids: started 0, already bridged ${all.length}, not found 2, invalid id 1, failed 0\n`);
    expect(rig.zendesk.requests('POST /tickets.json')).toHaveLength(creates);
    // Only the two missing ids are read again (they may exist by now).
    expect(rig.connect.requests('GET /tickets/:id').length - reads).toBe(2);
  });

  test('a source that fails is a failed id (its kind, never its answer), exit 1; the next run picks it up', async () => {
    const [id] = await existingTickets(`bf-${randomUUID().slice(0, 6)}`, 1);
    const file = join(dir, 'one.txt');
    writeFileSync(file, `${id}\n`);
    const fault = rig.connect.fault({ kind: 'error', status: 500, match: 'GET /tickets/:id' });
    const failed = await runBin(['backfill', '--source', 'connect', '--file', file], env);
    fault.remove();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`failed ${id}: server-error 500`);
    expect(failed.stdout).toContain('started 0, already bridged 0, not found 0, invalid id 0, failed 1');
    expect(await workflowExists(id!)).toBe(false);
    const again = await runBin(['backfill', '--source', 'connect', '--file', file], env);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('started 1');
    await rig.zendeskTicketFor(id!);
  });

  test('ids from stdin, --dry-run: everything checked, nothing started', async () => {
    const ids = await existingTickets(`bf-${randomUUID().slice(0, 6)}`, 2);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['backfill', '--source', 'connect', '--dry-run', '-'], {
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      env,
      stdin: async () => `${ids.join('\n')}\nno-such-ticket\n`,
      stderrIsTty: true,
    });
    expect(code).toBe(0);
    // On a terminal: one bar redrawn in place, ended by a newline once the list is done.
    expect(err.join('')).toBe(
      [
        '\r[##########....................] 1/3 would start 1, already bridged 0, not found 0, invalid id 0, failed 0',
        '\r[####################..........] 2/3 would start 2, already bridged 0, not found 0, invalid id 0, failed 0',
        '\r[##############################] 3/3 would start 2, already bridged 0, not found 1, invalid id 0, failed 0\n',
      ].join(''),
    );
    expect(out.join('')).toBe('backfill connect (dry run): 3 ids: would start 2, already bridged 0, not found 1, invalid id 0, failed 0\n');
    for (const id of ids) expect(await workflowExists(id)).toBe(false);
  });

  test('white-label tickets from before the bridge: read from the platform, bridged with their workflow', async () => {
    const url = rig.whitelabel.webhookUrl;
    rig.whitelabel.webhookUrl = undefined;
    const opened: string[] = [];
    try {
      for (const title of ['Invoice', 'Login']) opened.push((await rig.whitelabel.clientCreatesTicket({ title, text: `Old ${title}` })).ticket.id);
    } finally {
      rig.whitelabel.webhookUrl = url;
    }
    const file = join(dir, 'whitelabel.txt');
    writeFileSync(file, [...opened, '00000000-0000-4000-8000-0000000000ff'].join('\n'));
    const run = await runBin(['backfill', '--source', 'whitelabel', '--file', file, '--rate', '10'], {
      ...env,
      WHITELABEL_API_URL: rig.whitelabel.url,
      WHITELABEL_API_KEY: rig.whitelabel.apiKey,
      WHITELABEL_WEBHOOK_SECRET: rig.apiConfig.whitelabelWebhookSecret,
    });
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toBe('backfill whitelabel: 3 ids: started 2, already bridged 0, not found 1, invalid id 0, failed 0\n');
    for (const id of opened) {
      const zd = await rig.zendeskTicketFor(id, 'whitelabel');
      await eventually(async () => expect((await rig.stateOf('whitelabel', id)).crmTicketId).toBe(String(zd.id)));
    }
  });

  test('usage: the source, one list, a sane rate; a source the environment does not configure', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['backfill', '--file', 'x'], /needs --source/],
      [['backfill', '--source', 'connect'], /--file F or from - \(stdin\)/],
      [['backfill', '--source', 'connect', '--file', 'x', '-'], /one of them/],
      [['backfill', '--source', 'connect', '--file', 'x', '--rate', '0'], /--rate/],
      [['backfill', '--source', 'connect', '--file', 'x', '--status', 'OPEN'], /--status does not go with backfill/],
    ];
    for (const [args, message] of cases) {
      const run = await runBin(args, env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const unconfigured = await runBin(['backfill', '--source', 'whitelabel', '--file', 'x'], env);
    expect(unconfigured).toMatchObject({ code: 2 });
    expect(unconfigured.stderr).toContain('set WHITELABEL_API_URL and WHITELABEL_API_KEY');
  });
});

describe('the backfill loop', () => {
  test('the pacer spaces calls 1/rate apart, the first at once', async () => {
    let now = 1_000;
    const slept: number[] = [];
    const clock = { now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)) };
    const wait = pacer(4, clock);
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      await wait();
      at.push(now);
      now += 10; // the call itself
    }
    expect(at).toEqual([1_000, 1_250, 1_500, 1_750, 2_000]);
    // Calls already slower than the rate wait for nothing.
    now += 1_000;
    await wait();
    expect(slept).toHaveLength(4);
  });

  test('already bridged tickets cost no source read and no pacing; a failed or terminated run is started again', async () => {
    const calls: string[] = [];
    const target: BackfillTarget = {
      presence: async (id) => (id === 'a' ? 'bridged' : id === 'b' ? 'ended-in-failure' : 'none'),
      sourceHas: async (id) => (calls.push(`read ${id}`), id !== 'c'),
      start: async (id) => void calls.push(`start ${id}`),
    };
    const clock = { now: () => 0, sleep: async () => void calls.push('sleep') };
    const counts = await backfill(['a', 'b', 'c', 'd'], target, { ratePerSecond: 1, dryRun: false, clock });
    expect(counts).toEqual({ seen: 4, started: 2, alreadyBridged: 1, notFound: 1, invalid: 0, failed: 0 });
    expect(calls).toEqual(['read b', 'start b', 'sleep', 'read c', 'sleep', 'read d', 'start d']);
  });
});
