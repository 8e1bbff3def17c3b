/**
 * Activity tasks of one run: scheduling (with the server's timeout normalization), dispatch,
 * heartbeats, server-side retries and the four activity timeouts, cancellation.
 *
 * As on the real server, ActivityTaskStarted is only written when the activity reaches a final
 * state, carrying the final attempt number and the previous attempt's failure; retries themselves
 * leave no trace in history (they are visible through DescribeWorkflowExecution).
 */
import { randomUUID } from 'node:crypto';
import type { ClockTimer } from '../clock';
import { GrpcStatus, RpcError } from '../errors';
import { timeoutFailure, timeoutTypeLabel } from '../failures';
import type { ActivityTaskResponse } from '../matching/matching';
import {
  api,
  EventType,
  Failure,
  Header,
  int64,
  msToDuration,
  msToTimestamp,
  optionalDuration,
  Payloads,
  RetryState,
  TimeoutType,
} from '../proto';
import type { WorkflowExecution } from './execution';
import { ActivityTimeouts, NormalizedSchedule, normalizeActivityOptions } from './activity-options';
import { decideRetry, NormalizedRetryPolicy, retryPolicyProto } from './retry-policy';
import { encodeTaskToken } from './task-token';
import { eventIdOf } from './workflow-task';

type ScheduleAttributes = api.command.v1.IScheduleActivityTaskCommandAttributes;

interface ActivityState {
  readonly scheduledEventId: number;
  readonly activityId: string;
  readonly activityType: string;
  readonly taskQueue: string;
  readonly header?: Header | null;
  readonly input?: Payloads | null;
  readonly timeouts: ActivityTimeouts;
  readonly retryPolicy: NormalizedRetryPolicy;
  readonly priority?: api.common.v1.IPriority | null;
  readonly scheduledAt: number;
  attempt: number;
  attemptScheduledAt: number;
  phase: 'scheduled' | 'backoff' | 'started';
  startedAt?: number;
  startedIdentity?: string;
  startedRequestId?: string;
  /** Failure of the previous attempt (`lastFailure` of the started event / describe). */
  lastFailure?: Failure;
  heartbeatDetails?: Payloads | null;
  lastHeartbeatAt?: number;
  nextAttemptAt?: number;
  cancelRequested: boolean;
  cancelRequestedEventId?: number;
  /** Per-attempt timers (schedule-to-start, start-to-close, retry backoff). */
  attemptTimers: ClockTimer[];
  /** Restarted by every heartbeat. */
  heartbeatTimer?: ClockTimer;
  scheduleToCloseTimer?: ClockTimer;
}

const NOT_FOUND_MESSAGE = 'invalid activityID or activity already timed out or invoking workflow is completed';

export class ActivityManager {
  private readonly pending = new Map<number, ActivityState>();

  constructor(private readonly execution: WorkflowExecution) {}

  private get env() {
    return this.execution.env;
  }

  /** Validates a ScheduleActivityTask command and fills in the timeouts the server deduces. */
  normalize(attributes: ScheduleAttributes, scheduledInThisTask: ReadonlySet<string>): NormalizedSchedule {
    const activityId = attributes.activityId ?? '';
    const pending = scheduledInThisTask.has(activityId) || [...this.pending.values()].some((a) => a.activityId === activityId);
    return normalizeActivityOptions(attributes, {
      alreadyPending: pending,
      runTimeoutMs: this.execution.init.workflowRunTimeoutMs ?? 0,
      defaultTaskQueue: this.execution.init.taskQueue,
    });
  }

  schedule(normalized: Extract<NormalizedSchedule, { ok: true }>, workflowTaskCompletedEventId: number): void {
    const attrs = normalized.attributes;
    const event = this.execution.history.append(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: {
        activityId: attrs.activityId,
        activityType: attrs.activityType,
        taskQueue: attrs.taskQueue,
        header: attrs.header,
        input: attrs.input,
        scheduleToCloseTimeout: attrs.scheduleToCloseTimeout,
        scheduleToStartTimeout: attrs.scheduleToStartTimeout,
        startToCloseTimeout: attrs.startToCloseTimeout,
        heartbeatTimeout: attrs.heartbeatTimeout,
        workflowTaskCompletedEventId: int64(workflowTaskCompletedEventId),
        retryPolicy: attrs.retryPolicy,
        useWorkflowBuildId: attrs.useWorkflowBuildId,
        priority: attrs.priority,
      },
    });
    const now = this.env.clock.now();
    const state: ActivityState = {
      scheduledEventId: eventIdOf(event),
      activityId: attrs.activityId ?? '',
      activityType: attrs.activityType?.name ?? '',
      taskQueue: attrs.taskQueue?.name ?? this.execution.init.taskQueue,
      header: attrs.header,
      input: attrs.input,
      timeouts: normalized.timeouts,
      retryPolicy: normalized.retryPolicy,
      priority: attrs.priority,
      scheduledAt: now,
      attempt: 1,
      attemptScheduledAt: now,
      phase: 'scheduled',
      cancelRequested: false,
      attemptTimers: [],
    };
    this.pending.set(state.scheduledEventId, state);
    const scheduleToClose = state.timeouts.scheduleToCloseMs;
    if (scheduleToClose) {
      state.scheduleToCloseTimer = this.env.clock.setTimer(scheduleToClose, this.timerLabel(state, 'schedule-to-close'), () =>
        this.onTimeout(state, state.attempt, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE),
      );
    }
    this.enqueue(state);
  }

  private timerLabel(state: ActivityState, what: string): string {
    return `activity ${state.activityType}#${state.activityId} ${what} (${this.execution.key})`;
  }

  private enqueue(state: ActivityState): void {
    const attempt = state.attempt;
    const isStale = () => this.pending.get(state.scheduledEventId) !== state || state.phase !== 'scheduled' || state.attempt !== attempt;
    this.env.matching.addActivityTask(this.execution.namespace, state.taskQueue, {
      start: (poller) => (isStale() ? undefined : this.start(state, poller.identity)),
      isStale,
    });
    const scheduleToStart = state.timeouts.scheduleToStartMs;
    if (scheduleToStart) {
      state.attemptTimers.push(
        this.env.clock.setTimer(scheduleToStart, this.timerLabel(state, 'schedule-to-start'), () =>
          this.onTimeout(state, attempt, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START),
        ),
      );
    }
  }

  private start(state: ActivityState, identity: string): ActivityTaskResponse {
    const now = this.env.clock.now();
    this.clearAttemptTimers(state);
    state.phase = 'started';
    state.startedAt = now;
    state.startedIdentity = identity;
    state.startedRequestId = randomUUID();
    const attempt = state.attempt;
    state.attemptTimers.push(
      this.env.clock.setTimer(state.timeouts.startToCloseMs, this.timerLabel(state, 'start-to-close'), () =>
        this.onTimeout(state, attempt, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE),
      ),
    );
    this.armHeartbeatTimer(state);
    this.env.matching.markOutstanding(this.outstandingKey(state));
    const execution = this.execution;
    return {
      taskToken: encodeTaskToken({
        kind: 'activity',
        namespace: execution.namespace,
        workflowId: execution.workflowId,
        runId: execution.runId,
        scheduledEventId: state.scheduledEventId,
        attempt: state.attempt,
      }),
      workflowNamespace: execution.namespace,
      workflowType: { name: execution.init.workflowType },
      workflowExecution: execution.ref,
      activityType: { name: state.activityType },
      activityId: state.activityId,
      header: state.header ?? undefined,
      input: state.input ?? undefined,
      heartbeatDetails: state.heartbeatDetails ?? undefined,
      scheduledTime: msToTimestamp(state.scheduledAt),
      currentAttemptScheduledTime: msToTimestamp(state.attemptScheduledAt),
      startedTime: msToTimestamp(now),
      attempt: state.attempt,
      // Zero durations mean "no timeout"; workers require the fields to be present.
      scheduleToCloseTimeout: msToDuration(state.timeouts.scheduleToCloseMs ?? 0),
      startToCloseTimeout: msToDuration(state.timeouts.startToCloseMs),
      heartbeatTimeout: msToDuration(state.timeouts.heartbeatMs ?? 0),
      retryPolicy: retryPolicyProto(state.retryPolicy),
      priority: state.priority ?? undefined,
    };
  }

  private armHeartbeatTimer(state: ActivityState): void {
    const heartbeatMs = state.timeouts.heartbeatMs;
    if (!heartbeatMs || state.phase !== 'started') return;
    const attempt = state.attempt;
    state.heartbeatTimer?.cancel();
    state.heartbeatTimer = this.env.clock.setTimer(heartbeatMs, this.timerLabel(state, 'heartbeat'), () =>
      this.onTimeout(state, attempt, TimeoutType.TIMEOUT_TYPE_HEARTBEAT),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Worker responses

  /** Resolves a task token to the started attempt it was issued for; NOT_FOUND otherwise. */
  startedAttempt(scheduledEventId: number, attempt: number): ActivityState {
    const state = this.pending.get(scheduledEventId);
    if (!this.execution.isRunning() || !state || state.attempt !== attempt || state.phase !== 'started') {
      throw new RpcError(GrpcStatus.NOT_FOUND, NOT_FOUND_MESSAGE);
    }
    return state;
  }

  /** For the *ById RPCs: the pending activity with that id (any phase). */
  byActivityId(activityId: string): ActivityState {
    const state = [...this.pending.values()].find((a) => a.activityId === activityId);
    if (!this.execution.isRunning() || !state) throw new RpcError(GrpcStatus.NOT_FOUND, NOT_FOUND_MESSAGE);
    return state;
  }

  complete(state: ActivityState, result: Payloads | null | undefined, identity: string): void {
    this.closeWith(state, (startedEventId) =>
      this.execution.history.append(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
        activityTaskCompletedEventAttributes: {
          result: result ?? undefined,
          scheduledEventId: int64(state.scheduledEventId),
          startedEventId: int64(startedEventId),
          identity,
        },
      }),
    );
  }

  fail(state: ActivityState, failure: Failure, lastHeartbeatDetails: Payloads | null | undefined, identity: string): void {
    if (lastHeartbeatDetails?.payloads?.length) state.heartbeatDetails = lastHeartbeatDetails;
    this.retryOrClose(state, failure, (retryState, finalFailure, startedEventId) =>
      this.execution.history.append(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
        activityTaskFailedEventAttributes: {
          failure: finalFailure,
          scheduledEventId: int64(state.scheduledEventId),
          startedEventId: int64(startedEventId),
          identity,
          retryState,
        },
      }),
    );
  }

  reportCanceled(state: ActivityState, details: Payloads | null | undefined, identity: string): void {
    this.closeWith(state, (startedEventId) =>
      this.execution.history.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
        activityTaskCanceledEventAttributes: {
          details: details ?? undefined,
          latestCancelRequestedEventId: int64(state.cancelRequestedEventId ?? 0),
          scheduledEventId: int64(state.scheduledEventId),
          startedEventId: int64(startedEventId),
          identity,
        },
      }),
    );
  }

  heartbeat(state: ActivityState, details: Payloads | null | undefined): { cancelRequested: boolean } {
    if (details) state.heartbeatDetails = details;
    state.lastHeartbeatAt = this.env.clock.now();
    // Restart the heartbeat timeout from now.
    this.armHeartbeatTimer(state);
    return { cancelRequested: state.cancelRequested };
  }

  // -------------------------------------------------------------------------------------------
  // Retries, timeouts, final states

  private onTimeout(state: ActivityState, attempt: number, timeoutType: api.enums.v1.TimeoutType): void {
    if (this.pending.get(state.scheduledEventId) !== state || state.attempt !== attempt) return;
    const failure = timeoutFailure(`activity ${timeoutTypeLabel(timeoutType)} timeout`, timeoutType);
    if (timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE) {
      this.closeWith(state, (startedEventId) => this.writeTimedOut(state, failure, RetryState.RETRY_STATE_TIMEOUT, startedEventId));
      return;
    }
    this.retryOrClose(state, failure, (retryState, finalFailure, startedEventId) =>
      this.writeTimedOut(state, finalFailure, retryState, startedEventId),
    );
  }

  private writeTimedOut(state: ActivityState, failure: Failure, retryState: api.enums.v1.RetryState, startedEventId: number): void {
    // When retrying stops because the schedule-to-close deadline would pass, the server reports it
    // as a ScheduleToClose timeout.
    const type =
      retryState === RetryState.RETRY_STATE_TIMEOUT
        ? TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
        : (failure.timeoutFailureInfo?.timeoutType ?? TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    this.execution.history.append(EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, {
      activityTaskTimedOutEventAttributes: {
        failure: timeoutFailure(`activity ${timeoutTypeLabel(type)} timeout`, type, state.heartbeatDetails),
        scheduledEventId: int64(state.scheduledEventId),
        startedEventId: int64(startedEventId),
        retryState,
      },
    });
  }

  /** Applies the retry policy to a failed attempt: schedule the next attempt or write the final event. */
  private retryOrClose(
    state: ActivityState,
    failure: Failure,
    writeFinal: (retryState: api.enums.v1.RetryState, failure: Failure, startedEventId: number) => void,
  ): void {
    const now = this.env.clock.now();
    const expiresAt = state.timeouts.scheduleToCloseMs ? state.scheduledAt + state.timeouts.scheduleToCloseMs : undefined;
    const decision = state.cancelRequested
      ? ({ retry: false, retryState: RetryState.RETRY_STATE_CANCEL_REQUESTED } as const)
      : decideRetry({ policy: state.retryPolicy, attempt: state.attempt, failure, now, expiresAt });
    if (!decision.retry) {
      this.closeWith(state, (startedEventId) => writeFinal(decision.retryState, failure, startedEventId));
      return;
    }
    this.clearAttemptTimers(state);
    this.env.matching.markDone(this.outstandingKey(state));
    state.lastFailure = failure;
    state.attempt += 1;
    state.phase = 'backoff';
    state.startedAt = undefined;
    state.nextAttemptAt = now + decision.delayMs;
    const attempt = state.attempt;
    state.attemptTimers.push(
      this.env.clock.setTimer(decision.delayMs, this.timerLabel(state, `retry backoff (attempt ${attempt})`), () => {
        if (this.pending.get(state.scheduledEventId) !== state || state.attempt !== attempt) return;
        state.attemptTimers = [];
        state.phase = 'scheduled';
        state.attemptScheduledAt = this.env.clock.now();
        state.nextAttemptAt = undefined;
        this.enqueue(state);
      }),
    );
    this.env.changed();
  }

  /**
   * Removes the activity and records its final event — preceded by ActivityTaskStarted when an
   * attempt was running — as one external event (buffered while a workflow task is in flight).
   */
  private closeWith(state: ActivityState, writeFinal: (startedEventId: number) => void): void {
    this.remove(state);
    const time = this.env.clock.now();
    const wasStarted = state.phase === 'started';
    const previousFailure = state.lastFailure;
    this.execution.recordExternalEvent(
      () => {
        let startedEventId = 0;
        if (wasStarted) {
          const started = this.execution.history.append(
            EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            {
              activityTaskStartedEventAttributes: {
                scheduledEventId: int64(state.scheduledEventId),
                identity: state.startedIdentity,
                requestId: state.startedRequestId,
                attempt: state.attempt,
                lastFailure: previousFailure,
              },
            },
            time,
          );
          startedEventId = eventIdOf(started);
        }
        writeFinal(startedEventId);
      },
      { completion: true, key: `activity:${state.scheduledEventId}` },
    );
  }

  private remove(state: ActivityState): void {
    this.pending.delete(state.scheduledEventId);
    this.clearAttemptTimers(state);
    state.scheduleToCloseTimer?.cancel();
    this.env.matching.markDone(this.outstandingKey(state));
  }

  private clearAttemptTimers(state: ActivityState): void {
    for (const timer of state.attemptTimers) timer.cancel();
    state.attemptTimers = [];
    state.heartbeatTimer?.cancel();
    state.heartbeatTimer = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Cancellation (RequestCancelActivityTask command)

  /**
   * Writes ActivityTaskCancelRequested. An activity no worker holds is cancelled on the spot
   * (ActivityTaskCanceled follows immediately, as on the real server); a running one learns about
   * it from its next heartbeat response.
   * Returns `undefined` when no such activity is pending.
   */
  requestCancel(scheduledEventId: number, workflowTaskCompletedEventId: number): 'canceled' | 'requested' | 'already-finished' | undefined {
    const state = this.pending.get(scheduledEventId);
    if (!state) {
      return this.execution.history.hasBufferedKey(`activity:${scheduledEventId}`) ? 'already-finished' : undefined;
    }
    const history = this.execution.history;
    const requested = history.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
      activityTaskCancelRequestedEventAttributes: {
        scheduledEventId: int64(scheduledEventId),
        workflowTaskCompletedEventId: int64(workflowTaskCompletedEventId),
      },
    });
    state.cancelRequested = true;
    state.cancelRequestedEventId = eventIdOf(requested);
    if (state.phase === 'started') return 'requested';
    this.remove(state);
    history.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
      activityTaskCanceledEventAttributes: {
        latestCancelRequestedEventId: int64(state.cancelRequestedEventId),
        scheduledEventId: int64(scheduledEventId),
        startedEventId: int64(0),
        identity: 'history-service',
      },
    });
    return 'canceled';
  }

  // -------------------------------------------------------------------------------------------
  // Introspection & teardown

  describePending(): api.workflow.v1.IPendingActivityInfo[] {
    return [...this.pending.values()].map((state) => ({
      activityId: state.activityId,
      activityType: { name: state.activityType },
      state: state.cancelRequested
        ? api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
        : state.phase === 'started'
          ? api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
          : api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
      heartbeatDetails: state.heartbeatDetails ?? undefined,
      lastHeartbeatTime: state.lastHeartbeatAt !== undefined ? msToTimestamp(state.lastHeartbeatAt) : undefined,
      lastStartedTime: state.startedAt !== undefined ? msToTimestamp(state.startedAt) : undefined,
      attempt: state.attempt,
      maximumAttempts: state.retryPolicy.maximumAttempts,
      scheduledTime: msToTimestamp(state.attemptScheduledAt),
      expirationTime: state.timeouts.scheduleToCloseMs
        ? msToTimestamp(state.scheduledAt + state.timeouts.scheduleToCloseMs)
        : undefined,
      lastFailure: state.lastFailure,
      lastWorkerIdentity: state.startedIdentity ?? '',
      nextAttemptScheduleTime: state.nextAttemptAt !== undefined ? msToTimestamp(state.nextAttemptAt) : undefined,
      activityOptions: {
        taskQueue: { name: state.taskQueue },
        scheduleToCloseTimeout: optionalDuration(state.timeouts.scheduleToCloseMs),
        scheduleToStartTimeout: optionalDuration(state.timeouts.scheduleToStartMs),
        startToCloseTimeout: msToDuration(state.timeouts.startToCloseMs),
        heartbeatTimeout: optionalDuration(state.timeouts.heartbeatMs),
        retryPolicy: retryPolicyProto(state.retryPolicy),
      },
    }));
  }

  closeAll(): void {
    for (const state of [...this.pending.values()]) this.remove(state);
  }

  private outstandingKey(state: ActivityState): string {
    return `activity:${this.execution.key}:${state.scheduledEventId}`;
  }
}

export type { ActivityState };
