/** `npm run worker`: the Temporal worker alone (production). Needs TEMPORAL_ADDRESS and the real APIs. */
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig, type ConfigIssue } from './config';
import { createLogger, logFormatFor } from './observability/logger';
import { installTemporalRuntime } from './observability/temporal-runtime';
import { Connection } from '@temporalio/client';
import { startWorkerHalf } from './runtime/bridge';
import { createClient } from './runtime/client';
import { logPayloadEncryption } from './security/codec/data-converter';
import { portsFromConfig } from './runtime/ports';
import { countPollingWorkers, followWorkerCount, runtimeBudgetObserver, WorkerRateBudgets } from './runtime/rate-budgets';
import { assertAddressFree } from './runtime/dev-server';
import { onShutdown } from './runtime/shutdown';
import { describeStartupFailure, temporalUnreachable } from './runtime/startup-errors';
import { temporalConnectionOptions } from './runtime/temporal-connection';
import { prebuiltWorkflowBundle, WORKFLOW_BUNDLE_DIR } from './workflow-bundles';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, base: { service: 'ticket-bridge-worker' }, format: logFormatFor(config.logFormat) });
  logPayloadEncryption(logger, config);
  // Checked before anything starts; the adapters are made again below, on the worker's rate budgets.
  if (!config.temporal.address || !portsFromConfig(config)) {
    throw new ConfigError([
      ...(config.temporal.address ? [] : [{ variable: 'TEMPORAL_ADDRESS', message: 'is required for `npm run worker` (use `npm start` to try it out)' }]),
      // Null only in sandbox mode: without SANDBOX, loadConfig already required Zendesk and a source.
      ...(portsFromConfig(config) ? [] : [noSimulators()]),
    ]);
  }
  // Before any native connection: logs through pino, worker metrics on WORKER_METRICS_ADDRESS
  // (set explicitly, a port that cannot be bound stops the worker instead of hiding its metrics).
  const metricsRequired = (process.env.WORKER_METRICS_ADDRESS ?? '').trim() !== '';
  // Said in one line (see startup-errors) rather than as the SDK's bind error.
  if (metricsRequired && config.workerMetricsAddress) await assertAddressFree(config.workerMetricsAddress, 'worker metrics, WORKER_METRICS_ADDRESS');
  const runtime = installTemporalRuntime({
    logger,
    metricsAddress: config.workerMetricsAddress,
    metricsRequired,
  });
  if (runtime.metricsUrl) logger.info({ url: runtime.metricsUrl }, `worker metrics on ${runtime.metricsUrl}`);
  // Each remote's budget, this worker's share of it on the runtime's metrics (installed above).
  const budgets = new WorkerRateBudgets(config, runtimeBudgetObserver());
  const ports = portsFromConfig(config, (remote, apiUrl) => budgets.fetchFor(remote, apiUrl))!;
  const address = config.temporal.address;
  const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config.temporal)).catch((err: unknown) => {
    throw temporalUnreachable(address, err);
  });
  // The reconciler's activity lists and signals ticket workflows: it needs a client too.
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = createClient(connection, config.temporal.namespace, config);
  // Built by `npm run build` (the Docker image): no bundling at start. From the sources: bundled now.
  const workflowBundle = prebuiltWorkflowBundle(config);
  if (workflowBundle) logger.info({ path: workflowBundle.codePath }, 'workflow code: prebuilt bundle');
  else logger.info({ dir: WORKFLOW_BUNDLE_DIR }, 'workflow code: no prebuilt bundle, bundling the sources at start');
  const worker = await startWorkerHalf({
    nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ports,
    payloadEncryption: config.payloadEncryption,
    reconciler: { client, intervalMs: config.reconcileIntervalMs },
    logger,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    ...(workflowBundle && { overrides: { workflowBundle } }),
  });
  // The workers polling the task queue, this one included now that it runs: the budgets' divisor.
  const workerCount = followWorkerCount({ budgets, count: () => countPollingWorkers(connection, config.temporal.namespace, config.temporal.taskQueue, worker.worker.options.identity), logger });
  await workerCount.first;
  // The message stays 'worker running' (deploy scripts and the bench wait for it); the shares beside it.
  logger.info({ taskQueue: config.temporal.taskQueue, rateBudgets: budgets.describe() }, 'worker running');
  onShutdown(logger, async () => {
    workerCount.stop();
    await worker.stop();
    await connection.close();
    await nativeConnection.close();
  });
  await worker.done;
}

function noSimulators(): ConfigIssue {
  return (process.env.SANDBOX ?? '').trim() !== ''
    ? { variable: 'SANDBOX', message: 'is for `npm start`: `npm run worker` runs no simulators' }
    : {
        variable: 'ZENDESK_API_URL',
        message: 'is required for `npm run worker`, with CONNECT_API_URL or WHITELABEL_API_URL and their credentials (use `npm start` to try it out)',
      };
}

main().catch((err) => {
  const known = describeStartupFailure(err, 'worker');
  process.stderr.write(known ? `${known.message}\n` : `worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(known?.exitCode ?? 1);
});
