/**
 * The README's first command: `npm start` with nothing configured runs the whole bridge on the
 * embedded default (in-memory Temporal, sandbox simulators). Run as a real process, played over
 * HTTP like a person would, and stopped with SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { eventually } from '../harness';

jest.setTimeout(120_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('npm start (sandbox on the embedded default)', () => {
  let child: ChildProcess;
  let output = '';
  let api = '';

  beforeAll(async () => {
    const port = await freePort();
    const root = join(__dirname, '..', '..');
    // Exactly what `npm start` runs, minus npm: its own process, its own environment.
    child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), WORKER_METRICS_ADDRESS: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    api = `http://127.0.0.1:${port}`;
    await eventually(() => expect(output).toMatch(/Play the end user/), { timeoutMs: 60_000, intervalMs: 200 });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  const post = (path: string, body: unknown) =>
    fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('says it is not durable, and the sandbox plays a ticket both ways', async () => {
    // Offline (here) it is the in-memory service, and it says loudly that nothing is durable.
    if (/in-memory Temporal test service/.test(output)) expect(output).toMatch(/NOT DURABLE/);
    else expect(output).toMatch(/temporal CLI dev server|SDK-downloaded Temporal/);

    const created = await post('/sandbox/user/tickets', { title: 'Meter', description: 'Doubled overnight.' });
    expect(created.status).toBe(200);
    const { ticketId } = (await created.json()) as { ticketId: string };
    const zendeskId = await eventually(async () => {
      const view = (await (await fetch(`${api}/sandbox/tickets/${ticketId}`)).json()) as { zendesk: { id: number } | null };
      expect(view.zendesk).not.toBeNull();
      return view.zendesk!.id;
    });

    expect((await post(`/sandbox/agent/tickets/${zendeskId}/replies`, { body: 'Send a photo?' })).status).toBe(200);
    await eventually(async () => {
      const view = (await (await fetch(`${api}/sandbox/tickets/${ticketId}`)).json()) as { app: { status: string; comments: unknown[] } };
      expect(view.app).toMatchObject({ status: 'PENDING', comments: [{ author: 'SUPPORT', message: 'Send a photo?' }] });
    });
    // A bad play request is a 400 naming the field, like every other endpoint.
    const bad = await post('/sandbox/user/tickets', { title: '' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/description/);
  });

  test('stops cleanly on SIGINT', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
