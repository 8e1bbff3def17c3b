/**
 * The service's notion of time: real time plus an offset that only grows when time is skipped.
 *
 * Every server-side deadline (user timers, activity retry backoff, activity/workflow-task timeouts)
 * is a {@link ClockTimer} on this clock, and every history event is stamped with {@link now}. The
 * worker derives workflow time (`Date.now()` inside workflow code) from event timestamps, so
 * skipping the clock skips workflow time consistently with the server's timers.
 */

export interface ClockTimer {
  /** Virtual time (epoch ms) at which the timer fires. */
  readonly dueAt: number;
  /** Human-readable purpose, for debugging stuck tests. */
  readonly label: string;
  cancel(): void;
}

interface TimerEntry extends ClockTimer {
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** setTimeout rejects delays above 2^31-1 ms; longer timers are re-armed when that elapses. */
const MAX_REAL_DELAY_MS = 2 ** 31 - 1;

export class VirtualClock {
  private offsetMs = 0;
  private seq = 0;
  /** Kept sorted by (dueAt, seq); timer counts in tests are small, so insertion sort is fine. */
  private timers: TimerEntry[] = [];
  private armed?: { at: number; handle: NodeJS.Timeout };
  private closed = false;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Total virtual time skipped so far. */
  skippedMs(): number {
    return this.offsetMs;
  }

  setTimer(delayMs: number, label: string, callback: () => void): ClockTimer {
    const entry: TimerEntry = {
      dueAt: this.now() + Math.max(0, delayMs),
      label,
      seq: this.seq++,
      callback,
      cancelled: false,
      cancel: () => {
        entry.cancelled = true;
        this.timers = this.timers.filter((t) => t !== entry);
        this.arm();
      },
    };
    const index = this.timers.findIndex((t) => t.dueAt > entry.dueAt);
    if (index === -1) this.timers.push(entry);
    else this.timers.splice(index, 0, entry);
    this.arm();
    return entry;
  }

  /** Due time of the earliest pending timer, if any. */
  nextDueAt(): number | undefined {
    return this.timers[0]?.dueAt;
  }

  pendingTimers(): readonly ClockTimer[] {
    return this.timers;
  }

  /** Jumps virtual time forward to `target` (never backwards) and fires every timer due by then. */
  advanceTo(target: number): void {
    const delta = target - this.now();
    if (delta > 0) {
      this.offsetMs += delta;
      // The armed real timeout was computed before the jump and would now fire late.
      this.disarm();
    }
    this.fireDue();
  }

  close(): void {
    this.closed = true;
    this.timers = [];
    this.disarm();
  }

  private disarm(): void {
    if (this.armed) clearTimeout(this.armed.handle);
    this.armed = undefined;
  }

  private fireDue(): void {
    // A callback may add or cancel timers, so re-read the head each time.
    for (;;) {
      const head = this.timers[0];
      if (!head || head.dueAt > this.now()) break;
      this.timers.shift();
      if (!head.cancelled) head.callback();
    }
    this.arm();
  }

  /** Keeps exactly one real timeout armed for the earliest timer, so timers also fire in real time. */
  private arm(): void {
    if (this.closed) return;
    const head = this.timers[0];
    if (this.armed && (!head || this.armed.at !== head.dueAt)) this.disarm();
    if (!head || this.armed) return;
    const delay = Math.min(MAX_REAL_DELAY_MS, Math.max(0, head.dueAt - this.now()));
    const handle = setTimeout(() => {
      this.armed = undefined;
      this.fireDue();
    }, delay);
    // The gRPC server keeps the process alive when it must; timers alone never should.
    handle.unref();
    this.armed = { at: head.dueAt, handle };
  }
}
