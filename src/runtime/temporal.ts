/**
 * Where a Temporal service comes from, tried in this order:
 *   external   TEMPORAL_ADDRESS is set: that server (the project's search attributes are ensured);
 *   cli        a `temporal` CLI is on PATH: `temporal server start-dev` on ephemeral ports;
 *   download   the SDK (@temporalio/testing) can download its dev / test server;
 *   in-memory  the in-memory Temporal test service (test/temporal-service): offline, not durable.
 * `npm start` and the test harness both go through here, so they pick the same way.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { InMemoryTemporal } from '../../test/temporal-service';
import { TICKET_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export type TemporalKind = 'external' | 'cli' | 'download' | 'in-memory';

export interface ProvidedTemporal {
  kind: TemporalKind;
  address: string;
  namespace: string;
  /** Whether waiting clients and `sleep` skip time (the SDK test server, the in-memory service). */
  supportsTimeSkipping: boolean;
  /** false for the in-memory service: a restart loses every workflow. */
  durable: boolean;
  description: string;
  /** Present for the download kind: the SDK's own environment (client, connections, sleep). */
  sdkEnv?: TestWorkflowEnvironment;
  inMemory?: InMemoryTemporal;
  stop(): Promise<void>;
}

export interface ProvideOptions {
  /** TEMPORAL_ADDRESS; null or empty: start a local one. */
  address?: string | null;
  namespace?: string;
  /** 'test': the SDK's time-skipping server, a strict in-memory service. 'run': real time throughout. */
  purpose: 'test' | 'run';
  /** In-memory service only. */
  strict?: boolean;
  timeSkipping?: boolean;
  /** Skip the cli and download probes. */
  forceInMemory?: boolean;
}

/** The ticket workflow's search attributes, all Keyword. */
export const SEARCH_ATTRIBUTE_NAMES = TICKET_SEARCH_ATTRIBUTES.map((key) => key.name);
const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

export async function provideTemporal(options: ProvideOptions): Promise<ProvidedTemporal> {
  if (options.address) return externalServer(options.address, options.namespace ?? 'default');
  if (!options.forceInMemory) {
    const cli = await cliServer(options.purpose);
    if (cli) return cli;
    const downloaded = await downloadedServer(options.purpose);
    if (downloaded) return downloaded;
  }
  return inMemoryServer(options);
}

/** Makes sure the project's custom search attributes exist on a real server. */
async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !(name in (customAttributes ?? {})));
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
      });
    }
  } finally {
    await connection.close();
  }
}

async function externalServer(address: string, namespace: string): Promise<ProvidedTemporal> {
  await ensureSearchAttributes(address, namespace);
  return {
    kind: 'external',
    address,
    namespace,
    supportsTimeSkipping: false,
    durable: true,
    description: `Temporal server at ${address} (TEMPORAL_ADDRESS)`,
    stop: async () => undefined,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForServer(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal server start-dev exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function cliServer(purpose: 'test' | 'run'): Promise<ProvidedTemporal | undefined> {
  if (spawnSync('temporal', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const [port, uiPort] = [await freePort(), await freePort()];
  const searchAttributes = SEARCH_ATTRIBUTE_NAMES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
  const child = spawn(
    'temporal',
    [
      'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort),
      '--log-level', 'warn', ...(purpose === 'test' ? ['--headless'] : []), ...searchAttributes,
    ],
    { stdio: 'ignore' },
  );
  const address = `127.0.0.1:${port}`;
  try {
    await waitForServer(address, child, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    kind: 'cli',
    address,
    namespace: 'default',
    supportsTimeSkipping: false,
    durable: false,
    description: `temporal CLI dev server at ${address}${purpose === 'run' ? ` (UI on http://127.0.0.1:${uiPort})` : ''}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The SDK's server download: fails within milliseconds where only package registries are reachable. */
async function downloadedServer(purpose: 'test' | 'run'): Promise<ProvidedTemporal | undefined> {
  try {
    // A dev dependency: absent in a production install, where TEMPORAL_ADDRESS is set anyway.
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const sdkEnv =
      purpose === 'test'
        ? await TestWorkflowEnvironment.createTimeSkipping()
        : await TestWorkflowEnvironment.createLocal({ server: { searchAttributes: [...TICKET_SEARCH_ATTRIBUTES] } });
    return {
      kind: 'download',
      address: sdkEnv.address,
      namespace: sdkEnv.namespace ?? 'default',
      supportsTimeSkipping: purpose === 'test',
      durable: false,
      description: `SDK-downloaded Temporal ${purpose === 'test' ? 'time-skipping test' : 'dev'} server at ${sdkEnv.address}`,
      sdkEnv,
      stop: () => sdkEnv.teardown(),
    };
  } catch {
    return undefined;
  }
}

async function inMemoryServer(options: ProvideOptions): Promise<ProvidedTemporal> {
  const { startInMemoryTemporal } = await import('../../test/temporal-service');
  const strict = options.strict ?? options.purpose === 'test';
  const timeSkipping = options.timeSkipping ?? options.purpose === 'test';
  const inMemory = await startInMemoryTemporal({ strict, timeSkipping });
  return {
    kind: 'in-memory',
    address: inMemory.address,
    namespace: inMemory.namespace,
    supportsTimeSkipping: timeSkipping,
    durable: false,
    description:
      `in-memory Temporal test service at ${inMemory.address}` +
      ` (strict mode ${strict ? 'on' : 'off'}, time skipping ${timeSkipping ? 'on' : 'off'})`,
    inMemory,
    stop: () => inMemory.close(),
  };
}
