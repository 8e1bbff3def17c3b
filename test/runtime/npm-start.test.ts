/**
 * The README's first command: `npm start` with nothing configured runs the whole bridge on the
 * embedded default: the official Temporal dev server (durable, its SQLite file in DATA_DIR, with
 * the Temporal UI) and the sandbox simulators. Run as a real process, played over HTTP like a
 * person would, stopped with SIGINT and started again on the same data directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR_LOCK_FILE } from '../../src/runtime/data-dir-lock';
import { assertPortFree, freePort } from '../../src/runtime/dev-server';
import { eventually } from '../harness';
import { BANNER_PRINTED, devServerPort, npmStart, stop, type Started } from '../support/npm-start';

jest.setTimeout(180_000);

describe('npm start (sandbox on the embedded default)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ticket-bridge-start-'));
  let env: Record<string, string>;
  let api = '';
  let first: Started | undefined;
  let second: Started | undefined;

  beforeAll(async () => {
    const port = await freePort();
    env = { PORT: String(port), DATA_DIR: dataDir, TEMPORAL_DEV_PORT: String(await devServerPort()) };
    api = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await stop(first);
    await stop(second);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown) =>
    fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const view = async (ticketId: string) =>
    (await (await fetch(`${api}/sandbox/tickets/${ticketId}`)).json()) as {
      app: { status: string; comments: Array<{ author: string; message: string }> };
      zendesk: { id: number; comments: Array<{ body: string }>; tags: string[]; mapped?: Record<string, unknown> } | null;
    };
  let ticketId = '';
  let zendeskId = 0;

  test('starts on the official Temporal dev server and prints the Temporal UI link', async () => {
    first = npmStart(env);
    await eventually(() => expect(first!.output()).toMatch(BANNER_PRINTED), { timeoutMs: 120_000, intervalMs: 200 });
    expect(first.output()).toMatch(/Temporal dev server 1\.5\.1 \(Server 1\.29\.1, UI [\d.]+\)/);
    expect(first.output()).toContain(join(dataDir, 'temporal.db'));
    const uiLink = /(http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\?query=\S+)/.exec(first.output())![1]!;
    expect(decodeURIComponent(uiLink)).toContain('WorkflowType="ticketWorkflow"');
    // The link opens the Temporal UI (its HTML shell; the browser test looks inside).
    const page = await fetch(uiLink);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
  });

  test('the sandbox plays a ticket both ways', async () => {
    const created = await post('/sandbox/user/tickets', { title: 'Meter', description: 'Doubled overnight.' });
    expect(created.status).toBe(200);
    ticketId = ((await created.json()) as { ticketId: string }).ticketId;
    zendeskId = await eventually(async () => {
      const { zendesk } = await view(ticketId);
      expect(zendesk).not.toBeNull();
      return zendesk!.id;
    });
    // The sandbox's example mapping (docs/mapping.md): the app's tenant routed to its brand and group.
    const { zendesk } = await view(ticketId);
    expect(zendesk!.tags).toEqual(expect.arrayContaining(['connect_app', 'tenant_tenant-sim']));
    expect(zendesk!.mapped).toMatchObject({ brand_id: 2, group_id: 10, priority: 'normal', custom_fields: expect.arrayContaining([{ id: 900001, value: 'tenant-sim' }]) });
    expect((await post(`/sandbox/agent/tickets/${zendeskId}/replies`, { body: 'Send a photo?' })).status).toBe(200);
    await eventually(async () =>
      expect((await view(ticketId)).app).toMatchObject({ status: 'PENDING', comments: [{ author: 'SUPPORT', message: 'Send a photo?' }] }),
    );
    // A bad play request is a 400 naming the field, like every other endpoint.
    const bad = await post('/sandbox/user/tickets', { title: '' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/description/);
  });

  test('a second npm start on the same data directory is refused in one line naming DATA_DIR, whatever its ports, and changes nothing', async () => {
    const otherPorts = { ...env, PORT: String(await freePort()), TEMPORAL_DEV_PORT: String(await devServerPort()) };
    for (const clash of [npmStart(env), npmStart(otherPorts)]) {
      expect(await clash.exited).toBe(2);
      expect(clash.output().trim().split('\n')).toEqual([
        `ticket-bridge: DATA_DIR ${dataDir} is in use by another ticket-bridge (pid ${first!.child.pid}). Stop it, or start this one ` +
          'on a directory of its own: DATA_DIR=<another directory> (with other ports: PORT, TEMPORAL_DEV_PORT).',
      ]);
    }
    expect((await fetch(`${api}/sandbox/tickets/${ticketId}`)).status).toBe(200);
  });

  test('a second npm start on the same ports (its own data directory) says so in one line, naming its DATA_DIR', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'ticket-bridge-start-other-'));
    try {
      const clash = npmStart({ ...env, DATA_DIR: ownDir });
      expect(await clash.exited).toBe(2);
      expect(clash.output().trim().split('\n')).toEqual([
        expect.stringMatching(/^ticket-bridge: port \d+ \(ticket-bridge API\) is already in use\. Is another `npm start` running\?/),
      ]);
      expect(clash.output()).toContain(`and a DATA_DIR of its own (this one's: ${ownDir})`);
    } finally {
      rmSync(ownDir, { recursive: true, force: true });
    }
  });

  test('stops cleanly on SIGINT, Temporal included', async () => {
    expect(await stop(first)).toBe(0);
    await expect(assertPortFree(Number(env.TEMPORAL_DEV_PORT), 'Temporal')).resolves.toBeUndefined();
  });

  test('started again on the same data directory: the ticket, its workflow and the simulators are all there, and it keeps syncing', async () => {
    // The first start released its lock; a lock left by a killed process (a pid that no longer
    // runs) does not block the start either.
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dataDir, DATA_DIR_LOCK_FILE), `${gone.stdout}\n`);
    // On a terminal the logs are readable lines (LOG_FORMAT=pretty is what a TTY gets by default).
    second = npmStart({ ...env, LOG_FORMAT: 'pretty' });
    await eventually(() => expect(second!.output()).toMatch(BANNER_PRINTED), { timeoutMs: 120_000, intervalMs: 200 });
    expect(second.output()).not.toMatch(/^\{"level"/m);
    expect(second.output()).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: ticket-bridge API listening on http:\/\/127\.0\.0\.1:\d+( \{.*\})?$/m);
    // After a restart the tour names the sandbox's next tickets, not the ones of the first run.
    expect(second.output()).toContain(`curl -s -XPOST "$OPS_API_URL/sandbox/user/tickets/T-1002/comments"`);
    expect((await view(ticketId)).app.comments).toEqual([{ author: 'SUPPORT', message: 'Send a photo?' }]);

    // The workflow from the first run picks up the user's next comment.
    expect((await post(`/sandbox/user/tickets/${ticketId}/comments`, { message: 'Here it is.' })).status).toBe(200);
    await eventually(async () => expect((await view(ticketId)).zendesk!.comments.map((c) => c.body)).toContain('Here it is.'), {
      timeoutMs: 30_000,
    });
    // The generated ops token is kept in the data directory: the `export` pasted after the first
    // start still works after the second.
    const token = /export OPS_API_URL=\S+ OPS_API_TOKEN=(\S+)/.exec(second.output())?.[1];
    expect(token).toBeDefined();
    expect(first!.output()).toContain(`OPS_API_TOKEN=${token}`);
    expect(statSync(join(dataDir, 'sandbox-secrets.json')).mode & 0o777).toBe(0o600);
    const state = await fetch(`${api}/tickets/connect/${ticketId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(state.status).toBe(200);
    expect(await state.json()).toMatchObject({ workflowId: `ticket/connect/${ticketId}` });
    expect(readFileSync(join(dataDir, DATA_DIR_LOCK_FILE), 'utf8')).toBe(`${second.child.pid}\n`);
    expect(await stop(second)).toBe(0);
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  });
});
