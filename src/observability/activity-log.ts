/**
 * One structured log line per activity attempt, from an activity inbound interceptor:
 *
 *   {"msg":"activity attempt","workflowId":"ticket/connect/42","activityType":"addCrmComment",
 *    "attempt":3,"outcome":"failed","durationMs":812,"failureType":"server-error","willRetry":true,
 *    "service":"zendesk","operation":"POST /tickets/{id}","status":503}
 *
 * `workflowId` correlates it with the request lines of the API (which log the same id) and with
 * the Temporal UI. Never the activity's inputs or outputs (ticket content), never a failure
 * message (it may quote a remote's answer): the failure's type and the remote call's service,
 * operation template and status say what broke.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { integrationFailureKind, isCalmFailure } from './expected-failures';
import type { Logger } from './logger';

export type ActivityOutcome = 'completed' | 'failed' | 'cancelled';

/** What a failed attempt's `details` say about the remote call (see src/activities/failures.ts); nothing else. */
function remoteCall(failure: ApplicationFailure): Record<string, unknown> {
  const detail = failure.details?.[0];
  if (!detail || typeof detail !== 'object') return {};
  const { service, operation, status } = detail as { service?: unknown; operation?: unknown; status?: unknown };
  return {
    ...(typeof service === 'string' && { service }),
    ...(typeof operation === 'string' && { operation }),
    ...(typeof status === 'number' && { status }),
  };
}

export function activityAttemptLogger(logger: Logger): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { info } = ctx;
        const base = {
          workflowId: info.workflowExecution?.workflowId,
          runId: info.workflowExecution?.runId,
          workflowType: info.workflowType,
          activityType: info.activityType,
          activityId: info.activityId,
          attempt: info.attempt,
          taskQueue: info.taskQueue,
        };
        const started = process.hrtime.bigint();
        const durationMs = () => Number((process.hrtime.bigint() - started) / 1000n) / 1000;
        try {
          const result = await next(input);
          logger.info({ ...base, outcome: 'completed' satisfies ActivityOutcome, durationMs: durationMs() }, 'activity attempt');
          return result;
        } catch (err) {
          if (err instanceof CancelledFailure || ctx.cancellationSignal.aborted) {
            logger.info({ ...base, outcome: 'cancelled' satisfies ActivityOutcome, durationMs: durationMs() }, 'activity attempt');
            throw err;
          }
          const application = err instanceof ApplicationFailure ? err : null;
          const failureType = application?.type ?? (err instanceof Error ? err.name : typeof err);
          const maximumAttempts = info.retryPolicy?.maximumAttempts ?? 0;
          const willRetry =
            !application?.nonRetryable &&
            !(info.retryPolicy?.nonRetryableErrorTypes ?? []).includes(failureType ?? '') &&
            (maximumAttempts === 0 || info.attempt < maximumAttempts);
          const kind = integrationFailureKind(err);
          // An expected outcome (./expected-failures.ts) is news, not a warning.
          const level = kind !== null && isCalmFailure(kind, willRetry) ? 'info' : 'warn';
          logger[level](
            {
              ...base,
              outcome: 'failed' satisfies ActivityOutcome,
              durationMs: durationMs(),
              failureType,
              // Whether Temporal will try again (the retry policy may still stop it at its timeout).
              willRetry,
              ...(application?.nextRetryDelay !== undefined && application.nextRetryDelay !== null && { nextRetryDelay: String(application.nextRetryDelay) }),
              ...(application && remoteCall(application)),
            },
            'activity attempt',
          );
          throw err;
        }
      },
    },
  });
}
