/**
 * One workflow run: its identity, start parameters, status, memo/search attributes and history,
 * plus the per-run state machines (workflow task, activities, timers, updates, queries).
 *
 * This class owns state and the transitions every state machine shares (recording events from the
 * outside world, closing the run); each machine lives in its own module.
 */
import type { VirtualClock } from '../clock';
import type { ServiceConfig } from '../config';
import { workflowAlreadyCompleted } from '../errors';
import type { Matching } from '../matching/matching';
import type { NamespaceRecord } from '../namespaces';
import {
  api,
  EventType,
  Failure,
  Header,
  HistoryEvent,
  int64,
  msToTimestamp,
  optionalDuration,
  Payload,
  Payloads,
  RetryPolicy,
  WorkflowExecutionStatus,
  WorkflowTaskFailedCause,
} from '../proto';
import type { StrictMode } from '../strict';
import { ActivityManager } from './activities';
import { HistoryLog } from './history-log';
import { QueryRegistry } from './queries';
import { TimerManager } from './timers';
import { UpdateRegistry } from './updates';
import { WorkflowTaskManager } from './workflow-task';

type Status = api.enums.v1.WorkflowExecutionStatus;

/** Everything needed to create a run (from a start request or a continue-as-new). */
export interface RunInit {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  input?: Payloads | null;
  header?: Header | null;
  memo: Record<string, Payload>;
  searchAttributes: Record<string, Payload>;
  workflowExecutionTimeoutMs?: number;
  workflowRunTimeoutMs?: number;
  workflowTaskTimeoutMs: number;
  retryPolicy?: RetryPolicy | null;
  identity: string;
  requestId: string;
  firstExecutionRunId: string;
  attempt: number;
  continuedExecutionRunId?: string;
  initiator?: api.enums.v1.ContinueAsNewInitiator;
  continuedFailure?: Failure | null;
  lastCompletionResult?: Payloads | null;
  firstWorkflowTaskBackoffMs?: number;
  /** Virtual epoch ms after which the whole chain times out (workflow execution timeout). */
  executionExpiresAt?: number;
  userMetadata?: api.sdk.v1.IUserMetadata | null;
  priority?: api.common.v1.IPriority | null;
  /** A signal delivered atomically with the start (SignalWithStart). */
  initialSignal?: { name: string; input?: Payloads | null; header?: Header | null; identity: string };
}

/** Services a run needs from the rest of the system. */
export interface ExecutionEnvironment {
  readonly clock: VirtualClock;
  readonly matching: Matching;
  readonly strict: StrictMode;
  readonly config: ServiceConfig;
  readonly namespace: NamespaceRecord;
  /** Called after every state change (long polls, time skipping re-check). */
  changed(): void;
  /** Creates and starts the next run of this workflow id (continue-as-new). */
  startNextRun(previous: WorkflowExecution, init: RunInit): WorkflowExecution;
}

export class WorkflowExecution {
  readonly history: HistoryLog;
  readonly workflowTask: WorkflowTaskManager;
  readonly activities: ActivityManager;
  readonly timers: TimerManager;
  readonly updates: UpdateRegistry;
  readonly queries: QueryRegistry;

  status: Status = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  readonly startTime: number;
  readonly executionTime: number;
  closeTime?: number;
  memo: Record<string, Payload>;
  searchAttributes: Record<string, Payload>;
  /** Set by the worker's completion; routes later workflow tasks to the worker's own queue. */
  sticky?: { queue: string; scheduleToStartTimeoutMs: number };
  cancelRequested = false;
  /** Request ids already applied (start, signals, cancel) — the real server dedupes on them. */
  readonly requestIds = new Set<string>();
  /** Result waiters: resolved with the close event. */
  private readonly closeListeners = new Set<(event: HistoryEvent) => void>();
  private runTimeout?: { cancel(): void };

  constructor(
    readonly env: ExecutionEnvironment,
    readonly init: RunInit,
  ) {
    this.history = new HistoryLog(() => env.clock.now());
    this.startTime = env.clock.now();
    this.executionTime = this.startTime + (init.firstWorkflowTaskBackoffMs ?? 0);
    this.memo = { ...init.memo };
    this.searchAttributes = { ...init.searchAttributes };
    this.requestIds.add(init.requestId);
    this.workflowTask = new WorkflowTaskManager(this);
    this.activities = new ActivityManager(this);
    this.timers = new TimerManager(this);
    this.updates = new UpdateRegistry(this);
    this.queries = new QueryRegistry(this);
  }

  get namespace(): string {
    return this.env.namespace.name;
  }

  get workflowId(): string {
    return this.init.workflowId;
  }

  get runId(): string {
    return this.init.runId;
  }

  /** `namespace/workflowId/runId`, used for strict-mode attribution and outstanding tasks. */
  get key(): string {
    return `${this.namespace}/${this.workflowId}/${this.runId}`;
  }

  get ref(): api.common.v1.IWorkflowExecution {
    return { workflowId: this.workflowId, runId: this.runId };
  }

  isRunning(): boolean {
    return this.status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  assertRunning(): void {
    if (!this.isRunning()) throw workflowAlreadyCompleted();
  }

  /** Writes WorkflowExecutionStarted (+ signal) and schedules the first workflow task. */
  start(): void {
    const init = this.init;
    this.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      userMetadata: init.userMetadata ?? undefined,
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: init.workflowType },
        taskQueue: { name: init.taskQueue, kind: api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        input: init.input ?? undefined,
        workflowExecutionTimeout: optionalDuration(init.workflowExecutionTimeoutMs),
        workflowRunTimeout: optionalDuration(init.workflowRunTimeoutMs),
        workflowTaskTimeout: optionalDuration(init.workflowTaskTimeoutMs),
        continuedExecutionRunId: init.continuedExecutionRunId ?? '',
        initiator: init.initiator,
        continuedFailure: init.continuedFailure ?? undefined,
        lastCompletionResult: init.lastCompletionResult ?? undefined,
        originalExecutionRunId: init.runId,
        identity: init.identity,
        firstExecutionRunId: init.firstExecutionRunId,
        retryPolicy: init.retryPolicy ?? undefined,
        attempt: init.attempt,
        workflowExecutionExpirationTime:
          init.executionExpiresAt !== undefined ? msToTimestamp(init.executionExpiresAt) : undefined,
        firstWorkflowTaskBackoff: optionalDuration(init.firstWorkflowTaskBackoffMs),
        memo: { fields: this.memo },
        searchAttributes: { indexedFields: this.searchAttributes },
        header: init.header ?? undefined,
        workflowId: init.workflowId,
        priority: init.priority ?? undefined,
      },
    });
    if (init.initialSignal) {
      this.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        workflowExecutionSignaledEventAttributes: {
          signalName: init.initialSignal.name,
          input: init.initialSignal.input ?? undefined,
          header: init.initialSignal.header ?? undefined,
          identity: init.initialSignal.identity,
        },
      });
    }
    this.armRunTimeout();
    this.workflowTask.schedule({ delayMs: init.firstWorkflowTaskBackoffMs });
    this.env.changed();
  }

  /**
   * Records an event caused by the outside world (signal, activity result, timer fire...). While a
   * worker holds a workflow task the write is buffered until that task completes; otherwise it is
   * written now and a workflow task is scheduled to process it.
   */
  recordExternalEvent(write: () => void, options: { completion?: boolean; key?: string } = {}): void {
    if (!this.isRunning()) return;
    if (this.workflowTask.isInFlight()) {
      this.history.buffer(write, options);
    } else {
      write();
      this.workflowTask.ensureScheduled();
    }
    this.env.changed();
  }

  signal(request: {
    signalName: string;
    input?: Payloads | null;
    header?: Header | null;
    identity: string;
    requestId?: string;
  }): void {
    this.assertRunning();
    if (request.requestId) {
      if (this.requestIds.has(request.requestId)) return;
      this.requestIds.add(request.requestId);
    }
    const time = this.env.clock.now();
    this.recordExternalEvent(() =>
      this.history.append(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        {
          workflowExecutionSignaledEventAttributes: {
            signalName: request.signalName,
            input: request.input ?? undefined,
            header: request.header ?? undefined,
            identity: request.identity,
          },
        },
        time,
      ),
    );
  }

  requestCancel(request: { reason: string; identity: string; requestId?: string }): void {
    this.assertRunning();
    // Cancellation is idempotent on the real server: a second request is accepted silently.
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    if (request.requestId) this.requestIds.add(request.requestId);
    const time = this.env.clock.now();
    this.recordExternalEvent(() =>
      this.history.append(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
        { workflowExecutionCancelRequestedEventAttributes: { cause: request.reason, identity: request.identity } },
        time,
      ),
    );
  }

  terminate(request: { reason: string; details?: Payloads | null; identity: string }): void {
    this.assertRunning();
    this.failInFlightTaskForForcedClose();
    this.history.flushBuffered();
    const event = this.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
      workflowExecutionTerminatedEventAttributes: {
        reason: request.reason,
        details: request.details ?? undefined,
        identity: request.identity,
      },
    });
    this.close(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED, event);
  }

  /** The real server fails a started workflow task before force-closing the run. */
  private failInFlightTaskForForcedClose(): void {
    const task = this.workflowTask.current;
    if (task?.phase !== 'started' || task.transient) return;
    this.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: int64(task.scheduledEventId),
        startedEventId: int64(task.startedEventId),
        cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
        identity: 'history-service',
      },
    });
  }

  /**
   * Transitions the run to a closed status. `closeEvent` has already been appended. Stops every
   * timer and pending task of the run and wakes result waiters.
   */
  close(status: Status, closeEvent: HistoryEvent): void {
    this.status = status;
    this.closeTime = this.env.clock.now();
    this.runTimeout?.cancel();
    this.workflowTask.closeAll();
    this.activities.closeAll();
    this.timers.closeAll();
    this.updates.onWorkflowClosed(status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
    this.queries.onWorkflowClosed();
    for (const listener of this.closeListeners) listener(closeEvent);
    this.closeListeners.clear();
    this.env.changed();
  }

  /** The close event of a closed run. */
  closeEvent(): HistoryEvent | undefined {
    return this.isRunning() ? undefined : this.history.last();
  }

  onClose(listener: (event: HistoryEvent) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Workflow run timeout (bounded by the execution timeout of the whole chain). */
  private armRunTimeout(): void {
    const now = this.env.clock.now();
    const deadlines: number[] = [];
    if (this.init.workflowRunTimeoutMs) deadlines.push(this.startTime + this.init.workflowRunTimeoutMs);
    if (this.init.executionExpiresAt !== undefined) deadlines.push(this.init.executionExpiresAt);
    if (deadlines.length === 0) return;
    const dueAt = Math.min(...deadlines);
    this.runTimeout = this.env.clock.setTimer(dueAt - now, `workflow run timeout ${this.key}`, () => {
      if (!this.isRunning()) return;
      this.history.flushBuffered();
      const event = this.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, {
        workflowExecutionTimedOutEventAttributes: { retryState: api.enums.v1.RetryState.RETRY_STATE_TIMEOUT },
      });
      this.close(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, event);
    });
  }
}
