/**
 * Activities shared by the conformance tests. Their observable behaviour (attempts, heartbeats,
 * cancellations) is recorded in `activityLog` so tests can assert on it.
 */
import { activityInfo, ApplicationFailure, CancelledFailure, Context, heartbeat, sleep } from '@temporalio/activity';

export interface ActivityLog {
  attempts: Record<string, number[]>;
  cancelled: string[];
  heartbeatDetailsSeen: unknown[];
}

export const activityLog: ActivityLog = { attempts: {}, cancelled: [], heartbeatDetailsSeen: [] };

function recordAttempt(key: string): number {
  const { attempt } = activityInfo();
  (activityLog.attempts[key] ??= []).push(attempt);
  return attempt;
}

export const conformanceActivities = {
  async echo(value: string): Promise<string> {
    return value;
  },

  /** Fails with a retryable error until attempt `succeedOn`. */
  async flaky(key: string, succeedOn: number): Promise<string> {
    const attempt = recordAttempt(key);
    if (attempt < succeedOn) throw ApplicationFailure.retryable(`attempt ${attempt} failed`, 'FlakyError');
    return `succeeded on attempt ${attempt}`;
  },

  /** Always fails with the given error type. */
  async alwaysFail(key: string, type: string): Promise<never> {
    recordAttempt(key);
    throw ApplicationFailure.create({ message: `always fails (${type})`, type });
  },

  /** Fails non-retryably. */
  async failNonRetryable(key: string): Promise<never> {
    recordAttempt(key);
    throw ApplicationFailure.nonRetryable('not worth retrying', 'Fatal');
  },

  /** Fails asking the server for a specific delay before the next attempt. */
  async failWithDelay(key: string, delayMs: number, succeedOn: number): Promise<number> {
    const attempt = recordAttempt(key);
    if (attempt < succeedOn) throw ApplicationFailure.create({ message: 'later', nextRetryDelay: delayMs });
    return attempt;
  },

  /** Heartbeats its attempt number, then fails until `succeedOn`; returns the details it resumed from. */
  async heartbeatThenFail(key: string, succeedOn: number): Promise<unknown> {
    const attempt = recordAttempt(key);
    const resumedFrom = activityInfo().heartbeatDetails as unknown;
    activityLog.heartbeatDetailsSeen.push(resumedFrom);
    heartbeat(`progress of attempt ${attempt}`);
    await sleep(50);
    if (attempt < succeedOn) throw ApplicationFailure.retryable('retry me');
    return resumedFrom;
  },

  /** Sleeps (real time) longer than its start-to-close timeout allows. */
  async sleepFor(key: string, ms: number): Promise<string> {
    recordAttempt(key);
    try {
      await sleep(ms);
    } catch (err) {
      if (!(err instanceof CancelledFailure)) throw err;
    }
    return 'slept';
  },

  /** Never heartbeats although a heartbeat timeout is set. */
  async silent(key: string, ms: number): Promise<string> {
    recordAttempt(key);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return 'done';
  },

  /** Heartbeats until cancelled; records the cancellation. */
  async waitForCancel(): Promise<string> {
    const ctx = Context.current();
    for (;;) {
      heartbeat();
      try {
        await ctx.sleep(100);
      } catch (err) {
        if (err instanceof CancelledFailure) {
          activityLog.cancelled.push(activityInfo().activityId);
          throw err;
        }
        throw err;
      }
    }
  },
};

export type ConformanceActivities = typeof conformanceActivities;
