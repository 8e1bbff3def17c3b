/**
 * The Temporal SDK's `Logger` interface onto pino, so the SDK's own lines, the workflow logger
 * (`log` from `@temporalio/workflow`, which reaches the worker through its logger sink) and
 * `Context.log` in activities all come out as the bridge's JSON lines, through the same redaction.
 *
 * Installed process-wide with `Runtime.install({ logger })` (see ./temporal-runtime.ts). Every
 * line keeps the SDK's metadata: `sdkComponent` (workflow, activity, worker, core) and, for
 * workflow and activity lines, `workflowId`, `runId`, `workflowType` / `activityType`, so the lines
 * of one ticket are found with `workflowId="ticket/connect/42"`.
 */
import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import { integrationFailureKind } from './expected-failures';
import type { Logger } from './logger';

const PINO_METHOD = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
const RANK: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

export interface SdkLoggerOptions {
  /**
   * The least level kept for the SDK's own components (`worker`, `core`): workers log every state
   * change and the bundler report at INFO. Lines from workflow and activity code always pass (the
   * pino level still applies). Default WARN.
   */
  sdkLevel?: LogLevel;
}

/** The SDK's line for every failed activity attempt, with the error (and its stack). */
const ACTIVITY_FAILED = 'Activity failed';

/** Opaque and long (an activity's task token): noise in a log line, and enough to complete the activity. */
const DROPPED = new Set(['taskToken']);

/** Metadata as plain fields: symbol keys (the SDK's timestamp) dropped, `error` kept for the serializer. */
function fields(meta: LogMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (typeof value === 'function' || typeof value === 'bigint' || DROPPED.has(key)) continue;
    out[key] = value;
  }
  // The SDK names errors `error` or `failure`; both go through the error serializer (type, code, stack; no message).
  if (out.failure instanceof Error && out.error === undefined) {
    out.error = out.failure;
    delete out.failure;
  }
  return out;
}

export function sdkLoggerFor(logger: Logger, options: SdkLoggerOptions = {}): SdkLogger {
  const sdkMin = RANK[options.sdkLevel ?? 'WARN'];
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    const component = meta?.sdkComponent;
    const fromUserCode = component === 'workflow' || component === 'activity';
    if (!fromUserCode && RANK[level] < sdkMin) return;
    const method = PINO_METHOD[level] ?? 'info';
    // A remote's answer (a write-conflict, a 5xx being retried, ...) already has its one line
    // from the activity log (./activity-log.ts); the SDK's `Activity failed` WARN with a stack
    // would make it look like a crash. Only a bug (any other error) keeps that warning and stack.
    const kind = message === ACTIVITY_FAILED ? integrationFailureKind(meta?.error) : null;
    if (kind !== null) {
      const { error: _described, ...rest } = fields(meta);
      logger.debug({ ...rest, failureType: kind }, message);
      return;
    }
    logger[method](fields(meta), message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
