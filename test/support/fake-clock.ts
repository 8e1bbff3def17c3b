/**
 * A clock and timers that move only when told: a discrete-event simulation for code that takes
 * `now` and timers as arguments (the rate budget). `runUntil` fires the due timers in time order
 * and lets every promise settle between two of them, so minutes of simulated load run in
 * milliseconds and every figure is exact.
 */
export interface FakeTimerHandle {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class FakeClock {
  private time: number;
  private seq = 0;
  /** Pending timers, earliest first (ties: in the order they were set). */
  private pending: FakeTimerHandle[] = [];

  constructor(start = 1_000_000) {
    this.time = start;
  }

  readonly now = (): number => this.time;

  /** `setTimeout`/`clearTimeout` on this clock. */
  readonly timers = {
    set: (fn: () => void, ms: number): FakeTimerHandle => {
      const handle = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
      const i = this.pending.findIndex((p) => p.at > handle.at);
      this.pending.splice(i === -1 ? this.pending.length : i, 0, handle);
      return handle;
    },
    clear: (handle: unknown): void => {
      this.pending = this.pending.filter((p) => p !== handle);
    },
  };

  /** Resolves after `ms` of this clock (rejects when `signal` aborts). */
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const handle = this.timers.set(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.timers.clear(handle);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  /** Fires every timer due up to `end` (and those they set), then stands at `end`. */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      await settled();
      const next = this.pending[0];
      if (!next || next.at > end) break;
      this.pending.shift();
      this.time = next.at;
      next.fn();
    }
    this.time = Math.max(this.time, end);
    await settled();
  }

  /** `runUntil(now + ms)`. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.time + ms);
  }
}

/** Every promise chain that waits on nothing but other promises has run when this resolves. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
