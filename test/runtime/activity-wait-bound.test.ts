import { MockActivityEnvironment } from '@temporalio/testing';
import type { WaitBound } from '../../src/adapters/http/budgeted-fetch';
import { activityWaitBound } from '../../src/runtime/rate-budgets';

/**
 * How long a request may wait for its rate-budget slot inside an activity: what is left of the
 * attempt (start-to-close, less 10 s for the request itself), counted from the attempt's first
 * request in this worker.
 */
describe('activityWaitBound', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000_000;
  });

  it("counts a retry's time from its first request, not from when the retry was scheduled", async () => {
    // A retry scheduled 10 minutes ago (its back-off since): its time starts when it runs.
    const env = new MockActivityEnvironment({ attempt: 7, currentAttemptScheduledTimestampMs: now - 600_000, startToCloseTimeoutMs: 30_000 });
    const bounds = await env.run(async () => {
      const first = activityWaitBound(clock).maxWaitMs;
      now += 15_000;
      const later = activityWaitBound(clock).maxWaitMs;
      now += 10_000;
      const spent = activityWaitBound(clock).maxWaitMs;
      return { first, later, spent };
    });
    expect(bounds).toEqual({ first: 20_000, later: 5_000, spent: 0 });
  });

  it('waits at most half the heartbeat timeout, and carries the cancellation', async () => {
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 600_000, heartbeatTimeoutMs: 30_000 });
    const bound = await env.run(async (): Promise<WaitBound> => activityWaitBound(clock));
    expect(bound.maxWaitMs).toBe(15_000);
    expect(bound.signal).toBe(env.context.cancellationSignal);
  });

  it('waits at most 5 s in all in a local activity (the sync reads), from its first request: longer, its workflow task times out', async () => {
    const env = new MockActivityEnvironment({ isLocal: true, startToCloseTimeoutMs: 30_000 });
    const bounds = await env.run(async () => {
      const first = activityWaitBound(clock).maxWaitMs;
      now += 3_000;
      const second = activityWaitBound(clock).maxWaitMs;
      now += 2_500;
      const third = activityWaitBound(clock).maxWaitMs;
      return [first, second, third];
    });
    expect(bounds).toEqual([5_000, 2_000, 0]);
  });

  it("names the attempt (its Context), so the budget lets the attempt's later requests go first", async () => {
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 });
    const [first, later] = await env.run(async (): Promise<WaitBound[]> => [activityWaitBound(clock), activityWaitBound(clock)]);
    expect(first!.attempt).toBe(env.context);
    expect(later!.attempt).toBe(first!.attempt);
    // Another attempt (a retry runs in a new Context) is another key.
    const retry = new MockActivityEnvironment({ attempt: 2, startToCloseTimeoutMs: 30_000 });
    expect((await retry.run(async (): Promise<WaitBound> => activityWaitBound(clock))).attempt).toBe(retry.context);
    expect(retry.context).not.toBe(env.context);
  });

  it('outside an activity (the backfill CLI): a minute', () => {
    expect(activityWaitBound(clock)).toEqual({ maxWaitMs: 60_000 });
  });
});
