/**
 * Time skipping in the manner of Temporal's official test server: while somebody is waiting for
 * time to pass (a client blocked on a workflow result, or an explicit `sleep`) and nothing is in
 * flight (no workflow/activity task queued for a live worker or being worked on), jump the virtual
 * clock to the next server timer (user timer, retry backoff, timeout) instead of waiting for it.
 *
 * "Nothing in flight" is essential: skipping while a worker is busy would fire timeouts the worker
 * could never have met in real time.
 */
import type { VirtualClock } from './clock';

export interface TimeSkipperOptions {
  /** Skip automatically while a client waits on a workflow result. */
  autoSkip: boolean;
  /** Returns true when no task is queued for a live worker or outstanding on a worker. */
  isIdle: () => boolean;
}

export class TimeSkipper {
  private resultWaiters = 0;
  private sleepers = 0;
  private checkScheduled = false;
  private closed = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly options: TimeSkipperOptions,
  ) {}

  get autoSkip(): boolean {
    return this.options.autoSkip;
  }

  setAutoSkip(enabled: boolean): void {
    this.options.autoSkip = enabled;
    this.poke();
  }

  /**
   * Registers a client blocked on a workflow's close event (what `handle.result()` does).
   * Returns the function that unregisters it.
   */
  holdResultWaiter(): () => void {
    this.resultWaiters++;
    this.poke();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.resultWaiters--;
    };
  }

  /**
   * Lets `ms` of virtual time pass. Skips whenever the service is idle (even with auto-skipping
   * disabled, like the test server's `sleep`); otherwise waits in real time.
   */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepers++;
      this.clock.setTimer(ms, 'sleep', () => {
        this.sleepers--;
        resolve();
      });
      this.poke();
    });
  }

  /**
   * Re-evaluates whether to skip. Called after every state change that can affect idleness; the
   * check runs on `setImmediate` so a burst of changes (a task completion appending events and
   * queuing the next task) is seen as one consistent state.
   */
  poke(): void {
    if (this.checkScheduled || this.closed) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      this.check();
    });
  }

  close(): void {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) return;
    const wantsSkip = this.sleepers > 0 || (this.options.autoSkip && this.resultWaiters > 0);
    if (!wantsSkip || !this.options.isIdle()) return;
    const next = this.clock.nextDueAt();
    if (next === undefined) return;
    this.clock.advanceTo(next);
    // The timer that fired may have scheduled work; look again once it has been queued.
    this.poke();
  }
}
