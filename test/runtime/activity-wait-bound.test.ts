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
      now += 17_000;
      const later = activityWaitBound(clock).maxWaitMs;
      now += 10_000;
      const spent = activityWaitBound(clock).maxWaitMs;
      return { first, later, spent };
    });
    // 5 s at most (below); 3 s left of the 30 s attempt after 17 s and 10 s for the request.
    expect(bounds).toEqual({ first: 5_000, later: 3_000, spent: 0 });
  });

  it('waits at most half the heartbeat timeout, and carries the cancellation', async () => {
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 600_000, heartbeatTimeoutMs: 6_000 });
    const bound = await env.run(async (): Promise<WaitBound> => activityWaitBound(clock));
    expect(bound.maxWaitMs).toBe(3_000);
    expect(bound.signal).toBe(env.context.cancellationSignal);
  });

  it('waits at most 5 s in any activity, local (the sync reads) or not: a short queue all join alike', async () => {
    for (const isLocal of [true, false]) {
      const env = new MockActivityEnvironment({ isLocal, startToCloseTimeoutMs: 600_000 });
      expect((await env.run(async (): Promise<WaitBound> => activityWaitBound(clock))).maxWaitMs).toBe(5_000);
    }
  });

  it('outside an activity (the backfill CLI): a minute', () => {
    expect(activityWaitBound(clock)).toEqual({ maxWaitMs: 60_000 });
  });
});
