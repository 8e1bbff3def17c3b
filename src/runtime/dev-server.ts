/**
 * The official Temporal dev server (`temporal server start-dev`) as a child process: what
 * `npm start` runs on by default (durable, with the Temporal UI), and what every test runs on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { TICKET_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { findTemporalCli, type TemporalCli } from './temporal-cli';

export interface DevServerOptions {
  /** Frontend gRPC port; 0 picks a free one. */
  port: number;
  /** Temporal UI port; 0 picks a free one. Ignored when `headless`. */
  uiPort?: number;
  /** SQLite file: workflows survive a restart. Unset: in memory, gone when the server stops. */
  dbFilename?: string;
  /** No Temporal UI (tests). */
  headless?: boolean;
  /** Namespaces to create besides `default`, each with the ticket search attributes. */
  namespaces?: readonly string[];
  /** `temporal server start-dev --log-level`. Default `error`: its warnings are the server's business. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'never';
  /** Extra `--dynamic-config-value KEY=JSON` settings. */
  dynamicConfig?: Record<string, unknown>;
  /** The CLI to run; default: `findTemporalCli()` (which may build it). */
  cli?: TemporalCli;
  /** How long to wait for the frontend to answer. Default 60 s (a first SQLite schema setup is slow). */
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  /** `http://127.0.0.1:<uiPort>`, or undefined when headless. */
  uiUrl?: string;
  cli: TemporalCli;
  pid: number;
  /** SIGTERM, and wait for the server to exit (it flushes SQLite). */
  stop(): Promise<void>;
}

/** A port is taken: a second `npm start`, or another Temporal. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    what: string,
  ) {
    super(`port ${port} (${what}) is already in use`);
    this.name = 'PortInUseError';
  }
}

const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const cli = options.cli ?? (await findTemporalCli());
  const ip = '127.0.0.1';
  const port = options.port || (await freePort());
  await assertPortFree(port, 'Temporal frontend');
  const uiPort = options.headless ? undefined : options.uiPort || (await freePort());
  if (uiPort) await assertPortFree(uiPort, 'Temporal UI');

  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', options.logLevel ?? 'error'];
  args.push(...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']));
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  for (const namespace of options.namespaces ?? []) args.push('--namespace', namespace);
  // Only applies to namespaces the server creates now; `ensureSearchAttributes` covers the rest.
  for (const { name } of TICKET_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=Keyword`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  // Its own process group: a Ctrl-C in the terminal reaches `npm start`, which stops the server
  // in order (workers first), instead of the server dying under a worker still polling it.
  const child = spawn(cli.path, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(...chunk.split('\n').filter(Boolean).slice(-20)));
  const address = `${ip}:${port}`;
  // Never outlive this process, even when it exits without stopping us (a crash, process.exit).
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
  };
  try {
    await waitForFrontend(address, child, options.startTimeoutMs ?? 60_000, stderr);
    await ensureSearchAttributes(address, ['default', ...(options.namespaces ?? [])]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl: uiPort ? `http://${ip}:${uiPort}` : undefined, cli, pid: child.pid!, stop };
}

/**
 * Registers the ticket workflow's Keyword search attributes where they are missing: on an
 * existing `--db-filename` (or any server) the CLI's `--search-attribute` does nothing.
 */
export async function ensureSearchAttributes(address: string | Connection, namespaces: readonly string[]): Promise<void> {
  const connection = typeof address === 'string' ? await Connection.connect({ address }) : address;
  try {
    for (const namespace of namespaces) {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = TICKET_SEARCH_ATTRIBUTES.map(({ name }) => name).filter((name) => !(name in (customAttributes ?? {})));
      if (missing.length === 0) continue;
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
      });
    }
  } finally {
    if (typeof address === 'string') await connection.close();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export function assertPortFree(port: number, what: string, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortInUseError(port, what) : err),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** `assertPortFree` for a `host:port` address (an IPv6 host in brackets). */
export function assertAddressFree(address: string, what: string): Promise<void> {
  const at = address.lastIndexOf(':');
  return assertPortFree(Number(address.slice(at + 1)), what, address.slice(0, at).replace(/^\[|\]$/g, ''));
}

async function waitForFrontend(address: string, child: ChildProcess, timeoutMs: number, stderr: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`temporal server start-dev exited (${child.exitCode ?? child.signalCode}): ${stderr.slice(-5).join(' | ')}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`temporal server start-dev did not answer on ${address} within ${timeoutMs / 1000} s: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
