/**
 * Where `npm start` gets its Temporal server:
 *   external  TEMPORAL_ADDRESS is set: that server (the ticket search attributes are ensured);
 *   dev       else the official dev server (`temporal server start-dev`, see dev-server.ts) on
 *             fixed ports, its SQLite file in the data directory: durable across restarts, with
 *             the Temporal UI.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { ensureSearchAttributes, startDevServer } from './dev-server';
import { temporalUnreachable } from './startup-errors';

export type TemporalKind = 'external' | 'dev';

export interface ProvidedTemporal {
  kind: TemporalKind;
  address: string;
  namespace: string;
  /** The Temporal UI of the dev server this process runs. */
  uiUrl?: string;
  description: string;
  stop(): Promise<void>;
}

export interface ProvideOptions {
  /** TEMPORAL_ADDRESS; null or empty: run the dev server. */
  address?: string | null;
  namespace: string;
  /** Connection options for an external server (TLS, API key); the dev server needs none. */
  connectionOptions?: ConnectionOptions;
  /** The dev server's data directory (its SQLite file lives there). */
  dataDir: string;
  /** The dev server's frontend port; its UI listens on port + 1000, as `temporal server start-dev` does. */
  devServerPort: number;
}

export async function provideTemporal(options: ProvideOptions): Promise<ProvidedTemporal> {
  if (options.address) {
    let connection: Connection;
    try {
      connection = await Connection.connect({ ...options.connectionOptions, address: options.address });
    } catch (err) {
      throw temporalUnreachable(options.address, err);
    }
    try {
      await ensureSearchAttributes(connection, [options.namespace]);
    } catch (err) {
      // The first call: where a wrong API key or namespace shows.
      throw temporalUnreachable(options.address, err);
    } finally {
      await connection.close();
    }
    return {
      kind: 'external',
      address: options.address,
      namespace: options.namespace,
      description: `Temporal server at ${options.address} (TEMPORAL_ADDRESS)`,
      stop: async () => undefined,
    };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const dbFilename = join(options.dataDir, 'temporal.db');
  const server = await startDevServer({
    port: options.devServerPort,
    uiPort: options.devServerPort + 1000,
    dbFilename,
    namespaces: options.namespace === 'default' ? [] : [options.namespace],
  });
  return {
    kind: 'dev',
    address: server.address,
    namespace: options.namespace,
    uiUrl: server.uiUrl,
    description: `Temporal dev server ${server.cli.version.replace(/^temporal version /, '')} at ${server.address}, data in ${dbFilename}`,
    stop: server.stop,
  };
}
