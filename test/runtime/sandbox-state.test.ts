/**
 * The sandbox's state file: `npm start` on a durable Temporal restarts into workflows that
 * remember simulated tickets, so the simulators must come back with them, and with id counters
 * that never hand out an old id again. Played as a person (the `/sandbox` routes over HTTP) and as
 * the worker (the sandbox's own ports: the real adapters, over HTTP to the simulators).
 */
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import express from 'express';
import type { CrmKind } from '../../src/config/freshdesk';
import type { NewCrmTicket } from '../../src/ports/crm';
import { createLogger } from '../../src/observability/logger';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { sandboxStateSchema, type SandboxState } from '../../src/sandbox/state';

interface Running {
  sandbox: Sandbox;
  url: string;
  stop(): Promise<void>;
}

describe('the sandbox state file', () => {
  let dir: string;
  let file: string;
  let logLines: string[];
  const running = new Set<Running>();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-state-'));
    file = join(dir, 'data', 'sandbox.json');
    logLines = [];
  });
  afterEach(async () => {
    for (const r of running) await r.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A sandbox on `file`, its play routes served on loopback as `npm start` serves them. */
  async function start(helpdesk: CrmKind = 'zendesk'): Promise<Running> {
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void logLines.push(line) } });
    const sandbox = await startSandbox({ stateFile: file, logger, helpdesk });
    const server: Server = express().use(sandbox.router).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const r: Running = {
      sandbox,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      stop: async () => {
        running.delete(r);
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await sandbox.stop();
      },
    };
    running.add(r);
    return r;
  }

  const post = async (r: Running, path: string, body: unknown = {}) => {
    const res = await fetch(r.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  };
  const get = async (r: Running, path: string) => (await (await fetch(r.url + path)).json()) as any;
  const readState = async (): Promise<SandboxState> => sandboxStateSchema.parse(JSON.parse(await readFile(file, 'utf8')));

  const zendeskTicket = (sourceId: string, idempotencyKey: string): NewCrmTicket => ({
    externalId: `connect:${sourceId}`,
    subject: 'Meter reading looks wrong',
    description: 'My reading doubled overnight.',
    requester: { externalId: 'user-1', name: 'App user', email: null },
    status: 'open',
    tags: ['ticket-bridge'],
    idempotencyKey,
  });
  const noDedupe = { check: false, afterCommentId: null, excludeIds: [] };

  it('brings back every ticket, comment, status and identity, and hands out no old id again', async () => {
    const first = await start();
    const { ports } = first.sandbox;
    // The end user, the bridge and the agent each change something, over HTTP.
    const { ticketId } = await post(first, '/sandbox/user/tickets', { title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
    await post(first, `/sandbox/user/tickets/${ticketId}/comments`, { message: 'Here is a photo' });
    const zd = await ports.crm.createTicket(zendeskTicket(ticketId, 'create-1'));
    await ports.sources.connect!.postSupportComment(ticketId, 'We are on it', noDedupe);
    await post(first, `/sandbox/agent/tickets/${zd.id}/replies`, { body: 'Could you send a photo?', status: 'pending' });
    await post(first, '/sandbox/whitelabel/seed');
    const wl = await post(first, '/sandbox/whitelabel/tickets', { title: 'Billing', text: 'My invoice is wrong.' });
    await post(first, `/sandbox/whitelabel/tickets/${wl.ticketId}/assign`);

    const before = {
      app: await get(first, `/sandbox/tickets/${ticketId}`),
      source: await ports.sources.connect!.fetchTicket(ticketId),
      crm: await ports.crm.getTicket(zd.id),
      platform: await get(first, `/sandbox/whitelabel/tickets/${wl.ticketId}`),
      seeded: first.sandbox.whitelabel.tickets(),
      bridgeUserId: await ports.crm.bridgeUserId(),
      agentId: first.sandbox.zendesk.agent.id,
      endpointId: first.sandbox.whitelabel.toSnapshot().endpointId,
    };
    expect(before.app).toMatchObject({ app: { status: 'OPEN' }, zendesk: { id: Number(zd.id), status: 'pending' } });
    expect(before.crm!.comments).toHaveLength(2);
    expect(before.source!.comments.map((c) => c.author)).toEqual(['USER', 'SUPPORT']);
    await first.stop();
    expect(await readdir(join(dir, 'data'))).toEqual(['sandbox.json']);

    const second = await start();
    const again = second.sandbox.ports;
    // What the worker reads back, and what the person sees, is what it was.
    expect(await get(second, `/sandbox/tickets/${ticketId}`)).toEqual(before.app);
    expect(await again.sources.connect!.fetchTicket(ticketId)).toEqual(before.source);
    expect(await again.crm.getTicket(zd.id)).toEqual(before.crm);
    expect(await get(second, `/sandbox/whitelabel/tickets/${wl.ticketId}`)).toEqual(before.platform);
    expect(second.sandbox.whitelabel.tickets()).toEqual(before.seeded);
    expect(await again.crm.bridgeUserId()).toBe(before.bridgeUserId);
    expect(second.sandbox.zendesk.agent.id).toBe(before.agentId);
    expect(second.sandbox.whitelabel.toSnapshot().endpointId).toBe(before.endpointId);
    expect(await again.sources.whitelabel!.fetchTicket(wl.ticketId)).toMatchObject({ id: wl.ticketId, assigneeRef: expect.any(String) });
    // A create retried after the restart with its key is still the same ticket.
    expect((await again.crm.createTicket(zendeskTicket(ticketId, 'create-1'))).id).toBe(zd.id);
    expect(second.sandbox.zendesk.tickets()).toHaveLength(1);

    // New ids continue after the old ones.
    const next = await post(second, '/sandbox/user/tickets', { title: 'Another', description: 'Something else.' });
    expect(next.ticketId).toBe('T-1002');
    await post(second, `/sandbox/user/tickets/${next.ticketId}/comments`, { message: 'More' });
    const oldConnectComments = before.source!.comments.map((c) => Number(c.id));
    const [newConnectComment] = second.sandbox.connect.ticket(next.ticketId)!.comments;
    expect(newConnectComment!.id).toBeGreaterThan(Math.max(...oldConnectComments));
    const zd2 = await again.crm.createTicket({ ...zendeskTicket(next.ticketId, 'create-2'), requester: { externalId: 'user-2', name: 'Someone else', email: null } });
    expect(Number(zd2.id)).toBeGreaterThan(Number(zd.id));
    const oldCrmComments = before.crm!.comments.map((c) => Number(c.id));
    expect(Number(zd2.comments[0]!.id)).toBeGreaterThan(Math.max(...oldCrmComments));
    const oldUsers = [before.bridgeUserId, String(before.agentId), before.crm!.requesterId].map(Number);
    expect(Number(zd2.requesterId)).toBeGreaterThan(Math.max(...oldUsers));
    expect(logLines).toEqual([]);
  });

  it('on Freshdesk (CRM=freshdesk) too: its tickets, conversations, files and agents come back; Zendesk may not take over its workflows', async () => {
    const first = await start('freshdesk');
    const { ports } = first.sandbox;
    const { ticketId } = await post(first, '/sandbox/user/tickets', { title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
    const photo = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048, 7)]);
    const fd = await ports.crm.createTicket({ ...zendeskTicket(ticketId, 'create-1'), requester: { externalId: 'user-1', name: 'App user', email: 'user@example.test' } });
    await first.sandbox.freshdesk!.requesterReplies(fd.id, 'Here is a photo');
    await first.sandbox.freshdesk!.agentReplies(fd.id, 'Thanks, the photo helps.', { attachments: [{ name: 'meter.png', contentType: 'image/png', bytes: photo }] });
    await post(first, `/sandbox/agent/tickets/${fd.id}/status`, { status: 'pending' });
    const before = {
      crm: await ports.crm.getTicket(fd.id),
      view: await get(first, `/sandbox/tickets/${ticketId}`),
      bridgeUserId: await ports.crm.bridgeUserId(),
      agentId: first.sandbox.freshdesk!.agent.id,
    };
    expect(before.view.freshdesk).toMatchObject({ id: Number(fd.id), status: 'pending' });
    expect(before.crm!.comments).toHaveLength(3);
    await first.stop();

    // Its workflows hold Freshdesk ids: a start on Zendesk is refused, saying what to do, and changes nothing.
    const saved = await readFile(file, 'utf8');
    await expect(start()).rejects.toThrow(
      `the sandbox in ${file} ran on Freshdesk (CRM=freshdesk) and its ticket workflows write there; start it with CRM=freshdesk again, or give Zendesk a DATA_DIR of its own (or delete this one)`,
    );
    expect(await readFile(file, 'utf8')).toBe(saved);

    const second = await start('freshdesk');
    const again = second.sandbox.ports;
    expect(await get(second, `/sandbox/tickets/${ticketId}`)).toEqual(before.view);
    expect(await again.crm.getTicket(fd.id)).toEqual(before.crm);
    expect(await again.crm.bridgeUserId()).toBe(before.bridgeUserId);
    expect(second.sandbox.freshdesk!.agent.id).toBe(before.agentId);
    const [attached] = second.sandbox.freshdesk!.conversations(fd.id).at(-1)!.attachments;
    expect(second.sandbox.freshdesk!.file(attached!.id)!.bytes.equals(photo)).toBe(true);
    // The lost-answer check still finds the ticket: no second one for the same source ticket.
    expect((await again.crm.createTicket({ ...zendeskTicket(ticketId, 'create-1'), requester: { externalId: 'user-1', name: 'App user', email: 'user@example.test' } })).id).toBe(fd.id);
    // New ids continue after the old ones.
    const next = await again.crm.createTicket({ ...zendeskTicket('T-2000', 'create-2'), requester: { externalId: 'user-2', name: 'Someone else', email: 'else@example.test' } });
    expect(Number(next.id)).toBeGreaterThan(Number(fd.id));
    expect(Number(next.requesterId)).toBeGreaterThan(Math.max(Number(before.bridgeUserId), before.agentId, Number(before.crm!.requesterId)));
    expect(logLines).toEqual([]);
  });

  it('keeps the file current while the sandbox runs, so a crash loses at most the last moment', async () => {
    const r = await start();
    await post(r, '/sandbox/user/tickets', { title: 'Meter', description: 'Doubled.' });
    // No stop(): the file is what a killed process would leave.
    await waitFor(async () => expect((await readState()).connect.store.tickets).toHaveLength(1));
  });

  it('writes atomically: under a stream of changes the file always parses, keeps up, and leaves no .tmp', async () => {
    const r = await start();
    let reading = true;
    let reads = 0;
    const counts = new Set<number>();
    const reader = (async () => {
      while (reading) {
        const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
        if (text !== null) {
          // Throws, failing the test, on a half-written file.
          counts.add(sandboxStateSchema.parse(JSON.parse(text)).connect.store.tickets.length);
          reads++;
        }
        await tick();
      }
    })();
    // Changes keep coming until the reader has seen enough of the file (at least 300 of them and
    // half a second), so a loaded machine gets a longer stream, never a weaker check.
    const enough = () => reads > 10 && [...counts].some((n) => n > 0);
    const started = Date.now();
    let total = 0;
    while (total < 300 || Date.now() < started + 500 || (!enough() && Date.now() < started + 15_000)) {
      const { ticket } = await r.sandbox.connect.userCreatesTicket({ title: `t${total}`, description: 'd' });
      await r.sandbox.connect.userComments(ticket.id, 'c');
      total++;
      // About 600 changes a second: several write windows, each with many changes.
      while (Date.now() < started + (total * 500) / 300) await tick();
    }
    await r.stop();
    reading = false;
    await reader;

    expect(reads).toBeGreaterThan(10);
    // Intermediate states reached the disk while changes kept coming (the delay is not reset by each).
    expect([...counts].filter((n) => n > 0 && n < total).length).toBeGreaterThan(0);
    expect((await readState()).connect.store.tickets).toHaveLength(total);
    expect(await readdir(join(dir, 'data'))).toEqual(['sandbox.json']);
  });

  describe('an unusable file is moved aside, and the sandbox starts empty with a warning', () => {
    const valid = async (): Promise<SandboxState> => {
      const r = await start();
      await post(r, '/sandbox/user/tickets', { title: 'Private title', description: 'Private words.' });
      await r.stop();
      return readState();
    };

    it.each([
      ['not JSON', async () => '{"version":1,"connect": Private words', /not JSON/],
      ['another version', async () => JSON.stringify({ ...(await valid()), version: 2 }), /version/],
      ['a wrong field', async () => JSON.stringify(set(await valid(), (s) => (s.connect.store.tickets[0]!.status = 'Private words' as never))), /connect\.store\.tickets\.0\.status/],
      ['a counter that would hand out an old id', async () => JSON.stringify(set(await valid(), (s) => (s.connect.store.next.ticket = 1001))), /next\.ticket/],
    ])('%s', async (_case, contents, reason) => {
      const text = await contents();
      await mkdir(join(dir, 'data'), { recursive: true });
      await writeFile(file, text);
      logLines = [];

      const r = await start();
      expect(r.sandbox.connect.tickets()).toEqual([]);
      expect(logLines).toHaveLength(1);
      const line = JSON.parse(logLines[0]!) as { level: string; msg: string; movedTo: string };
      expect(line.level).toBe('warn');
      expect(line.msg).toContain(file);
      expect(line.msg).toMatch(reason);
      expect(line.msg).toMatch(/moved it to .*\.corrupt-/);
      // It names fields, never what the tickets say.
      expect(logLines[0]).not.toMatch(/Private/);
      // Kept as it was, for a look; the state file starts over.
      expect(await readFile(line.movedTo, 'utf8')).toBe(text);
      await r.stop();
      expect((await readState()).connect.store.tickets).toEqual([]);
    });
  });

  it('a sandbox that ran on Zendesk refuses a start on Freshdesk, and a Zendesk run keeps an unused Freshdesk as it was', async () => {
    const idle = await start('freshdesk');
    await idle.stop();
    const freshdeskBefore = (await readState()).freshdesk;
    expect(freshdeskBefore?.store.tickets).toEqual([]);
    const zendesk = await start();
    await post(zendesk, '/sandbox/user/tickets', { title: 'Meter', description: 'Doubled.' });
    await zendesk.sandbox.ports.crm.createTicket(zendeskTicket('T-1001', 'create-1'));
    await zendesk.stop();
    expect((await readState()).freshdesk).toEqual(freshdeskBefore);
    await expect(start('freshdesk')).rejects.toThrow(`the sandbox in ${file} ran on Zendesk (CRM=zendesk)`);
  });

  it('refuses to start on a file it cannot read, naming it', async () => {
    await mkdir(file, { recursive: true });
    await expect(startSandbox({ stateFile: file })).rejects.toThrow(`cannot read the sandbox state file ${file} (EISDIR)`);
  });
});

function set<T>(value: T, change: (v: T) => void): T {
  change(value);
  return value;
}

async function waitFor(assertion: () => Promise<void>, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
