import { MockActivityEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { budgetedFetch, type BudgetObserver } from '../../src/adapters/http/budgeted-fetch';
import { HttpClient } from '../../src/adapters/http';
import { RateBudget, shareOf, type Timers } from '../../src/adapters/http/rate-budget';
import { IntegrationError } from '../../src/ports/errors';
import { activityWaitBound } from '../../src/runtime/rate-budgets';
import { FreshdeskSimulator } from '../../src/simulators/freshdesk';
import { busiestMinute } from '../support/busiest-minute';

/**
 * Two worker-like clients, each with its own share of one budget (as two worker processes have),
 * against the Freshdesk simulator's real per-minute limit over loopback HTTP. The minute is
 * compressed: the buckets and the simulator share a clock that runs `SPEED` times faster than
 * the wall clock, so a few seconds cover several "minutes". What is counted is what the
 * simulator received, per 60 s of that clock.
 */
const SPEED = 10;
const BUDGET = 120;
const agent = z.object({ id: z.number() });

describe('a rate budget shared by two workers, over real HTTP', () => {
  let sim: FreshdeskSimulator;
  let origin0: number;
  const clock = () => origin0 + (Date.now() - origin0) * SPEED;
  const fastTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms / SPEED), clear: (handle) => clearTimeout(handle as NodeJS.Timeout) };

  beforeEach(async () => {
    origin0 = Date.now();
    sim = await FreshdeskSimulator.start({ ratePerMinute: BUDGET, now: () => new Date(clock()) });
  });
  afterEach(async () => {
    await sim.stop();
  });

  function worker(observer?: BudgetObserver, maxWaitMs = Infinity) {
    const budget = new RateBudget('freshdesk', shareOf(BUDGET, 2), clock, fastTimers);
    const fetch = budgetedFetch({ budget, apiUrl: sim.apiUrl, waitBound: () => ({ maxWaitMs }), ...(observer && { observer }) });
    const auth = `Basic ${Buffer.from(`${sim.apiKey}:X`).toString('base64')}`;
    return { budget, http: new HttpClient({ service: 'freshdesk', baseUrl: sim.apiUrl, headers: { authorization: auth }, fetch }) };
  }

  /** The most requests the simulator received in any 60 s of its clock. */
  const busiestSimMinute = () => busiestMinute(sim.requests().map((r) => Date.parse(r.at)));

  it('never exceeds the budget in any minute, and no request is answered 429', async () => {
    let waited = 0;
    const observer: BudgetObserver = { waited: (_r, ms) => (waited += ms > 0 ? 1 : 0), refused: () => undefined };
    const workers = [worker(observer), worker(observer)];
    // Four requests in flight per worker, as fast as they are let through, for 2.5 "minutes".
    const until = clock() + 150_000;
    await Promise.all(
      workers.flatMap(({ http }) =>
        Array.from({ length: 4 }, async () => {
          while (clock() < until) await http.request('GET /agents/me', agent);
        }),
      ),
    );
    const statuses = sim.requests().map((r) => r.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(0);
    expect(busiestSimMinute()).toBeLessThanOrEqual(BUDGET);
    // The load was more than the budget: requests did wait for their slots.
    expect(waited).toBeGreaterThan(0);
    expect(statuses.length).toBeGreaterThan(BUDGET);
  });

  it('fails a request that cannot get a slot in time before sending it: retryable, and when to retry', async () => {
    const { http, budget } = worker(undefined, 0);
    for (let i = 0; i < budget.share.burst; i++) await http.request('GET /agents/me', agent);
    const sent = sim.requests().length;
    const err = await http.request('GET /agents/me', agent).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    const failure = err as IntegrationError;
    expect(failure.kind).toBe('rate-limited');
    expect(failure.retryable).toBe(true);
    expect(failure.retryAfterMs).toBeGreaterThan(0);
    expect(failure.message).toBe("freshdesk GET /agents/me: not sent: no slot in this worker's share of the rate budget in time");
    expect(sim.requests()).toHaveLength(sent);
  });

  it("starts a request's timeout after its slot: a wait longer than the timeout is not the remote timing out", async () => {
    // One request every 500 ms, no burst, on the wall clock; the request timeout is 100 ms.
    const budget = new RateBudget('freshdesk', { budgetPerMinute: 120, processes: 1, perMinute: 120, burst: 1 });
    const fetch = budgetedFetch({ budget, apiUrl: sim.apiUrl, waitBound: () => ({ maxWaitMs: 5_000 }) });
    const auth = `Basic ${Buffer.from(`${sim.apiKey}:X`).toString('base64')}`;
    const http = new HttpClient({ service: 'freshdesk', baseUrl: sim.apiUrl, headers: { authorization: auth }, timeoutMs: 100, fetch });
    const answers = await Promise.all([1, 2, 3].map(() => http.request('GET /agents/me', agent).then((res) => res.status)));
    expect(answers).toEqual([200, 200, 200]);
  });

  it("lets an activity attempt's second request go before other attempts' first requests, which are refused having sent nothing", async () => {
    // One slot every 3 s of the clock (300 ms of the wall clock), bursts of 4.
    const budget = new RateBudget('freshdesk', { budgetPerMinute: 20, processes: 1, perMinute: 20, burst: 4 }, clock, fastTimers);
    const fetch = budgetedFetch({ budget, apiUrl: sim.apiUrl, waitBound: () => activityWaitBound(clock) });
    const auth = `Basic ${Buffer.from(`${sim.apiKey}:X`).toString('base64')}`;
    const http = new HttpClient({ service: 'freshdesk', baseUrl: sim.apiUrl, headers: { authorization: auth }, fetch });
    // Eight attempts of two requests at once, each with 30 s (of the clock) to run.
    const attempts = Array.from({ length: 8 }, (_, i) =>
      new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 }).run(async () => {
        for (const step of ['1', '2']) await http.request('GET /agents/me', agent, { query: { attempt: String(i), step } });
        return 'done';
      }).catch((err: unknown) => err),
    );
    const outcomes = await Promise.all(attempts);
    // The burst's four finish: their second requests take the next slots (3 to 12 s), ahead of
    // the four attempts queued before them, whose first requests cannot come within their 10 s
    // (half the attempt's 20 s; the rest is for their later requests): refused before being sent.
    expect(outcomes.slice(0, 4)).toEqual(Array(4).fill('done'));
    for (const refused of outcomes.slice(4)) expect(refused).toMatchObject({ kind: 'rate-limited', status: null });
    const received = sim.requests().map((r) => `${r.query.attempt}.${r.query.step}`);
    expect(received.slice(0, 4).sort()).toEqual(['0.1', '1.1', '2.1', '3.1']);
    expect(received.slice(4).sort()).toEqual(['0.2', '1.2', '2.2', '3.2']);
  });

  it("pauses the worker's budget for a 429's Retry-After, and the 429 still fails the request as before", async () => {
    const { http, budget } = worker();
    sim.faults.add({ match: '*', kind: 'rate-limit', retryAfter: 30, times: 1 });
    const err = await http.request('GET /agents/me', agent).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterMs: 30_000 });
    // The next slot is 30 s (of the bucket's clock) away, though the burst is untouched.
    expect(budget.waitMs()).toBeGreaterThan(29_000);
    expect(budget.waitMs()).toBeLessThanOrEqual(30_000);
  });
});
