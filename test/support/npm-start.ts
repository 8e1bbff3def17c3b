/**
 * `npm start` as a real process for tests: exactly what the script runs (`node --import tsx
 * src/main.ts`, one process: see START_ARGS), in its own environment (only PATH and HOME leak
 * in), its output collected, stopped with SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertPortFree, freePort } from '../../src/runtime/dev-server';

export const ROOT = join(__dirname, '..', '..');

export interface Started {
  child: ChildProcess;
  /** stdout and stderr, interleaved as they came. */
  output: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
}

/**
 * node's arguments in package.json's `start`. tsx is a loader in the bridge's own process, not
 * `tsx src/main.ts`: that runs the bridge as a child behind a signal relay which SIGKILLs it when
 * it does not answer a signal within ~30 ms (a busy machine), skipping its cleanup.
 */
export const START_ARGS = ['--import', 'tsx', 'src/main.ts'];

/** package.json's `start` script. */
export function startScript(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
}

export function npmStart(env: Record<string, string>): Started {
  const child = spawn(process.execPath, START_ARGS, {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, WORKER_METRICS_ADDRESS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (d) => {
    output += String(d);
    stdout += String(d);
  });
  child.stderr!.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, stdout: () => stdout, exited };
}

/**
 * SIGINT, as a person's Ctrl-C. A process still shutting down after `graceMs` gets a second
 * SIGINT (which exits at once, as a person's second Ctrl-C does), and what it last wrote goes to
 * stderr: a slow shutdown is shown, not hidden, and does not hold the test run for minutes.
 */
export async function stop(started: Started | undefined, graceMs = 60_000): Promise<number | null> {
  if (!started || started.child.exitCode !== null) return started?.child.exitCode ?? null;
  started.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), graceMs)));
  const first = await Promise.race([started.exited, slow]);
  clearTimeout(timer);
  if (first !== 'slow') return first;
  process.stderr.write(`npm start was still shutting down ${graceMs / 1000} s after SIGINT; its last output:\n${started.output().split('\n').slice(-30).join('\n')}\n`);
  started.child.kill('SIGINT');
  return started.exited;
}

/** A dev server port whose UI port (+1000) is free too. */
export async function devServerPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port > 64_535) continue;
    try {
      await assertPortFree(port + 1000, 'UI');
      return port;
    } catch {
      // taken: pick another
    }
  }
}

/** The banner is written in one piece once everything runs; its `export` line is in it. */
export const BANNER_PRINTED = /export OPS_API_URL=\S+/;

/** The `export` line and every command a person would paste from the banner (indented `export`, `curl`, `npx` lines), in order. */
export function bannerCommands(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => /^ {4,}((?:export|curl|npx) .*)$/.exec(line)?.[1])
    .filter((command): command is string => command !== undefined);
}

/** A payload keyring for a production configuration (32-byte key). */
export const TEST_PAYLOAD_KEYS = `k1:${Buffer.alloc(32, 3).toString('base64')}`;
/** The codec server's own token, required beside payload keys in a production configuration. */
export const TEST_CODEC_AUTH_TOKEN = 'codec-token-0123456789abcdef';
