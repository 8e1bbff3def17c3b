/**
 * ScheduleActivityTask validation and the server's timeout deduction
 * (`validateActivityScheduleAttributes`): timeouts are capped by the workflow run timeout, missing
 * ones are derived from the others, and at least one of start-to-close / schedule-to-close is
 * required. The normalized values are what ActivityTaskScheduled records.
 */
import { api, durationMs, msToDuration } from '../proto';
import { NormalizedRetryPolicy, normalizeRetryPolicy, retryPolicyProto } from './retry-policy';

type ScheduleAttributes = api.command.v1.IScheduleActivityTaskCommandAttributes;

export interface ActivityTimeouts {
  scheduleToCloseMs?: number;
  scheduleToStartMs?: number;
  startToCloseMs: number;
  heartbeatMs?: number;
}

export type NormalizedSchedule =
  | { ok: true; attributes: ScheduleAttributes; timeouts: ActivityTimeouts; retryPolicy: NormalizedRetryPolicy }
  | { ok: false; message: string };

export function normalizeActivityOptions(
  attributes: ScheduleAttributes,
  context: { alreadyPending: boolean; runTimeoutMs: number; defaultTaskQueue: string },
): NormalizedSchedule {
  const activityId = attributes.activityId ?? '';
  if (!activityId) return { ok: false, message: 'ActivityId is not set on command.' };
  if (!attributes.activityType?.name) return { ok: false, message: 'ActivityType is not set on command.' };
  if (context.alreadyPending) return { ok: false, message: `Activity with ID ${activityId} is already pending.` };
  const runTimeoutMs = context.runTimeoutMs;
  const clamp = (ms: number | undefined) => (runTimeoutMs > 0 && (ms ?? 0) > runTimeoutMs ? runTimeoutMs : (ms ?? 0));
  let scheduleToClose = clamp(durationMs(attributes.scheduleToCloseTimeout));
  let scheduleToStart = clamp(durationMs(attributes.scheduleToStartTimeout));
  let startToClose = clamp(durationMs(attributes.startToCloseTimeout));
  let heartbeat = clamp(durationMs(attributes.heartbeatTimeout));
  if (scheduleToClose > 0) {
    scheduleToStart = scheduleToStart > 0 ? Math.min(scheduleToStart, scheduleToClose) : scheduleToClose;
    startToClose = startToClose > 0 ? Math.min(startToClose, scheduleToClose) : scheduleToClose;
  } else if (startToClose > 0) {
    scheduleToClose = runTimeoutMs;
    if (scheduleToStart <= 0) scheduleToStart = runTimeoutMs;
  } else {
    return { ok: false, message: 'A valid StartToClose or ScheduleToCloseTimeout is not set on command.' };
  }
  if (heartbeat > startToClose) heartbeat = startToClose;
  const retryPolicy = normalizeRetryPolicy(attributes.retryPolicy);
  const timeouts: ActivityTimeouts = {
    scheduleToCloseMs: scheduleToClose || undefined,
    scheduleToStartMs: scheduleToStart || undefined,
    startToCloseMs: startToClose,
    heartbeatMs: heartbeat || undefined,
  };
  return {
    ok: true,
    timeouts,
    retryPolicy,
    attributes: {
      ...attributes,
      taskQueue: attributes.taskQueue?.name
        ? attributes.taskQueue
        : { name: context.defaultTaskQueue, kind: api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      // Zero durations mean "no timeout"; workers require the fields to be present.
      scheduleToCloseTimeout: msToDuration(timeouts.scheduleToCloseMs ?? 0),
      scheduleToStartTimeout: msToDuration(timeouts.scheduleToStartMs ?? 0),
      startToCloseTimeout: msToDuration(startToClose),
      heartbeatTimeout: msToDuration(timeouts.heartbeatMs ?? 0),
      retryPolicy: retryPolicyProto(retryPolicy),
    },
  };
}
