/**
 * `npm start`: the API and the worker in one process, on an embedded default.
 *  - Temporal: TEMPORAL_ADDRESS, else a local dev server (temporal CLI, else the SDK's download),
 *    else, offline, the in-memory Temporal test service (loudly: nothing is durable).
 *  - Connect and Zendesk: the configured ones, else a sandbox with both simulators in-process.
 * Production runs the two halves apart: `npm run worker` and `npm run api`.
 */
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from './config';
import { workflowSettingsFrom } from './api/temporal-gateway';
import { createLogger } from './observability/logger';
import { installTemporalRuntime } from './observability/temporal-runtime';
import { startApiHalf, startWorkerHalf } from './runtime/bridge';
import { createClient } from './runtime/client';
import { logPayloadEncryption } from './security/codec/data-converter';
import { portsFromConfig } from './runtime/ports';
import { sandboxInstructions, startSandbox } from './runtime/sandbox';
import { provideTemporal } from './runtime/temporal';
import { onShutdown } from './runtime/shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, base: { service: 'ticket-bridge' } });
  logPayloadEncryption(logger, config);
  // The SDK's, the workflows' and the activities' log lines through pino (the SDK's own only from
  // WARN: webpack's bundle report is INFO), and the worker's Prometheus metrics on their own port.
  const runtime = installTemporalRuntime({ logger, metricsAddress: config.workerMetricsAddress });
  if (runtime.metricsUrl) logger.info({ url: runtime.metricsUrl }, `worker metrics on ${runtime.metricsUrl}`);

  const temporal = await provideTemporal({ address: config.temporal.address, namespace: config.temporal.namespace, purpose: 'run' });
  logger.info({ temporal: temporal.kind, address: temporal.address }, `Temporal: ${temporal.description}`);
  if (!temporal.durable) {
    logger.warn(
      '*** NOT DURABLE: this Temporal service lives in this process. Every ticket workflow is lost when it stops. ' +
        'Set TEMPORAL_ADDRESS for anything but a try-out. ***',
    );
  }

  const configured = portsFromConfig(config);
  const sandbox = configured ? null : await startSandbox();
  const ports = configured ?? sandbox!.ports;

  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  const client = createClient(connection, temporal.namespace, config);

  const worker = await startWorkerHalf({
    nativeConnection,
    namespace: temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ports,
    payloadEncryption: config.payloadEncryption,
    reconciler: { client, intervalMs: config.reconcileIntervalMs },
    logger,
  });
  const api = await startApiHalf({
    client,
    taskQueue: config.temporal.taskQueue,
    config,
    workflowSettings: workflowSettingsFrom(config),
    logger,
    port: config.port,
    host: sandbox ? '127.0.0.1' : '0.0.0.0',
    extraRouters: sandbox ? [sandbox.router] : [],
  });
  logger.info({ url: api.url }, `ticket-bridge API listening on ${api.url}`);

  if (sandbox) {
    sandbox.connectWebhooks(api.url, config);
    // A token this process generated may be shown (it is how the player gets it); one from the
    // environment is a secret someone chose: refer to it, never print it.
    const opsToken = config.generatedSecrets.includes('OPS_API_TOKEN') ? config.opsApiToken : '$OPS_API_TOKEN';
    process.stdout.write(sandboxInstructions(api.url, opsToken) + '\n');
  }

  onShutdown(logger, async () => {
    await api.stop();
    await worker.stop();
    await connection.close();
    await nativeConnection.close();
    await sandbox?.stop();
    await temporal.stop();
  });
  await worker.done;
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`ticket-bridge failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
