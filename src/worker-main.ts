/** `npm run worker`: the Temporal worker alone (production). Needs TEMPORAL_ADDRESS and the real APIs. */
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './observability/logger';
import { installTemporalRuntime } from './observability/temporal-runtime';
import { Connection } from '@temporalio/client';
import { startWorkerHalf } from './runtime/bridge';
import { createClient } from './runtime/client';
import { logPayloadEncryption } from './security/codec/data-converter';
import { portsFromConfig } from './runtime/ports';
import { onShutdown } from './runtime/shutdown';
import { temporalConnectionOptions } from './runtime/temporal-connection';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, base: { service: 'ticket-bridge-worker' } });
  logPayloadEncryption(logger, config);
  const ports = portsFromConfig(config);
  if (!config.temporal.address || !ports) {
    throw new ConfigError([
      ...(config.temporal.address ? [] : [{ variable: 'TEMPORAL_ADDRESS', message: 'is required for `npm run worker` (use `npm start` to try it out)' }]),
      ...(ports ? [] : [{ variable: 'CONNECT_API_URL / ZENDESK_API_URL', message: 'are required for `npm run worker`' }]),
    ]);
  }
  // Before any native connection: logs through pino, worker metrics on WORKER_METRICS_ADDRESS
  // (set explicitly, a port that cannot be bound stops the worker instead of hiding its metrics).
  const runtime = installTemporalRuntime({
    logger,
    metricsAddress: config.workerMetricsAddress,
    metricsRequired: (process.env.WORKER_METRICS_ADDRESS ?? '').trim() !== '',
  });
  if (runtime.metricsUrl) logger.info({ url: runtime.metricsUrl }, `worker metrics on ${runtime.metricsUrl}`);
  const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  // The reconciler's activity lists and signals ticket workflows: it needs a client too.
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = createClient(connection, config.temporal.namespace, config);
  const worker = await startWorkerHalf({
    nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ports,
    payloadEncryption: config.payloadEncryption,
    reconciler: { client, intervalMs: config.reconcileIntervalMs },
    logger,
  });
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  onShutdown(logger, async () => {
    await worker.stop();
    await connection.close();
    await nativeConnection.close();
  });
  await worker.done;
}

main().catch((err) => {
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
