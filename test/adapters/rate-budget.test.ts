import { FIRST_REQUEST_SHARE, RateBudget, shareOf, type BudgetShare, type SlotAnswer, type SlotAsk } from '../../src/adapters/http/rate-budget';
import { busiestMinute } from '../support/busiest-minute';
import { FakeClock } from '../support/fake-clock';

/**
 * The bucket and its scheduler on a hand-moved clock (../support/fake-clock.ts): every figure
 * below is exact, no real timer runs. The property that matters is the module comment's: no 60 s
 * window holds more than rate + burst of one process's grants, so the processes' shares add up to
 * at most the budget; and the lanes: an attempt that got a slot is served before attempts that
 * have none.
 */
describe('RateBudget', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  const budgetOf = (share: BudgetShare) => new RateBudget('zendesk', share, clock.now, clock.timers);
  /** One a second, bursts of `burst`: easy figures. */
  const perSecond = (burst = 1): BudgetShare => ({ budgetPerMinute: 60, processes: 1, perMinute: 60, burst });

  /** Asks for a slot; `answer()` is its answer once it came (undefined while it waits). */
  function ask(budget: RateBudget, slotAsk: SlotAsk) {
    const asked = { answer: undefined as SlotAnswer | undefined, at: undefined as number | undefined, error: undefined as unknown };
    budget.take(slotAsk).then(
      (answer) => {
        asked.answer = answer;
        asked.at = clock.now();
      },
      (err: unknown) => (asked.error = err),
    );
    return asked;
  }

  /** Greedy sender: asks again as soon as it got a slot, for `ms`; returns the grant times. */
  async function sendGreedily(budget: RateBudget, ms: number): Promise<number[]> {
    const granted: number[] = [];
    const end = clock.now() + ms;
    const loop = async () => {
      while (clock.now() < end) {
        await budget.take({ maxWaitMs: Infinity });
        if (clock.now() < end) granted.push(clock.now());
      }
    };
    const done = loop();
    await clock.runUntil(end + 60_000);
    await done;
    return granted;
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

  it('lets a burst through at once, then spaces requests at the steady rate, in the order they asked', async () => {
    const budget = budgetOf(shareOf(200, 2));
    const asks = Array.from({ length: 12 }, () => ask(budget, { maxWaitMs: Infinity }));
    await clock.advance(0);
    // Ten at once (the burst), then one every 60 s / 90 = 666.7 ms.
    expect(asks.slice(0, 10).map((a) => a.answer)).toEqual(Array(10).fill({ granted: true, lane: 'first', waitedMs: 0 }));
    expect(asks[10]!.answer).toBeUndefined();
    await clock.advance(667);
    expect(asks[10]!.answer).toMatchObject({ granted: true, waitedMs: expect.closeTo(666.67, 1) });
    expect(asks[11]!.answer).toBeUndefined();
    await clock.advance(667);
    expect(asks[11]!.answer).toMatchObject({ granted: true, waitedMs: expect.closeTo(1333.33, 1) });
  });

  it('never grants more than the share plus its burst in any minute, however hard it is pushed', async () => {
    for (const processes of [1, 2, 3]) {
      const share = shareOf(200, processes);
      const granted = await sendGreedily(budgetOf(share), 5 * 60_000);
      expect(busiestMinute(granted)).toBeLessThanOrEqual(Math.floor(share.perMinute) + share.burst);
      // ...and it does use its share: a bucket that granted nothing would pass the line above.
      expect(busiestMinute(granted)).toBeGreaterThanOrEqual(Math.floor(share.perMinute));
    }
  });

  it('refills after a quiet spell, but never beyond the burst', async () => {
    const budget = budgetOf(perSecond(3));
    const takeNow = async () => (await budget.take({ maxWaitMs: 0 })).granted;
    for (let i = 0; i < 3; i++) expect(await takeNow()).toBe(true);
    expect(await takeNow()).toBe(false);
    await clock.advance(10 * 60_000);
    for (let i = 0; i < 3; i++) expect(await takeNow()).toBe(true);
    expect(await takeNow()).toBe(false);
  });

  it('refuses at once, taking nothing, a request whose slot is further off than it may wait', async () => {
    const budget = budgetOf(perSecond());
    expect(await budget.take({ maxWaitMs: 0 })).toEqual({ granted: true, lane: 'first', waitedMs: 0 });
    expect(await budget.take({ maxWaitMs: 500 })).toEqual({ granted: false, lane: 'first', retryAfterMs: 1000 });
    expect(budget.waitMs()).toBe(1000);
    const next = ask(budget, { maxWaitMs: 1000 });
    await clock.advance(0);
    // The refused one took nothing: the next slot (1 s) goes to the next request.
    expect(await budget.take({ maxWaitMs: 1500 })).toEqual({ granted: false, lane: 'first', retryAfterMs: 2000 });
    await clock.advance(1000);
    expect(next.answer).toEqual({ granted: true, lane: 'first', waitedMs: 1000 });
  });

  it("serves an attempt's later requests before other attempts' first requests, each lane in the order asked (equal bounds)", async () => {
    const budget = budgetOf(perSecond());
    const a = {};
    const b = {};
    const c = {};
    expect(await budget.take({ maxWaitMs: 60_000, attempt: a })).toMatchObject({ granted: true, lane: 'first' });
    const first = [ask(budget, { maxWaitMs: 60_000, attempt: b }), ask(budget, { maxWaitMs: 60_000, attempt: c })];
    await clock.advance(100);
    // `a` got a slot: its second request goes ahead of `b` and `c`, which asked before it.
    const aSecond = ask(budget, { maxWaitMs: 60_000, attempt: a });
    await clock.advance(900);
    expect(aSecond.answer).toEqual({ granted: true, lane: 'continuing', waitedMs: 900 });
    expect(first.map((f) => f.answer)).toEqual([undefined, undefined]);
    await clock.advance(1000);
    expect(first[0]!.answer).toMatchObject({ granted: true, lane: 'first', waitedMs: 2000 });
    // Now `b` continues, ahead of `c` (first) and of a request outside any attempt.
    const outside = ask(budget, { maxWaitMs: 60_000 });
    const bSecond = ask(budget, { maxWaitMs: 60_000, attempt: b });
    await clock.advance(1000);
    expect(bSecond.answer).toMatchObject({ granted: true, lane: 'continuing' });
    await clock.advance(1000);
    expect(first[1]!.answer).toMatchObject({ granted: true, lane: 'first', waitedMs: 4000 });
    expect(outside.answer).toBeUndefined();
    await clock.advance(1000);
    expect(outside.answer).toMatchObject({ granted: true, lane: 'first' });
  });

  it("counts a slot from another remote's budget: the attempt continues there", async () => {
    const source = new RateBudget('connect', perSecond(), clock.now, clock.timers);
    const helpdesk = budgetOf(perSecond());
    await helpdesk.take({ maxWaitMs: 0 });
    const newcomer = ask(helpdesk, { maxWaitMs: 20_000, attempt: {} });
    // An attempt that read the source ticket, now writing the helpdesk: ahead of the newcomer.
    const attempt = {};
    expect(await source.take({ maxWaitMs: 20_000, attempt })).toMatchObject({ granted: true, lane: 'first' });
    const write = ask(helpdesk, { maxWaitMs: 20_000, attempt });
    await clock.advance(1000);
    expect(write.answer).toEqual({ granted: true, lane: 'continuing', waitedMs: 1000 });
    expect(newcomer.answer).toBeUndefined();
  });

  it('serves a lane by deadline: a request that may wait less goes ahead of one that may wait more', async () => {
    const budget = budgetOf(perSecond());
    await budget.take({ maxWaitMs: 0 });
    const patient = ask(budget, { maxWaitMs: 20_000 });
    const patient2 = ask(budget, { maxWaitMs: 20_000 });
    await clock.advance(100);
    // A local activity's read: 5 s in all, 2.5 s for its first request. Arrival order would put
    // its slot at 3 s and refuse it; by deadline it is next (1 s) and the others still fit.
    const hurried = ask(budget, { maxWaitMs: 5_000, attempt: {} });
    await clock.advance(900);
    expect(hurried.answer).toEqual({ granted: true, lane: 'first', waitedMs: 900 });
    expect(patient.answer).toBeUndefined();
    await clock.advance(2000);
    expect([patient.answer, patient2.answer]).toEqual([
      { granted: true, lane: 'first', waitedMs: 2000 },
      { granted: true, lane: 'first', waitedMs: 3000 },
    ]);
  });

  it('refuses a first request, having sent nothing, as soon as later requests push its slot past its deadline', async () => {
    const budget = budgetOf(perSecond(3));
    // Three attempts take the burst: the next slot is 1 s away.
    const started = [{}, {}, {}];
    for (const attempt of started) expect(await budget.take({ maxWaitMs: 20_000, attempt })).toMatchObject({ granted: true });
    // A newcomer may wait 2 s (half of its attempt's 4 s): its slot (1 s) fits.
    const newcomer = ask(budget, { maxWaitMs: 4000, attempt: {} });
    await clock.advance(0);
    expect(budget.waiting).toEqual({ continuing: 0, first: 1 });
    // Two started attempts continue: they go first, and the newcomer's slot would be 3 s away.
    ask(budget, { maxWaitMs: 20_000, attempt: started[0]! });
    ask(budget, { maxWaitMs: 20_000, attempt: started[1]! });
    await clock.advance(0);
    expect(newcomer.answer).toEqual({ granted: false, lane: 'first', retryAfterMs: 3000 });
    expect(budget.waiting).toEqual({ continuing: 2, first: 0 });
  });

  it(`lets a first request wait ${FIRST_REQUEST_SHARE * 100}% of what its attempt has left (the rest is for its later requests), a lone request all of it`, async () => {
    const budget = budgetOf(perSecond());
    await budget.take({ maxWaitMs: 0 });
    for (let i = 0; i < 3; i++) ask(budget, { maxWaitMs: 3000 });
    await clock.advance(0);
    // The next free slot is 4 s away: past the 3 s of a first request whose attempt has 6 s left.
    expect(await budget.take({ maxWaitMs: 6000, attempt: {} })).toEqual({ granted: false, lane: 'first', retryAfterMs: 4000 });
    const lone = ask(budget, { maxWaitMs: 6000 });
    const attempt = {};
    const inAttempt = ask(budget, { maxWaitMs: 10_000, attempt });
    await clock.advance(5000);
    // The attempt's first request may wait 5 s: its deadline is the earlier, so it goes first.
    expect(inAttempt.answer).toEqual({ granted: true, lane: 'first', waitedMs: 4000 });
    expect(lone.answer).toEqual({ granted: true, lane: 'first', waitedMs: 5000 });
    // Its later request may wait all that is left.
    const later = ask(budget, { maxWaitMs: 1000, attempt });
    await clock.advance(1000);
    expect(later.answer).toEqual({ granted: true, lane: 'continuing', waitedMs: 1000 });
  });

  it('takes a cancelled request out of the queue: the ones behind it move up', async () => {
    const budget = budgetOf(perSecond());
    await budget.take({ maxWaitMs: 0 });
    const controller = new AbortController();
    const cancelled = ask(budget, { maxWaitMs: 60_000, signal: controller.signal });
    const behind = ask(budget, { maxWaitMs: 60_000 });
    await clock.advance(500);
    controller.abort(new Error('activity cancelled'));
    await clock.advance(500);
    expect(cancelled.error).toEqual(new Error('activity cancelled'));
    expect(cancelled.answer).toBeUndefined();
    expect(behind.answer).toEqual({ granted: true, lane: 'first', waitedMs: 1000 });
    // Cancelled before asking: rejected at once, nothing queued.
    await expect(budget.take({ maxWaitMs: 60_000, signal: controller.signal })).rejects.toThrow('activity cancelled');
    expect(budget.waiting).toEqual({ continuing: 0, first: 0 });
  });

  it("pauses for a 429's Retry-After, then resumes at the steady rate without a burst; a waiter that can no longer be served in time is refused", async () => {
    const budget = budgetOf({ budgetPerMinute: 600, processes: 1, perMinute: 600, burst: 5 });
    for (let i = 0; i < 5; i++) expect(await budget.take({ maxWaitMs: 0 })).toMatchObject({ granted: true });
    // The burst is spent: the next slot is 100 ms away.
    const short = ask(budget, { maxWaitMs: 5_000 });
    const long = [0, 1, 2].map(() => ask(budget, { maxWaitMs: Infinity }));
    budget.pauseFor(30_000);
    await clock.advance(0);
    expect(short.answer).toEqual({ granted: false, lane: 'first', retryAfterMs: 30_000 });
    await clock.advance(30_200);
    expect(long.map((l) => l.answer && l.answer.granted && l.answer.waitedMs)).toEqual([30_000, 30_100, 30_200]);
  });

  it('takes a new share from the next grant on, for the waiters too', async () => {
    // 180 a minute (one every 333 ms), bursts of 20: spend the burst.
    const budget = budgetOf(shareOf(200, 1));
    while ((await budget.take({ maxWaitMs: 0 })).granted);
    // Slots at 333 (the one that may wait 1 s: its deadline is the earlier) and 667 ms.
    const waiting = ask(budget, { maxWaitMs: Infinity });
    const tooShort = ask(budget, { maxWaitMs: 1_000 });
    await clock.advance(0);
    expect(tooShort.answer).toBeUndefined();
    budget.reshare(shareOf(200, 4));
    expect(budget.share.processes).toBe(4);
    await clock.advance(0);
    // 45 a minute (one every 1333 ms), bursts of 5: the next slot (its, by deadline) is now 1333 ms
    // away, past what it may wait.
    expect(tooShort.answer).toEqual({ granted: false, lane: 'first', retryAfterMs: expect.closeTo(1333.33, 1) });
    await clock.advance(1334);
    expect(waiting.answer).toMatchObject({ granted: true, waitedMs: expect.closeTo(1333.33, 1) });
    const granted = await sendGreedily(budget, 5 * 60_000);
    expect(busiestMinute(granted)).toBeLessThanOrEqual(Math.floor(shareOf(200, 4).perMinute) + shareOf(200, 4).burst);
  });

  it('never grants more than the share plus its burst in any minute with both lanes full', async () => {
    const share = shareOf(200, 2);
    const budget = budgetOf(share);
    const granted: number[] = [];
    const end = clock.now() + 5 * 60_000;
    // Twenty attempts of three requests each, over and over, each allowed 20 s.
    const worker = async () => {
      while (clock.now() < end) {
        const attempt = {};
        for (let i = 0; i < 3; i++) {
          const answer = await budget.take({ maxWaitMs: 20_000, attempt });
          if (!answer.granted) break;
          granted.push(clock.now());
        }
        await clock.sleep(100);
      }
    };
    const workers = Array.from({ length: 20 }, worker);
    await clock.runUntil(end + 60_000);
    await Promise.all(workers);
    expect(busiestMinute(granted)).toBeLessThanOrEqual(Math.floor(share.perMinute) + share.burst);
    expect(busiestMinute(granted)).toBeGreaterThanOrEqual(Math.floor(share.perMinute));
  });
});
