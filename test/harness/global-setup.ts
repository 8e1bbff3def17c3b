/**
 * Jest global setup: one official Temporal dev server for the whole run (unless TEMPORAL_ADDRESS
 * names one), headless, in memory, with a pool of namespaces that test envs claim one each
 * (namespaces.ts). Its address reaches the test workers through the environment.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../src/runtime/dev-server';
import { CLAIMS_ENV, namespacePool, POOL_ENV } from './namespaces';

/** More than the run has test envs: a file that finds the pool empty registers its own (slower). */
const POOL_SIZE = 64;

declare global {
  // eslint-disable-next-line no-var
  var __temporalDevServer: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEMPORAL_ADDRESS) {
    process.stderr.write(`\n[temporal] tests run on TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}\n`);
    return;
  }
  const pool = namespacePool(POOL_SIZE);
  const started = Date.now();
  const server = await startDevServer({ port: 0, headless: true, namespaces: pool });
  globalThis.__temporalDevServer = server;
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env[POOL_ENV] = pool.join(',');
  process.env[CLAIMS_ENV] = mkdtempSync(join(tmpdir(), 'ticket-bridge-namespaces-'));
  process.stderr.write(
    `\n[temporal] tests run on the official dev server (${server.cli.version}, ${server.cli.origin}) at ${server.address}, ` +
      `pid ${server.pid}, up in ${Date.now() - started} ms\n`,
  );
}
