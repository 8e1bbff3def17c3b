/**
 * `createTestEnv()`: the one way workflow tests get a Temporal service, with the same shape as the
 * SDK's TestWorkflowEnvironment (client, nativeConnection, namespace, sleep, teardown).
 */
import { Client, Connection } from '@temporalio/client';
import { Duration, msToNumber } from '@temporalio/common/lib/time';
import { DefaultLogger, LogLevel, NativeConnection, Runtime } from '@temporalio/worker';
import type { InMemoryTemporal } from '../temporal-service';
import { provideTemporal, type ProvidedTemporal, type TemporalKind } from '../../src/runtime/temporal';

/** Which Temporal service the harness picked (see src/runtime/temporal.ts, shared with `npm start`). */
export type EnvKind = TemporalKind;

export interface TestEnvOptions {
  /** In-memory service only: fail tests on unimplemented RPCs, unsupported commands, failed workflow tasks. Default true. */
  strict?: boolean;
  /** In-memory service only: automatic time skipping. Default true. */
  timeSkipping?: boolean;
  /** Skip the external/cli/download probes and use the in-memory service. */
  forceInMemory?: boolean;
}

export interface TestEnv {
  readonly kind: EnvKind;
  /** True when `sleep` and result waits skip time instead of waiting for it. */
  readonly supportsTimeSkipping: boolean;
  readonly address: string;
  readonly namespace: string;
  readonly connection: Connection;
  readonly client: Client;
  readonly nativeConnection: NativeConnection;
  /** The in-memory service, when that is what the harness picked (strict-mode/time-skipping tests). */
  readonly inMemory?: InMemoryTemporal;
  /** Lets time pass: skipped on time-skipping servers, real otherwise. */
  sleep(duration: Duration): Promise<void>;
  /**
   * A duration for tests that rely on time skipping: `skipped` where time skips, a short real
   * `real` on a real server (so the same test stays fast everywhere).
   */
  duration(skipped: Duration, real: Duration): Duration;
  /** Closes connections and stops the server; throws strict-mode violations recorded meanwhile. */
  teardown(): Promise<void>;
}

function provide(options: Required<TestEnvOptions>): Promise<ProvidedTemporal> {
  return provideTemporal({
    address: options.forceInMemory ? null : process.env.TEMPORAL_ADDRESS,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    purpose: 'test',
    strict: options.strict,
    timeSkipping: options.timeSkipping,
    forceInMemory: options.forceInMemory,
  });
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

export async function createTestEnv(opts: TestEnvOptions = {}): Promise<TestEnv> {
  installQuietRuntime();
  const options: Required<TestEnvOptions> = {
    strict: opts.strict ?? true,
    timeSkipping: opts.timeSkipping ?? true,
    forceInMemory: opts.forceInMemory ?? false,
  };
  const server = await provide(options);
  process.stderr.write(`[temporal test env] using ${server.description}\n`);

  const sdkEnv = server.sdkEnv;
  const connection = sdkEnv?.connection ?? (await Connection.connect({ address: server.address }));
  const nativeConnection = sdkEnv?.nativeConnection ?? (await NativeConnection.connect({ address: server.address }));
  const client = sdkEnv?.client ?? new Client({ connection, namespace: server.namespace });

  const sleep = async (duration: Duration): Promise<void> => {
    const ms = msToNumber(duration);
    if (server.inMemory) return server.inMemory.sleep(ms);
    if (sdkEnv) return sdkEnv.sleep(ms);
    await new Promise((resolve) => setTimeout(resolve, ms));
  };

  let tornDown = false;
  return {
    kind: server.kind,
    supportsTimeSkipping: server.supportsTimeSkipping,
    address: server.address,
    namespace: server.namespace,
    connection,
    client,
    nativeConnection,
    inMemory: server.inMemory,
    sleep,
    duration: (skipped, real) => (server.supportsTimeSkipping ? skipped : real),
    teardown: async () => {
      if (tornDown) return;
      tornDown = true;
      if (!sdkEnv) {
        await connection.close().catch(() => undefined);
        await nativeConnection.close().catch(() => undefined);
      }
      const violations = server.inMemory?.violations() ?? [];
      await server.stop();
      if (violations.length > 0) server.inMemory?.assertNoViolations();
    },
  };
}
