/**
 * A TypeScript fixture run in a process of its own (`node --import tsx <script> <args>`) that
 * writes `@@ready {json}` on stderr once it is set up (or `@@failed …`), then idles until killed:
 * how tests reach what must be once per process (the Temporal runtime with its metrics).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export interface ReadyChild<T> {
  child: ChildProcess;
  ready: T;
  /** Everything it wrote on stdout so far. */
  stdout(): string;
  /** SIGKILL (the SDK's runtime turns SIGTERM into a graceful worker shutdown an idle child survives). */
  stop(): Promise<void>;
}

export async function startReadyChild<T>(script: string, args: string[]): Promise<ReadyChild<T>> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: resolve(__dirname, '../..'),
    // The run's Temporal dev server (TEMPORAL_ADDRESS from the global setup) and its namespace pool.
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  };
  try {
    const ready = await new Promise<T>((resolveReady, reject) => {
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const line = /@@ready (.*)\n/.exec(stderr);
        if (line) resolveReady(JSON.parse(line[1]!) as T);
        if (stderr.includes('@@failed')) reject(new Error(stderr));
      });
      child.once('exit', (code) => reject(new Error(`child exited (${code}): ${stderr}`)));
    });
    return { child, ready, stdout: () => stdout, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
