/**
 * `npm start`: the API and the worker in one process, on an embedded default.
 *  - Temporal: TEMPORAL_ADDRESS, else the official dev server (`temporal server start-dev`), its
 *    SQLite file in the data directory (durable across restarts) and the Temporal UI beside it.
 *  - The remotes: every configured one for real; simulators for the others when none is
 *    configured, or with SANDBOX=1 (see src/config/sandbox.ts and ./runtime/remotes.ts); the
 *    simulated helpdesk is Zendesk's, or Freshdesk's with CRM=freshdesk.
 * Production runs the two halves apart: `npm run worker` and `npm run api`.
 */
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { workflowSettingsFrom } from './api/temporal-gateway';
import type { Config } from './config';
import { createLogger, logFormatFor } from './observability/logger';
import { installTemporalRuntime } from './observability/temporal-runtime';
import { banner } from './runtime/banner';
import { startApiHalf, startWorkerHalf } from './runtime/bridge';
import { createClient } from './runtime/client';
import { lockDataDir } from './runtime/data-dir-lock';
import { assertAddressFree, assertPortFree } from './runtime/dev-server';
import { provideRemotes } from './runtime/remotes';
import { countPollingWorkers, followWorkerCount, runtimeBudgetObserver, WorkerRateBudgets } from './runtime/rate-budgets';
import { loadStartConfig, SANDBOX_SECRETS_FILE } from './sandbox/secrets';
import { workflowIdleProbe } from './sandbox/settle';
import { tourSections } from './sandbox/tour';
import { onShutdown } from './runtime/shutdown';
import { describeStartupFailure, type StartupContext } from './runtime/startup-errors';
import { provideTemporal } from './runtime/temporal';
import { temporalConnectionOptions } from './runtime/temporal-connection';
import { logPayloadEncryption } from './security/codec/data-converter';

/** What a refused start names (its DATA_DIR), once the configuration is read. */
const startup: StartupContext = {};

async function main(): Promise<void> {
  const config = await loadStartConfig();
  startup.dataDir = resolve(config.dataDir);
  // Before anything starts: a second `npm start` says so in one line instead of half-starting,
  // on the same data directory whatever its ports, and on the same ports.
  lockDataDir(config.dataDir);
  await assertPortsFree(config);
  const logger = createLogger({ level: config.logLevel, base: { service: 'ticket-bridge' }, format: logFormatFor(config.logFormat) });
  logPayloadEncryption(logger, config);
  // The SDK's, the workflows' and the activities' log lines through pino (the SDK's own only from
  // WARN: webpack's bundle report is INFO), and the worker's Prometheus metrics on their own port.
  const runtime = installTemporalRuntime({ logger, metricsAddress: config.workerMetricsAddress, metricsRequired: metricsAddressChosen() });
  if (runtime.metricsUrl) logger.info({ url: runtime.metricsUrl }, `worker metrics on ${runtime.metricsUrl}`);

  const temporal = await provideTemporal({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    connectionOptions: temporalConnectionOptions(config.temporal),
    dataDir: config.dataDir,
    devServerPort: config.temporal.devServerPort,
  });
  logger.info({ temporal: temporal.kind, address: temporal.address }, `Temporal: ${temporal.description}`);

  // The real remotes' rate budgets: this process's share, as for `npm run worker`.
  const budgets = new WorkerRateBudgets(config, runtimeBudgetObserver());
  const remotes = await provideRemotes(config, logger, (remote, apiUrl) => budgets.fetchFor(remote, apiUrl));
  const { sandbox } = remotes;

  const connectionOptions = { ...temporalConnectionOptions(config.temporal), address: temporal.address };
  const nativeConnection = await NativeConnection.connect(connectionOptions);
  const connection = await Connection.connect(connectionOptions);
  const client = createClient(connection, temporal.namespace, config);

  const worker = await startWorkerHalf({
    nativeConnection,
    namespace: temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ports: remotes.ports,
    payloadEncryption: config.payloadEncryption,
    reconciler: { client, intervalMs: config.reconcileIntervalMs },
    logger,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
  });
  const api = await startApiHalf({
    client,
    taskQueue: config.temporal.taskQueue,
    config,
    workflowSettings: workflowSettingsFrom(config),
    logger,
    port: config.port,
    // Simulated remotes mean generated secrets and play routes: keep that on this machine.
    host: sandbox ? '127.0.0.1' : '0.0.0.0',
    extraRouters: sandbox ? [sandbox.router] : [],
    extraRouteDocs: sandbox?.routeDocs ?? [],
    inbox: config.inbox,
  });
  logger.info({ url: api.url }, `ticket-bridge API listening on ${api.url}`);
  const workerCount = followWorkerCount({
    budgets,
    count: () => countPollingWorkers(connection, temporal.namespace, config.temporal.taskQueue, worker.worker.options.identity),
    logger,
  });
  await workerCount.first;
  logger.info(`rate budgets: ${budgets.describe()}`);

  sandbox?.connectWebhooks(api.url, config);
  sandbox?.followBridge(workflowIdleProbe(client, api.inbox));
  process.stdout.write(
    banner({
      // Listening on every interface: on this machine it is 127.0.0.1 (what the commands need).
      apiUrl: api.url.replace('//0.0.0.0:', '//127.0.0.1:'),
      sides: remotes.sides,
      realUrls: { connect: config.connect?.apiUrl, zendesk: config.zendesk?.apiUrl, whitelabel: config.whitelabel?.apiUrl },
      ...(remotes.helpdesk.kind === 'freshdesk' && remotes.helpdesk.mode !== 'absent' && { freshdesk: { mode: remotes.helpdesk.mode, url: config.freshdesk?.apiUrl } }),
      temporal: { description: temporal.description, uiUrl: temporal.uiUrl, namespace: temporal.namespace },
      // A token this process generated may be shown (it is how the player gets it); one from the
      // environment is a secret someone chose: refer to it, never print it.
      generatedOpsToken: config.generatedSecrets.includes('OPS_API_TOKEN') ? config.opsApiToken : null,
      sandboxFiles: sandbox ? { state: join(config.dataDir, 'sandbox.json'), secrets: join(config.dataDir, SANDBOX_SECRETS_FILE) } : undefined,
      tour: sandbox ? tourSections(sandbox.tourIds(), sandbox.simulated, sandbox.helpdesk) : [],
    }),
  );

  onShutdown(logger, async () => {
    workerCount.stop();
    await api.stop();
    await worker.stop();
    await connection.close();
    await nativeConnection.close();
    await sandbox?.stop();
    await temporal.stop();
  });
  await worker.done;
}

/** An explicit WORKER_METRICS_ADDRESS must be served; the default one may be given up (with a warning). */
function metricsAddressChosen(): boolean {
  return (process.env.WORKER_METRICS_ADDRESS ?? '').trim() !== '';
}

async function assertPortsFree(config: Config): Promise<void> {
  await assertPortFree(config.port, 'ticket-bridge API', '0.0.0.0');
  if (config.workerMetricsAddress && metricsAddressChosen()) await assertAddressFree(config.workerMetricsAddress, 'worker metrics, WORKER_METRICS_ADDRESS');
}

main().catch((err) => {
  const known = describeStartupFailure(err, 'ticket-bridge', startup);
  if (known) {
    process.stderr.write(`${known.message}\n`);
    process.exit(known.exitCode);
  }
  process.stderr.write(`ticket-bridge failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
