/**
 * `npm start` never leaves a process behind. The real command (npm, its shell, the bridge and
 * the Temporal dev server it runs) is killed as a terminal or a supervisor kills it: a signal to
 * its whole process group (SIGINT as Ctrl-C, SIGTERM as a supervisor, SIGHUP as a closed
 * terminal), on a machine kept busy (the bridge must not lose its cleanup to a slow answer).
 * After each kill, no process of that start may remain (none holds its DATA_DIR in its command
 * line or environment) and its ports are free; the next start on the same DATA_DIR and ports
 * must work. `npm test` runs a few rounds; `npm run test:start-signals` runs 20.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPortFree, freePort } from '../../src/runtime/dev-server';
import { eventually } from '../harness';
import { BANNER_PRINTED, devServerPort, ROOT, START_ARGS, startScript } from '../support/npm-start';

const ROUNDS = Number(process.env.NPM_START_KILLS ?? 3);
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

jest.setTimeout(ROUNDS * 150_000);

/** The processes (other than this one) whose command line or environment mentions `text`. */
function processesMentioning(text: string): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (command.includes(text) || environ.split('\0').includes(`DATA_DIR=${text}`)) found.push({ pid, command });
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  return found;
}

describe('npm start, its process group killed under load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ticket-bridge-signals-'));
  const busy: ChildProcess[] = [];
  let env: Record<string, string>;
  let ports: number[];

  beforeAll(async () => {
    const port = await freePort();
    const devPort = await devServerPort();
    ports = [port, devPort, devPort + 1000];
    env = { PATH: process.env.PATH!, HOME: process.env.HOME!, PORT: String(port), DATA_DIR: dataDir, TEMPORAL_DEV_PORT: String(devPort), WORKER_METRICS_ADDRESS: 'off' };
    // A busy machine: a slow answer to a signal is where a relay gives up and kills.
    for (let i = 0; i < 2; i++) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  });
  afterAll(() => {
    for (const child of busy) child.kill('SIGKILL');
    for (const { pid } of processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the bridge in one node process, the TypeScript loader in it (no relaying parent)', () => {
    expect(startScript()).toBe(`node ${START_ARGS.join(' ')}`);
  });

  it(`leaves no process and no port behind, ${ROUNDS} times in a row`, async () => {
    const measured: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const signal = SIGNALS[round % SIGNALS.length]!;
      // Its own process group, as a terminal gives a command: the group is what gets the signal.
      const npm = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      npm.stdout!.on('data', (d) => (output += String(d)));
      npm.stderr!.on('data', (d) => (output += String(d)));
      const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
      await eventually(() => expect(output).toMatch(BANNER_PRINTED), { timeoutMs: 120_000, intervalMs: 200 });
      expect(processesMentioning(dataDir).some((p) => p.command.includes('start-dev'))).toBe(true);

      const killedAt = Date.now();
      process.kill(-npm.pid!, signal);
      await exited;
      // The bridge may still be stopping once npm is gone; it must finish, and take the dev server along.
      await eventually(() => expect({ round, signal, survivors: processesMentioning(dataDir) }).toEqual({ round, signal, survivors: [] }), {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      for (const port of ports) await expect(assertPortFree(port, 'npm start')).resolves.toBeUndefined();
      expect(output).not.toMatch(/\n\s+at /);
      measured.push(`${signal} ${Date.now() - killedAt} ms`);
    }
    process.stderr.write(`npm start killed ${ROUNDS} times; all gone after: ${measured.join(', ')}\n`);
  });
});
