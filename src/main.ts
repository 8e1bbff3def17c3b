/**
 * `npm start`: the API and the worker in one process, on an embedded default.
 *  - Temporal: TEMPORAL_ADDRESS, else the official dev server (`temporal server start-dev`), its
 *    SQLite file in the data directory (durable across restarts) and the Temporal UI beside it.
 *  - Connect and Zendesk: the configured ones, else a sandbox with the simulators in-process.
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
import { temporalConnectionOptions } from './runtime/temporal-connection';
import { assertPortFree, PortInUseError } from './runtime/dev-server';
import { TemporalCliNotFound } from './runtime/temporal-cli';
import { join } from 'node:path';
import { onShutdown } from './runtime/shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  // Before anything starts: a second `npm start` says so in one line instead of half-starting.
  await assertPortFree(config.port, 'ticket-bridge API', '0.0.0.0');
  const logger = createLogger({ level: config.logLevel, base: { service: 'ticket-bridge' } });
  logPayloadEncryption(logger, config);
  // The SDK's, the workflows' and the activities' log lines through pino (the SDK's own only from
  // WARN: webpack's bundle report is INFO), and the worker's Prometheus metrics on their own port.
  const runtime = installTemporalRuntime({ logger, metricsAddress: config.workerMetricsAddress });
  if (runtime.metricsUrl) logger.info({ url: runtime.metricsUrl }, `worker metrics on ${runtime.metricsUrl}`);

  const temporal = await provideTemporal({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    connectionOptions: temporalConnectionOptions(config.temporal),
    dataDir: config.dataDir,
    devServerPort: config.temporal.devServerPort,
  });
  logger.info({ temporal: temporal.kind, address: temporal.address }, `Temporal: ${temporal.description}`);

  const configured = portsFromConfig(config);
  const sandbox = configured ? null : await startSandbox({ stateFile: join(config.dataDir, 'sandbox.json') });
  const ports = configured ?? sandbox!.ports;

  const connectionOptions = { ...temporalConnectionOptions(config.temporal), address: temporal.address };
  const nativeConnection = await NativeConnection.connect(connectionOptions);
  const connection = await Connection.connect(connectionOptions);
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
    inbox: config.inbox,
  });
  logger.info({ url: api.url }, `ticket-bridge API listening on ${api.url}`);

  if (sandbox) {
    sandbox.connectWebhooks(api.url, config);
    // A token this process generated may be shown (it is how the player gets it); one from the
    // environment is a secret someone chose: refer to it, never print it.
    const opsToken = config.generatedSecrets.includes('OPS_API_TOKEN') ? config.opsApiToken : '$OPS_API_TOKEN';
    process.stdout.write(sandboxInstructions(api.url, opsToken) + '\n');
  }
  if (temporal.uiUrl) {
    const ticketWorkflows = `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows?query=${encodeURIComponent('WorkflowType="ticketWorkflow"')}`;
    process.stdout.write(`\n  Temporal UI (every ticket is a workflow):\n    ${ticketWorkflows}\n\n`);
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
  if (err instanceof ConfigError || err instanceof TemporalCliNotFound) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof PortInUseError) {
    process.stderr.write(
      `ticket-bridge: ${err.message}. Is another \`npm start\` running? Stop it, or choose other ports ` +
        `(PORT, TEMPORAL_DEV_PORT), or use a running Temporal with TEMPORAL_ADDRESS.\n`,
    );
    process.exit(2);
  }
  process.stderr.write(`ticket-bridge failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
