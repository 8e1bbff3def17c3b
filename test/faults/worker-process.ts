/**
 * The bridge's worker as a process of its own, so the fault suite can SIGKILL it mid-activity and
 * start another: the same worker `npm run worker` runs (src/runtime/bridge.ts `startWorkerHalf`,
 * the production adapters), pointed at the suite's Temporal service and simulators.
 *
 *   FAULT_WORKER_SPEC='{"temporalAddress":…}' node --import tsx test/faults/worker-process.ts
 *
 * stdout carries one line per event, `@@fault {json}`: `ready` once the worker polls, then
 * `start` / `end` for every activity attempt (so the suite knows what a kill interrupted).
 * Pipes are written synchronously on Linux: a line printed before a SIGKILL is not lost.
 * SIGTERM shuts the worker down gracefully (the suite's teardown).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { ConnectSource } from '../../src/adapters/connect';
import { assigneeResolver, WhitelabelSource } from '../../src/adapters/whitelabel';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import { createLogger } from '../../src/observability/logger';
import { installTemporalRuntime } from '../../src/observability/temporal-runtime';
import { startWorkerHalf } from '../../src/runtime/bridge';
import { WORKFLOWS_PATH } from '../../src/worker';
import { bundleWorkflows } from '../harness';
import { EVENT_PREFIX, type FaultWorkerEvent, type FaultWorkerSpec } from './protocol';

function emit(event: FaultWorkerEvent): void {
  process.stdout.write(`${EVENT_PREFIX}${JSON.stringify(event)}\n`);
}

/** Reports every activity attempt's start and end; the key names the attempt's activity across retries. */
const reportAttempts: ActivityInterceptorsFactory = (ctx: Context) => ({
  inbound: {
    async execute(input, next) {
      const info = ctx.info;
      const key = `${info.workflowExecution?.workflowId}/${info.workflowExecution?.runId}/${info.activityId}`;
      const base = { key, type: info.activityType, attempt: info.attempt, ...(info.isLocal && { local: true }) };
      emit({ ev: 'start', ...base });
      try {
        const result = await next(input);
        const alreadyPresent = (result as { alreadyPresent?: unknown } | null)?.alreadyPresent === true;
        emit({ ev: 'end', ...base, ok: true, ...(alreadyPresent && { alreadyPresent }) });
        return result;
      } catch (err) {
        const errorType = err instanceof ApplicationFailure ? (err.type ?? undefined) : undefined;
        emit({ ev: 'end', ...base, ok: false, error: err instanceof Error ? err.name : 'error', ...(errorType && { errorType }) });
        throw err;
      }
    },
  },
});

async function main(): Promise<void> {
  const raw = process.env.FAULT_WORKER_SPEC;
  if (!raw) throw new Error('FAULT_WORKER_SPEC is not set');
  const spec = JSON.parse(raw) as FaultWorkerSpec;

  // The production logging (pino, redacted; one line per activity attempt) on stdout: the
  // supervisor keeps every line so the suite can search them for personal data.
  const logger = createLogger({ level: 'info', base: { service: 'fault-worker' } });
  installTemporalRuntime({ logger, metricsAddress: null });

  const nativeConnection = await NativeConnection.connect({ address: spec.temporalAddress });
  const worker = await startWorkerHalf({
    nativeConnection,
    namespace: spec.namespace,
    taskQueue: spec.taskQueue,
    ports: {
      sources: {
        connect: new ConnectSource({ baseUrl: spec.connect.url, apiKey: spec.connect.apiKey }),
        whitelabel: new WhitelabelSource({ baseUrl: spec.whitelabel.url, apiKey: spec.whitelabel.apiKey }),
      },
      crm: new ZendeskCrm({ baseUrl: spec.zendesk.apiUrl, email: spec.zendesk.email, apiToken: spec.zendesk.apiToken }),
      assignees: { whitelabel: assigneeResolver(spec.whitelabelAssignees) },
    },
    payloadEncryption: { mode: 'off' },
    logger,
    // The bundle the rig already built (on-disk cache), so a restart takes seconds, not a webpack run.
    overrides: { workflowBundle: await bundleWorkflows(WORKFLOWS_PATH), interceptors: { activity: [reportAttempts] } },
  });
  emit({ ev: 'ready', pid: process.pid });

  // Never outlive the suite (a jest run killed hard would otherwise leave this worker polling).
  const parent = Number(process.env.FAULT_PARENT_PID);
  if (parent > 0) {
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        process.exit(1);
      }
    }, 2_000).unref();
  }

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void worker
      .stop()
      .then(() => nativeConnection.close())
      .finally(() => {
        emit({ ev: 'stopped' });
        process.exit(0);
      });
  });
  await worker.done;
}

main().catch((err) => {
  process.stderr.write(`fault worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
