/**
 * `createTestEnv()`: the one way tests get a Temporal server, always a real one:
 *  - under jest, the official dev server that `global-setup.ts` started for the whole run, or
 *    the server `TEMPORAL_ADDRESS` names;
 *  - outside jest (a benchmark, a child process), a dev server of its own, stopped at teardown.
 * Each env claims a namespace of its own (see namespaces.ts), so test files never see each
 * other's workflows in visibility, the reconciler or the Temporal UI.
 */
import { Client, Connection } from '@temporalio/client';
import { Duration, msToNumber } from '@temporalio/common/lib/time';
import { DefaultLogger, LogLevel, NativeConnection, Runtime } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../src/runtime/dev-server';
import { claimNamespace } from './namespaces';

export interface TestEnv {
  readonly address: string;
  readonly namespace: string;
  readonly connection: Connection;
  readonly client: Client;
  readonly nativeConnection: NativeConnection;
  /** Real time passes: there is no time skipping on a real server (tests configure short durations). */
  sleep(duration: Duration): Promise<void>;
  /** Closes connections, and stops the server when this env started it. */
  teardown(): Promise<void>;
}

/**
 * Workers log every state change at INFO; tests only want errors unless asked otherwise
 * (TEMPORAL_TEST_LOG_LEVEL=INFO). The runtime is per process, so install it once.
 */
function installQuietRuntime(): void {
  const level = (process.env.TEMPORAL_TEST_LOG_LEVEL ?? 'ERROR') as LogLevel;
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      telemetryOptions: { logging: { filter: { core: level, other: level } } },
    });
  } catch {
    // Already installed by an earlier test file in this process.
  }
}

export async function createTestEnv(): Promise<TestEnv> {
  installQuietRuntime();
  let ownServer: DevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    ownServer = await startDevServer({ port: 0, headless: true });
    address = ownServer.address;
  }
  const connection = await Connection.connect({ address });
  const namespace = await claimNamespace(connection);
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace });

  let tornDown = false;
  return {
    address,
    namespace,
    connection,
    client,
    nativeConnection,
    sleep: (duration) => new Promise((resolve) => setTimeout(resolve, msToNumber(duration))),
    teardown: async () => {
      if (tornDown) return;
      tornDown = true;
      await connection.close().catch(() => undefined);
      await nativeConnection.close().catch(() => undefined);
      await ownServer?.stop();
    },
  };
}
