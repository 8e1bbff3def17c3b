import { RateBudget, shareOf, type BudgetShare } from '../../src/adapters/http/rate-budget';
import { busiestMinute } from '../support/busiest-minute';

/**
 * The bucket on a hand-moved clock: every figure below is exact, no timer runs. The property that
 * matters is the module comment's: no 60 s window holds more than rate + burst of one process's
 * requests, so the processes' shares add up to at most the budget.
 */
describe('RateBudget', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  /** Greedy sender: takes every slot as soon as it is due, for `ms`; returns the send times. */
  function sendGreedily(budget: RateBudget, ms: number): number[] {
    const sent: number[] = [];
    const end = now + ms;
    while (now < end) {
      const wait = budget.reserve(Infinity)!;
      now += wait;
      if (now >= end) break;
      sent.push(now);
    }
    return sent;
  }

  it('shares a budget so that every share at full tilt adds up to no more than the budget', () => {
    for (const [budget, processes] of [[200, 1], [200, 2], [700, 3], [2500, 7], [10, 3]] as const) {
      const share = shareOf(budget, processes);
      expect(share.perMinute * processes).toBeLessThanOrEqual(budget * 0.9 + 1e-9);
      expect((share.perMinute + share.burst) * processes).toBeLessThanOrEqual(budget + 1e-9);
      expect(share.burst).toBeGreaterThanOrEqual(1);
    }
    expect(shareOf(200, 2)).toEqual({ budgetPerMinute: 200, processes: 2, perMinute: 90, burst: 10 });
  });

  it('lets a burst through at once, then spaces requests at the steady rate', () => {
    const budget = new RateBudget('zendesk', shareOf(200, 2), clock);
    const waits = Array.from({ length: 12 }, () => budget.reserve(Infinity));
    // Ten at once (the burst), then one every 60 s / 90 = 666.7 ms, reserved in order.
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits[10]).toBeCloseTo(666.67, 1);
    expect(waits[11]).toBeCloseTo(1333.33, 1);
  });

  it('never lets more than the share plus its burst into any minute, however hard it is pushed', () => {
    for (const processes of [1, 2, 3]) {
      now = 1_000_000;
      const share = shareOf(200, processes);
      const sent = sendGreedily(new RateBudget('zendesk', share, clock), 5 * 60_000);
      expect(busiestMinute(sent)).toBeLessThanOrEqual(Math.floor(share.perMinute) + share.burst);
      // ...and it does use its share: a bucket that sent nothing would pass the line above.
      expect(busiestMinute(sent)).toBeGreaterThanOrEqual(Math.floor(share.perMinute));
    }
  });

  it('refills after a quiet spell, but never beyond the burst', () => {
    const budget = new RateBudget('connect', { budgetPerMinute: 60, processes: 1, perMinute: 60, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) expect(budget.reserve(0)).toBe(0);
    expect(budget.reserve(0)).toBeNull();
    now += 10 * 60_000;
    for (let i = 0; i < 3; i++) expect(budget.reserve(0)).toBe(0);
    expect(budget.reserve(0)).toBeNull();
  });

  it('reserves nothing for a caller that cannot wait that long: the slot goes to the next one', () => {
    const budget = new RateBudget('zendesk', { budgetPerMinute: 60, processes: 1, perMinute: 60, burst: 1 }, clock);
    expect(budget.reserve(0)).toBe(0);
    expect(budget.reserve(500)).toBeNull();
    expect(budget.waitMs()).toBe(1000);
    expect(budget.reserve(1000)).toBe(1000);
    expect(budget.reserve(1500)).toBeNull();
    expect(budget.reserve(2000)).toBe(2000);
  });

  it("pauses for a 429's Retry-After, then resumes at the steady rate without a burst", () => {
    const share: BudgetShare = { budgetPerMinute: 600, processes: 1, perMinute: 600, burst: 5 };
    const budget = new RateBudget('zendesk', share, clock);
    expect(budget.reserve(Infinity)).toBe(0);
    budget.pauseFor(30_000);
    expect(budget.reserve(Infinity)).toBe(30_000);
    expect(budget.reserve(Infinity)).toBe(30_100);
    expect(budget.reserve(Infinity)).toBe(30_200);
  });

  it('takes a new share from the next reservation on', () => {
    const budget = new RateBudget('zendesk', shareOf(200, 1), clock);
    sendGreedily(budget, 60_000);
    budget.reshare(shareOf(200, 4));
    expect(budget.share.processes).toBe(4);
    const sent = sendGreedily(budget, 5 * 60_000);
    const last4Minutes = sent.filter((t) => t >= now - 4 * 60_000);
    expect(busiestMinute(last4Minutes)).toBeLessThanOrEqual(Math.floor(shareOf(200, 4).perMinute) + shareOf(200, 4).burst);
  });
});
