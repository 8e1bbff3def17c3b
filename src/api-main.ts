/** `npm run api`: the HTTP API alone (production). Needs TEMPORAL_ADDRESS. */
import { Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from './config';
import { workflowSettingsFrom } from './api/temporal-gateway';
import { createLogger, logFormatFor } from './observability/logger';
import { startApiHalf } from './runtime/bridge';
import { createClient } from './runtime/client';
import { logPayloadEncryption } from './security/codec/data-converter';
import { assertPortFree } from './runtime/dev-server';
import { onShutdown } from './runtime/shutdown';
import { describeStartupFailure } from './runtime/startup-errors';
import { temporalConnectionOptions } from './runtime/temporal-connection';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, base: { service: 'ticket-bridge-api' }, format: logFormatFor(config.logFormat) });
  logPayloadEncryption(logger, config);
  if (!config.temporal.address) {
    throw new ConfigError([{ variable: 'TEMPORAL_ADDRESS', message: 'is required for `npm run api` (use `npm start` to try it out)' }]);
  }
  await assertPortFree(config.port, 'ticket-bridge API', '0.0.0.0');
  // Lazy: the API starts (answers /healthz, and queues webhooks in its inbox) even while Temporal is down.
  const connection = Connection.lazy(temporalConnectionOptions(config.temporal));
  const client = createClient(connection, config.temporal.namespace, config);
  const api = await startApiHalf({
    client,
    taskQueue: config.temporal.taskQueue,
    config,
    workflowSettings: workflowSettingsFrom(config),
    logger,
    port: config.port,
    host: '0.0.0.0',
    inbox: config.inbox,
  });
  logger.info({ url: api.url }, 'API listening');
  if (api.codecUrl) logger.info({ url: api.codecUrl }, 'codec server listening (CODEC_LISTEN)');
  onShutdown(logger, async () => {
    await api.stop();
    await connection.close();
  });
}

main().catch((err) => {
  const known = describeStartupFailure(err, 'api');
  process.stderr.write(known ? `${known.message}\n` : `api failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(known?.exitCode ?? 1);
});
