/**
 * The workflow task state machine of one run: scheduling (normal or sticky queue), hand-off to a
 * poller (WorkflowTaskStarted + poll response), timeouts, failures and retries.
 *
 * Faithful points that workers depend on:
 *  - retries of a failed/timed-out task (attempt > 1) are *transient*: their scheduled/started
 *    events are not written to history until the attempt completes, and a failing transient
 *    attempt writes nothing;
 *  - a task on a sticky queue carries only the events after the last completed task
 *    (`previousStartedEventId`), one on the normal queue carries the full history (paginated);
 *  - a sticky task not picked up within the worker's schedule-to-start timeout times out and moves
 *    to the normal queue; any failure clears stickiness.
 */
import { randomUUID } from 'node:crypto';
import type { ClockTimer } from '../clock';
import { GrpcStatus, RpcError } from '../errors';
import type { WorkflowTaskResponse } from '../matching/matching';
import {
  api,
  EventType,
  Failure,
  HistoryEvent,
  int64,
  msToDuration,
  msToTimestamp,
  TaskQueueKind,
  TimeoutType,
  toNumber,
} from '../proto';
import type { WorkflowExecution } from './execution';
import { readPage } from './history-pages';
import { encodeTaskToken, TaskToken } from './task-token';

export type WorkflowTaskPhase = 'scheduled' | 'started';

export class WorkflowTaskAttempt {
  phase: WorkflowTaskPhase = 'scheduled';
  /** For transient attempts assigned only when started (they go at the end of history). */
  scheduledEventId = 0;
  startedEventId = 0;
  startedAt?: number;
  identity = '';
  timer?: ClockTimer;
  /** Update ids whose request messages rode on this task. */
  deliveredUpdateIds: string[] = [];
  /** Query ids attached to this task (`queries` field of the poll response). */
  deliveredQueryIds: string[] = [];

  constructor(
    readonly nonce: number,
    readonly attempt: number,
    readonly transient: boolean,
    public queue: string,
    public sticky: boolean,
    readonly scheduledAt: number,
  ) {}
}

/** Delay before retrying a repeatedly failing workflow task (the first retry is immediate). */
function retryBackoffMs(attempt: number): number {
  return attempt <= 2 ? 0 : Math.min(10_000, 1_000 * 2 ** (attempt - 3));
}

export class WorkflowTaskManager {
  current?: WorkflowTaskAttempt;
  /** Started event id of the last completed task (`previousStartedEventId` in poll responses). */
  lastCompletedStartedEventId = 0;
  private nonceSeq = 0;
  private backoff?: ClockTimer;

  constructor(private readonly execution: WorkflowExecution) {}

  private get env() {
    return this.execution.env;
  }

  private get timeoutMs(): number {
    return this.execution.init.workflowTaskTimeoutMs;
  }

  /** A worker holds a task of this run. */
  isInFlight(): boolean {
    return this.current?.phase === 'started';
  }

  /** A task is scheduled, started, or waiting out a retry backoff. */
  isPending(): boolean {
    return this.current !== undefined || this.backoff !== undefined;
  }

  ensureScheduled(): void {
    if (!this.isPending() && this.execution.isRunning()) this.schedule({});
  }

  schedule(options: { attempt?: number; delayMs?: number; enqueue?: boolean }): WorkflowTaskAttempt | undefined {
    const attempt = options.attempt ?? 1;
    if (options.delayMs && options.delayMs > 0) {
      this.backoff = this.env.clock.setTimer(options.delayMs, `workflow task backoff ${this.execution.key}`, () => {
        this.backoff = undefined;
        if (this.execution.isRunning()) this.schedule({ attempt });
      });
      return undefined;
    }
    const { queue, sticky } = this.pickQueue();
    const task = new WorkflowTaskAttempt(++this.nonceSeq, attempt, attempt > 1, queue, sticky, this.env.clock.now());
    if (!task.transient) {
      const event = this.execution.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
        workflowTaskScheduledEventAttributes: this.scheduledAttributes(task),
      });
      task.scheduledEventId = eventIdOf(event);
    }
    this.current = task;
    if (options.enqueue !== false) this.enqueue(task);
    return task;
  }

  private pickQueue(): { queue: string; sticky: boolean } {
    const sticky = this.execution.sticky;
    if (sticky && this.env.matching.isStickyQueueAvailable(this.execution.namespace, sticky.queue)) {
      return { queue: sticky.queue, sticky: true };
    }
    // The worker owning the sticky queue is gone: fall back to the normal queue for good.
    this.execution.sticky = undefined;
    return { queue: this.execution.init.taskQueue, sticky: false };
  }

  private scheduledAttributes(task: WorkflowTaskAttempt): api.history.v1.IWorkflowTaskScheduledEventAttributes {
    return {
      taskQueue: task.sticky
        ? { name: task.queue, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: this.execution.init.taskQueue }
        : { name: task.queue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      startToCloseTimeout: msToDuration(this.timeoutMs),
      attempt: task.attempt,
    };
  }

  private enqueue(task: WorkflowTaskAttempt): void {
    const queue = task.queue;
    const isStale = () => this.current !== task || task.phase !== 'scheduled' || task.queue !== queue;
    this.env.matching.addWorkflowTask(this.execution.namespace, queue, {
      start: (poller) => (isStale() ? undefined : this.start(task, poller.identity, false)),
      isStale,
    });
    if (task.sticky && this.execution.sticky) {
      const timeoutMs = this.execution.sticky.scheduleToStartTimeoutMs;
      task.timer = this.env.clock.setTimer(timeoutMs, `sticky schedule-to-start ${this.execution.key}`, () =>
        this.onStickyScheduleToStartTimeout(task),
      );
    }
  }

  /** Starts `task` for a poller (or inline for RespondWorkflowTaskCompleted) and builds its response. */
  start(task: WorkflowTaskAttempt, identity: string, inline: boolean): WorkflowTaskResponse | undefined {
    if (this.current !== task || task.phase !== 'scheduled' || !this.execution.isRunning()) return undefined;
    task.timer?.cancel();
    const history = this.execution.history;
    if (task.transient) {
      task.scheduledEventId = history.nextEventId;
      task.startedEventId = task.scheduledEventId + 1;
    } else {
      const event = history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
        workflowTaskStartedEventAttributes: this.startedAttributes(task, identity),
      });
      task.startedEventId = eventIdOf(event);
    }
    task.phase = 'started';
    task.startedAt = this.env.clock.now();
    task.identity = identity;
    task.timer = this.env.clock.setTimer(this.timeoutMs, `workflow task start-to-close ${this.execution.key}`, () =>
      this.onStartToCloseTimeout(task),
    );
    this.env.matching.markOutstanding(this.outstandingKey(task));
    const messages = this.execution.updates.deliverTo(task);
    const queries = this.execution.queries.attachTo(task);
    return this.buildResponse(task, { partial: task.sticky || inline, messages, queries });
  }

  private startedAttributes(task: WorkflowTaskAttempt, identity: string): api.history.v1.IWorkflowTaskStartedEventAttributes {
    return {
      scheduledEventId: int64(task.scheduledEventId),
      identity,
      requestId: randomUUID(),
      historySizeBytes: int64(this.execution.history.encodedSizeBytes),
    };
  }

  private buildResponse(
    task: WorkflowTaskAttempt,
    extras: {
      partial: boolean;
      messages: api.protocol.v1.IMessage[];
      queries: Record<string, api.query.v1.IWorkflowQuery>;
    },
  ): WorkflowTaskResponse {
    const execution = this.execution;
    const from = extras.partial ? this.lastCompletedStartedEventId + 1 : 1;
    const page = readPage(
      execution,
      { from, end: execution.history.lastEventId, transientNonce: task.transient ? task.nonce : undefined },
      this.env.config.historyPageSize,
    );
    const token: TaskToken = {
      kind: 'workflow',
      namespace: execution.namespace,
      workflowId: execution.workflowId,
      runId: execution.runId,
      scheduledEventId: task.scheduledEventId,
      attempt: task.attempt,
      nonce: task.nonce,
    };
    return {
      taskToken: encodeTaskToken(token),
      workflowExecution: execution.ref,
      workflowType: { name: execution.init.workflowType },
      previousStartedEventId: int64(this.lastCompletedStartedEventId),
      startedEventId: int64(task.startedEventId),
      attempt: task.attempt,
      backlogCountHint: int64(0),
      history: { events: page.events },
      nextPageToken: page.nextPageToken,
      workflowExecutionTaskQueue: { name: execution.init.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      scheduledTime: msToTimestamp(task.scheduledAt),
      startedTime: msToTimestamp(task.startedAt ?? task.scheduledAt),
      queries: extras.queries,
      messages: extras.messages,
    };
  }

  /** The not-yet-persisted scheduled/started events of a started transient attempt. */
  transientEvents(nonce: number): HistoryEvent[] {
    const task = this.current;
    if (!task || task.nonce !== nonce || !task.transient || task.phase !== 'started') return [];
    return [
      {
        eventId: int64(task.scheduledEventId),
        eventTime: msToTimestamp(task.scheduledAt),
        eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        workflowTaskScheduledEventAttributes: this.scheduledAttributes(task),
      },
      {
        eventId: int64(task.startedEventId),
        eventTime: msToTimestamp(task.startedAt ?? task.scheduledAt),
        eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        workflowTaskStartedEventAttributes: this.startedAttributes(task, task.identity),
      },
    ];
  }

  /** Validates a task token against the started task; NOT_FOUND like the real server otherwise. */
  startedTaskFor(token: Extract<TaskToken, { kind: 'workflow' }>): WorkflowTaskAttempt {
    const task = this.current;
    if (
      !this.execution.isRunning() ||
      !task ||
      task.phase !== 'started' ||
      task.nonce !== token.nonce ||
      task.attempt !== token.attempt
    ) {
      throw new RpcError(GrpcStatus.NOT_FOUND, 'Workflow task not found.');
    }
    return task;
  }

  /**
   * First step of a completion: stops the task's timer and writes a transient attempt's
   * scheduled/started events, which become permanent now that the attempt succeeded.
   */
  beginCompletion(task: WorkflowTaskAttempt): void {
    task.timer?.cancel();
    this.env.matching.markDone(this.outstandingKey(task));
    if (!task.transient) return;
    const [scheduled, started] = this.transientEvents(task.nonce);
    const history = this.execution.history;
    history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventBody(scheduled), task.scheduledAt);
    history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventBody(started), task.startedAt);
  }

  /** Last step of a successful completion. */
  finishCompletion(task: WorkflowTaskAttempt): void {
    this.lastCompletedStartedEventId = task.startedEventId;
    if (this.current === task) this.current = undefined;
  }

  /** RespondWorkflowTaskFailed from the worker. */
  fail(task: WorkflowTaskAttempt, failure: { cause: api.enums.v1.WorkflowTaskFailedCause; failure?: Failure | null; identity: string }): void {
    this.endFailedAttempt(task, task.attempt + 1, () => {
      if (task.transient) return;
      this.execution.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        workflowTaskFailedEventAttributes: {
          scheduledEventId: int64(task.scheduledEventId),
          startedEventId: int64(task.startedEventId),
          cause: failure.cause,
          failure: failure.failure ?? undefined,
          identity: failure.identity,
        },
      });
    });
  }

  /**
   * The server rejected a completion: events arrived while the task ran (UnhandledCommand), or a
   * command was invalid. WorkflowTaskFailed is written and a new task scheduled. UnhandledCommand
   * is not the worker's fault: the next task starts over at attempt 1 (so a transient attempt's
   * events become permanent first); any other cause counts as a failed attempt.
   */
  failByServer(task: WorkflowTaskAttempt, cause: api.enums.v1.WorkflowTaskFailedCause, failure: Failure): void {
    const unhandledCommand = cause === api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
    if (unhandledCommand && task.transient) this.beginCompletion(task);
    const writesEvent = unhandledCommand || !task.transient;
    this.endFailedAttempt(task, unhandledCommand ? 1 : task.attempt + 1, () => {
      if (!writesEvent) return;
      this.execution.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        workflowTaskFailedEventAttributes: {
          scheduledEventId: int64(task.scheduledEventId),
          startedEventId: int64(task.startedEventId),
          cause,
          failure,
          identity: 'history-service',
        },
      });
    });
  }

  private onStartToCloseTimeout(task: WorkflowTaskAttempt): void {
    if (this.current !== task || task.phase !== 'started') return;
    const execution = this.execution;
    execution.env.strict.record({
      kind: 'workflow-task-timed-out',
      message:
        `Workflow task of ${execution.init.workflowType} (workflowId=${execution.workflowId}) was not answered ` +
        `within its ${this.timeoutMs} ms start-to-close timeout (worker stopped, stuck or deadlocked?)`,
      executionKey: execution.key,
    });
    this.endFailedAttempt(task, task.attempt + 1, () => {
      if (task.transient) return;
      execution.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
        workflowTaskTimedOutEventAttributes: {
          scheduledEventId: int64(task.scheduledEventId),
          startedEventId: int64(task.startedEventId),
          timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
        },
      });
    });
  }

  private endFailedAttempt(task: WorkflowTaskAttempt, nextAttempt: number, writeEvent: () => void): void {
    task.timer?.cancel();
    this.env.matching.markDone(this.outstandingKey(task));
    if (this.current === task) this.current = undefined;
    writeEvent();
    // The real server clears stickiness whenever a workflow task fails: the next attempt replays
    // from the full history on the normal queue.
    this.execution.sticky = undefined;
    this.execution.queries.requeueFrom(task);
    this.execution.updates.requeueFrom(task);
    this.execution.history.flushBuffered();
    if (this.execution.isRunning()) this.schedule({ attempt: nextAttempt, delayMs: retryBackoffMs(nextAttempt) });
    this.env.changed();
  }

  private onStickyScheduleToStartTimeout(task: WorkflowTaskAttempt): void {
    if (this.current !== task || task.phase !== 'scheduled' || !task.sticky) return;
    this.current = undefined;
    if (!task.transient) {
      this.execution.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
        workflowTaskTimedOutEventAttributes: {
          scheduledEventId: int64(task.scheduledEventId),
          timeoutType: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
        },
      });
    }
    this.execution.sticky = undefined;
    this.schedule({ attempt: task.attempt });
    this.env.changed();
  }

  /**
   * Stickiness was reset (ResetStickyTaskQueue, worker shutdown): a task waiting on the sticky
   * queue moves to the normal queue, where it will carry the full history.
   */
  resetSticky(): void {
    this.execution.sticky = undefined;
    const task = this.current;
    if (!task || task.phase !== 'scheduled' || !task.sticky) return;
    task.timer?.cancel();
    task.sticky = false;
    task.queue = this.execution.init.taskQueue;
    this.enqueue(task);
  }

  closeAll(): void {
    this.backoff?.cancel();
    this.backoff = undefined;
    const task = this.current;
    if (task) {
      task.timer?.cancel();
      this.env.matching.markDone(this.outstandingKey(task));
    }
    this.current = undefined;
  }

  private outstandingKey(task: WorkflowTaskAttempt): string {
    return `wft:${this.execution.key}:${task.nonce}`;
  }
}

export function eventIdOf(event: HistoryEvent): number {
  return toNumber(event.eventId);
}

function eventBody(event: HistoryEvent | undefined): Omit<HistoryEvent, 'eventId' | 'eventTime' | 'eventType'> {
  if (!event) throw new Error('transient workflow task events missing');
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { eventId, eventTime, eventType, ...body } = event;
  return body;
}
