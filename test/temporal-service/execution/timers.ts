/**
 * User timers of one run (StartTimer / CancelTimer commands, TimerFired events), driven by the
 * virtual clock so time skipping fires them.
 */
import type { ClockTimer } from '../clock';
import { api, durationMs, EventType, int64 } from '../proto';
import type { WorkflowExecution } from './execution';
import { eventIdOf } from './workflow-task';

interface UserTimer {
  readonly timerId: string;
  readonly startedEventId: number;
  readonly clockTimer: ClockTimer;
}

export class TimerManager {
  private readonly timers = new Map<string, UserTimer>();
  /** Fired timers whose TimerFired event is still buffered: a CancelTimer may still withdraw it. */
  private readonly firedButBuffered = new Map<string, number>();

  constructor(private readonly execution: WorkflowExecution) {}

  has(timerId: string): boolean {
    return this.timers.has(timerId);
  }

  /** Pending, or fired with its TimerFired event still buffered. */
  isCancellable(timerId: string): boolean {
    return this.timers.has(timerId) || this.firedButBuffered.has(timerId);
  }

  start(attributes: api.command.v1.IStartTimerCommandAttributes, workflowTaskCompletedEventId: number): void {
    const timerId = attributes.timerId ?? '';
    const timeoutMs = durationMs(attributes.startToFireTimeout) ?? 0;
    const started = this.execution.history.append(EventType.EVENT_TYPE_TIMER_STARTED, {
      timerStartedEventAttributes: {
        timerId,
        startToFireTimeout: attributes.startToFireTimeout,
        workflowTaskCompletedEventId: int64(workflowTaskCompletedEventId),
      },
    });
    const startedEventId = eventIdOf(started);
    const clockTimer = this.execution.env.clock.setTimer(timeoutMs, `timer ${timerId} (${this.execution.key})`, () =>
      this.fire(timerId),
    );
    this.timers.set(timerId, { timerId, startedEventId, clockTimer });
  }

  private fire(timerId: string): void {
    const timer = this.timers.get(timerId);
    if (!timer || !this.execution.isRunning()) return;
    this.timers.delete(timerId);
    const time = this.execution.env.clock.now();
    const write = () => {
      this.firedButBuffered.delete(timerId);
      this.execution.history.append(
        EventType.EVENT_TYPE_TIMER_FIRED,
        { timerFiredEventAttributes: { timerId, startedEventId: int64(timer.startedEventId) } },
        time,
      );
    };
    this.firedButBuffered.set(timerId, timer.startedEventId);
    this.execution.recordExternalEvent(write, { key: `timer:${timerId}` });
  }

  /**
   * CancelTimer command. Like the real server, cancelling a timer that fired while the workflow
   * task was running withdraws the buffered TimerFired event instead of failing the task.
   */
  cancel(timerId: string, workflowTaskCompletedEventId: number, identity: string): void {
    let startedEventId: number | undefined;
    const timer = this.timers.get(timerId);
    if (timer) {
      timer.clockTimer.cancel();
      this.timers.delete(timerId);
      startedEventId = timer.startedEventId;
    } else if (this.firedButBuffered.has(timerId) && this.execution.history.withdrawBuffered(`timer:${timerId}`)) {
      startedEventId = this.firedButBuffered.get(timerId);
      this.firedButBuffered.delete(timerId);
    }
    if (startedEventId === undefined) return;
    this.execution.history.append(EventType.EVENT_TYPE_TIMER_CANCELED, {
      timerCanceledEventAttributes: {
        timerId,
        startedEventId: int64(startedEventId),
        workflowTaskCompletedEventId: int64(workflowTaskCompletedEventId),
        identity,
      },
    });
  }

  closeAll(): void {
    for (const timer of this.timers.values()) timer.clockTimer.cancel();
    this.timers.clear();
  }
}
