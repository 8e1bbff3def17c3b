/**
 * A remote's requests-per-minute budget, as this process's share of it: a GCRA token bucket
 * (the "generic cell rate algorithm": one timestamp instead of a token count), pure and on an
 * injected clock, so its tests need no timers.
 *
 * Every request *reserves* its slot before it is sent: `reserve` answers how long to wait, and
 * the slot is held from then on, so callers that wait are served in the order they asked and a
 * burst of concurrent requests is spread out instead of racing for the next free token. A caller
 * that would wait longer than it may takes nothing (`null`): the slot goes to the next.
 *
 * Why the figures hold across processes: with a rate of r per minute and a burst of b, any 60 s
 * window holds at most r + b of this process's requests (GCRA's bound: floor(L/T) + b for a window
 * of length L and an interval T). `shareOf` gives each of P processes r = margin × budget / P and
 * b = (1 − margin) × budget / P, so P processes together stay within the budget.
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

export class RateBudget {
  /** Theoretical arrival time: when the next request would be on schedule at the steady rate. */
  private tat = 0;
  private intervalMs = 0;
  private toleranceMs = 0;
  private current: BudgetShare;

  constructor(
    /** Names the remote in metrics and messages ('zendesk'). */
    readonly remote: string,
    share: BudgetShare,
    private readonly now: () => number = Date.now,
  ) {
    this.current = share;
    this.apply(share);
  }

  get share(): BudgetShare {
    return this.current;
  }

  /**
   * A new share (the number of workers changed). Slots already reserved stay as they were; the
   * new interval applies from the next reservation on.
   */
  reshare(share: BudgetShare): void {
    this.current = share;
    this.apply(share);
  }

  /**
   * Reserve the next slot if it comes within `maxWaitMs`: the wait (0: send now), or null when it
   * is further off, and then nothing is reserved.
   */
  reserve(maxWaitMs: number): number | null {
    const wait = this.waitMs();
    if (wait > maxWaitMs) return null;
    this.tat = Math.max(this.tat, this.now()) + this.intervalMs;
    return wait;
  }

  /** How long a request asking now would wait for its slot (nothing reserved). */
  waitMs(): number {
    const now = this.now();
    return Math.max(0, Math.max(this.tat, now) - this.toleranceMs - now);
  }

  /**
   * The remote answered 429 with a `Retry-After`: nothing more from this process until then, and
   * no burst right after (the queue drains at the steady rate).
   */
  pauseFor(ms: number): void {
    this.tat = Math.max(this.tat, this.now() + ms + this.toleranceMs);
  }

  private apply(share: BudgetShare): void {
    this.intervalMs = 60_000 / share.perMinute;
    this.toleranceMs = (share.burst - 1) * this.intervalMs;
  }
}
