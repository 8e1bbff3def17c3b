/**
 * A remote's requests-per-minute budget, as this process's share of it: a GCRA token bucket
 * (the "generic cell rate algorithm": one timestamp instead of a token count) and a small
 * scheduler that hands its slots to the requests waiting for one, on an injected clock and
 * timers, so its tests need no real time.
 *
 * **Slots.** A slot is free when the bucket conforms (GCRA); each one granted moves the bucket on
 * by one interval. Why the figures hold across processes: with a rate of r per minute and a burst
 * of b, any 60 s window holds at most r + b of this process's grants (GCRA's bound: floor(L/T) + b
 * for a window of length L and an interval T; a grant is made only at or after its conforming
 * time, on the clock, never ahead of it). `shareOf` gives each of P processes
 * r = margin × budget / P and b = (1 − margin) × budget / P, so P processes together stay within
 * the budget.
 *
 * **Who gets a free slot.** Requests wait in two lanes: the *continuing* lane, for requests of an
 * attempt (an activity attempt, `SlotAsk.attempt`) that already got a slot, from this budget or
 * another remote's (a create reads the source, then writes the helpdesk: a refusal there wastes
 * the source's slot as surely), and the *first* lane for the others. The continuing lane is served
 * first, each lane by deadline (earliest first; among equal bounds, in the order they asked).
 *
 * Why: under a load above the budget for long, a plain FIFO queue filled up to the longest wait
 * an attempt accepts, so an attempt's second request (a ticket's comments after the ticket; a PUT
 * after its check) found nothing left of its attempt and was refused after the first had spent a
 * slot, and the retries kept the queue full (docs/operating.md: 36 of 540 activities completed at
 * 1.5× the share). The lane alone is not enough: a first request that waited the attempt's whole
 * 20 s still left its second request nothing (70 of 540), so a first request may wait only
 * `FIRST_REQUEST_SHARE` of what its attempt has left, and the rest keeps time for its later
 * requests. Deadline order rather than arrival order: slots come one at a time at known times, so
 * if any order serves every waiter in time, earliest-deadline-first does; it lets a local
 * activity's read (5 s) in ahead of writes that may wait 20 s, where arrival order refused it again
 * and again behind them.
 *
 * **Refused early, having sent nothing.** Every waiter has a deadline (now + what it may wait).
 * The slot each waiter will get is known from its place in the lanes (the bucket's schedule is
 * fixed), so a waiter whose slot would come after its deadline is refused as soon as that is
 * known: a first request when the queue ahead of it is already longer than it may wait, or later,
 * when continuing requests overtake it, a `429` pauses the bucket or a smaller share slows it. A
 * refused first request cost the remote nothing; its refusal says when a slot would have come
 * (`retryAfterMs`).
 */

/** This process's part of one remote's budget. */
export interface BudgetShare {
  /** The remote's budget for the whole account (all processes), requests per minute. */
  budgetPerMinute: number;
  /** Processes sharing it (this one included). */
  processes: number;
  /** Steady rate for this process, requests per minute. */
  perMinute: number;
  /** Requests this process may send back to back after a quiet spell. */
  burst: number;
}

/**
 * The part of the budget held back from the steady rate: it pays for the bursts, and for the few
 * seconds after a worker joins when the others still take the larger share they had before.
 */
export const BUDGET_MARGIN = 0.9;

/**
 * The part of its attempt's time left that a first request may spend waiting: the other half is
 * for the attempt's later requests (which go first, so they seldom need much of it).
 */
export const FIRST_REQUEST_SHARE = 0.5;

/** Each of `processes` processes' share of `budgetPerMinute` (see the module comment). */
export function shareOf(budgetPerMinute: number, processes: number, margin: number = BUDGET_MARGIN): BudgetShare {
  const p = Math.max(1, Math.floor(processes));
  const perMinute = (budgetPerMinute * margin) / p;
  // At least one: a process must be able to send at all. With a budget so small that a burst of
  // one per process is over the margin, the steady rate is lowered to make room for it.
  // Rounded first: 1 − 0.9 is 0.09999999999999998 in floating point, and 200 × that / 2 must be 10.
  const burst = Math.max(1, Math.floor(Math.round(((budgetPerMinute * (1 - margin)) / p) * 1e6) / 1e6));
  const steady = Math.min(perMinute, Math.max(budgetPerMinute / p - burst, budgetPerMinute / p / 2));
  return { budgetPerMinute, processes: p, perMinute: steady, burst };
}

/** Floating-point sums of intervals are off by this much at most, over any realistic run. */
const ROUNDING_MS = 1e-6;

/** `continuing`: the request's attempt already got a slot (from any budget); `first`: it has not. */
export type Lane = 'continuing' | 'first';

/** What a request asks of the budget. */
export interface SlotAsk {
  /** What the request's attempt can still afford to wait in all (see `FIRST_REQUEST_SHARE`). */
  maxWaitMs: number;
  /**
   * The attempt the request belongs to (an activity attempt's `Context`), compared by identity:
   * its requests after the first slot go in the continuing lane. None: a request on its own.
   */
  attempt?: object;
  /** Cancels the wait: the request leaves the queue and the promise rejects with the reason. */
  signal?: AbortSignal;
}

/** A slot: the request may be sent now. `waitedMs` is from the ask to the slot's time. */
export interface SlotGranted {
  granted: true;
  lane: Lane;
  waitedMs: number;
}

/** No slot in time: nothing was sent; a slot would come in about `retryAfterMs`. */
export interface SlotRefused {
  granted: false;
  lane: Lane;
  retryAfterMs: number;
}

export type SlotAnswer = SlotGranted | SlotRefused;

/** `setTimeout` and `clearTimeout`, injectable for tests. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/**
 * The attempts that got a slot from any budget of this process: their next requests continue.
 * Weak: an attempt ends unseen, and its `Context` goes with it.
 */
const ATTEMPTS_SERVED = new WeakSet<object>();

/** Not unref'd: a request waiting for its slot keeps the process (the backfill CLI) alive. */
const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Waiter {
  lane: Lane;
  askedAt: number;
  deadline: number;
  attempt: object | undefined;
  answer: (answer: SlotAnswer) => void;
  /** Stops listening to the ask's signal. */
  release: () => void;
}

export class RateBudget {
  /** Theoretical arrival time: when the next request would be on schedule at the steady rate. */
  private tat = 0;
  private intervalMs = 0;
  private toleranceMs = 0;
  private current: BudgetShare;
  private readonly lanes: Record<Lane, Waiter[]> = { continuing: [], first: [] };
  private wakeUp: { handle: unknown; at: number } | null = null;

  constructor(
    /** Names the remote in metrics and messages ('zendesk'). */
    readonly remote: string,
    share: BudgetShare,
    private readonly now: () => number = Date.now,
    private readonly timers: Timers = realTimers,
  ) {
    this.current = share;
    this.apply(share);
  }

  get share(): BudgetShare {
    return this.current;
  }

  /** Requests waiting for a slot, by lane. */
  get waiting(): Record<Lane, number> {
    return { continuing: this.lanes.continuing.length, first: this.lanes.first.length };
  }

  /**
   * A new share (the number of workers changed). Slots already granted stay as they were; the
   * new interval applies from the next grant on, and the waiters' slots move with it (a waiter
   * whose slot is now too late is refused).
   */
  reshare(share: BudgetShare): void {
    this.current = share;
    this.apply(share);
    this.settle();
  }

  /**
   * Waits for a slot: granted when it comes (at once if one is free and nobody waits ahead),
   * refused, having sent nothing, as soon as it is known not to come within the ask's bound.
   * Rejects only when the ask's signal aborts.
   */
  take(ask: SlotAsk): Promise<SlotAnswer> {
    const { attempt, signal } = ask;
    const lane: Lane = attempt && ATTEMPTS_SERVED.has(attempt) ? 'continuing' : 'first';
    if (signal?.aborted) return Promise.reject(signal.reason);
    // A request on its own (no attempt) has no later requests to keep time for.
    const mayWait = lane === 'first' && attempt ? ask.maxWaitMs * FIRST_REQUEST_SHARE : ask.maxWaitMs;
    const askedAt = this.now();
    return new Promise<SlotAnswer>((resolve, reject) => {
      const onAbort = () => {
        this.remove(waiter);
        reject(signal!.reason);
        this.settle();
      };
      const waiter: Waiter = {
        lane,
        askedAt,
        deadline: askedAt + Math.max(0, mayWait),
        attempt,
        answer: resolve,
        release: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Behind every waiter whose deadline is not later (so equal bounds keep the order asked).
      const queue = this.lanes[lane];
      const behind = queue.findIndex((w) => w.deadline > waiter.deadline);
      queue.splice(behind === -1 ? queue.length : behind, 0, waiter);
      this.settle();
    });
  }

  /** How long a new first request would wait for its slot now, behind everyone waiting. */
  waitMs(): number {
    const now = this.now();
    return this.slotAt(this.lanes.continuing.length + this.lanes.first.length, now) - now;
  }

  /**
   * The remote answered 429 with a `Retry-After`: nothing more from this process until then, and
   * no burst right after (the queue drains at the steady rate). Waiters whose slot is now too late
   * are refused.
   */
  pauseFor(ms: number): void {
    this.tat = Math.max(this.tat, this.now() + ms + this.toleranceMs);
    this.settle();
  }

  private apply(share: BudgetShare): void {
    this.intervalMs = 60_000 / share.perMinute;
    this.toleranceMs = (share.burst - 1) * this.intervalMs;
  }

  /**
   * When the `k`-th next slot (0: the next) conforms, granting none in between: the bucket's
   * schedule, max(now, max(tat, now) + k × interval − tolerance).
   */
  private slotAt(k: number, now: number): number {
    const at = Math.max(this.tat, now) + k * this.intervalMs - this.toleranceMs;
    // Within a nanosecond is now: 19 intervals of 60 s / 180 add up to a hair more than 19 × it.
    return at - now < ROUNDING_MS ? now : at;
  }

  /** Grants the slots due, refuses the waiters whose slot comes too late, sets the next wake-up. */
  private settle(): void {
    const now = this.now();
    for (let next = this.head(); next && this.slotAt(0, now) <= now; next = this.head()) this.grant(next, now);
    let ahead = 0;
    for (const waiter of [...this.lanes.continuing, ...this.lanes.first]) {
      const at = this.slotAt(ahead, now);
      if (at <= waiter.deadline + ROUNDING_MS) {
        ahead++;
        continue;
      }
      this.remove(waiter);
      waiter.answer({ granted: false, lane: waiter.lane, retryAfterMs: at - now });
    }
    this.scheduleWakeUp(now);
  }

  private head(): Waiter | undefined {
    return this.lanes.continuing[0] ?? this.lanes.first[0];
  }

  private grant(waiter: Waiter, now: number): void {
    // The wait is the bucket's, up to when the slot conformed, not the timer's (which may fire a
    // little late); the bucket moves on from now, so no grant is ever ahead of its schedule.
    const conformed = Math.min(now, Math.max(waiter.askedAt, this.tat - this.toleranceMs));
    this.tat = Math.max(this.tat, now) + this.intervalMs;
    this.remove(waiter);
    if (waiter.attempt) ATTEMPTS_SERVED.add(waiter.attempt);
    waiter.answer({ granted: true, lane: waiter.lane, waitedMs: conformed - waiter.askedAt });
  }

  private remove(waiter: Waiter): void {
    const lane = this.lanes[waiter.lane];
    const i = lane.indexOf(waiter);
    if (i !== -1) lane.splice(i, 1);
    waiter.release();
  }

  private scheduleWakeUp(now: number): void {
    const at = this.head() ? this.slotAt(0, now) : null;
    if (this.wakeUp && this.wakeUp.at === at) return;
    if (this.wakeUp) this.timers.clear(this.wakeUp.handle);
    this.wakeUp = null;
    if (at === null) return;
    // A timer may fire a little early by the clock: then it is set again for the rest.
    const handle = this.timers.set(() => {
      this.wakeUp = null;
      this.settle();
    }, Math.max(1, Math.ceil(at - now)));
    this.wakeUp = { handle, at };
  }
}
