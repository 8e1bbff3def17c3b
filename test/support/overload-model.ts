/**
 * A deterministic model of one worker's share of a remote's rate budget under a steady load, on
 * a `FakeClock`: activities arrive evenly at `load` × the share (in requests), each makes 2 or 3
 * requests one after the other (a read: the ticket, then its comments; a write: a check, then a
 * PUT), every attempt runs in a real (mock) activity context with a 30 s start-to-close, so its
 * requests wait as `activityWaitBound` allows, and an attempt refused by the budget is retried as
 * Temporal would: after the refusal's `retryAfterMs` (at least the retry policy's initial 1 s).
 * What the remote receives is recorded, so the 60 s window bound can be checked on it.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { RateBudgetExhausted, slotFor, type WaitBound } from '../../src/adapters/http/budgeted-fetch';
import type { BudgetShare } from '../../src/adapters/http/rate-budget';
import { activityWaitBound } from '../../src/runtime/rate-budgets';
import { FakeClock } from './fake-clock';

export interface OverloadModelOptions {
  share: BudgetShare;
  /** Requests asked for, as a multiple of the share's steady rate. */
  load: number;
  minutes: number;
  /** How long the remote takes to answer one request. */
  latencyMs?: number;
  /**
   * The reads (2 requests) run as local activities, as the sync's do: their requests may wait
   * 5 s in all. (The workflow's fallback to a regular read after a minute is not modelled: a read
   * keeps being retried as a local activity.)
   */
  localReads?: boolean;
}

/** Makes the budgeted fetch under test: its budget on `clock`, sending through `remote`. */
export type BudgetedFetchFactory = (clock: FakeClock, waitBound: () => WaitBound, remote: typeof fetch) => typeof fetch;

export interface OverloadModelResult {
  arrived: number;
  /** Activities completed within the `minutes`. */
  completed: number;
  /** Activities completed at all (within the `minutes` or while the model drains after them). */
  finished: number;
  attempts: number;
  /** Attempts refused before any of their requests got a slot: they cost the remote nothing. */
  refusedBeforeSlot: number;
  /** Attempts refused after at least one of their requests was sent: those requests were wasted. */
  refusedAfterSlot: number;
  /** Requests sent for attempts that then failed. */
  slotsWasted: number;
  /** When the remote received each request (the clock's ms). */
  sent: number[];
  /** Each sent request's wait for its slot, ms. */
  waits: number[];
  /** Each completed activity's time from arrival to completion, ms. */
  latencies: number[];
}

const START_TO_CLOSE_MS = 30_000;
const RETRY_INITIAL_MS = 1_000;
const API = 'https://remote.test/api/v2';

export async function runOverloadModel(options: OverloadModelOptions, makeFetch: BudgetedFetchFactory): Promise<OverloadModelResult> {
  const { share, load, minutes } = options;
  const latencyMs = options.latencyMs ?? 200;
  const clock = new FakeClock();
  const start = clock.now();
  const end = start + minutes * 60_000;
  const result: OverloadModelResult = { arrived: 0, completed: 0, finished: 0, attempts: 0, refusedBeforeSlot: 0, refusedAfterSlot: 0, slotsWasted: 0, sent: [], waits: [], latencies: [] };

  const remote: typeof fetch = async () => {
    result.sent.push(clock.now());
    await clock.sleep(latencyMs);
    return new Response('{}', { status: 200 });
  };
  const fetchImpl = makeFetch(clock, () => activityWaitBound(clock.now), remote);

  /** One attempt: its requests in turn; the requests sent, or the refusal. */
  const attempt = async (requests: number, attemptNo: number): Promise<{ sent: number; refused?: RateBudgetExhausted }> => {
    const isLocal = options.localReads === true && requests === 2;
    const env = new MockActivityEnvironment({ attempt: attemptNo, startToCloseTimeoutMs: START_TO_CLOSE_MS, isLocal });
    return env.run(async () => {
      let sent = 0;
      for (let i = 0; i < requests; i++) {
        const url = `${API}/tickets/${i}.json`;
        const asked = clock.now();
        try {
          await slotFor(fetchImpl, url);
        } catch (err) {
          if (err instanceof RateBudgetExhausted) return { sent, refused: err };
          throw err;
        }
        result.waits.push(clock.now() - asked);
        await fetchImpl(url);
        sent++;
      }
      return { sent };
    });
  };

  const activity = async (requests: number) => {
    const arrived = clock.now();
    for (let attemptNo = 1; clock.now() < end; attemptNo++) {
      result.attempts++;
      const { sent, refused } = await attempt(requests, attemptNo);
      if (!refused) {
        result.finished++;
        if (clock.now() <= end) {
          result.completed++;
          result.latencies.push(clock.now() - arrived);
        }
        return;
      }
      if (sent > 0) {
        result.refusedAfterSlot++;
        result.slotsWasted += sent;
      } else result.refusedBeforeSlot++;
      await clock.sleep(Math.max(RETRY_INITIAL_MS, refused.retryAfterMs));
    }
  };

  // Reads of 2 requests and writes of 3, alternately: 2.5 requests an activity.
  const perActivity = [2, 3];
  const meanRequests = perActivity.reduce((a, b) => a + b) / perActivity.length;
  const everyMs = 60_000 / ((load * share.perMinute) / meanRequests);
  const running: Promise<void>[] = [];
  for (let i = 0, at = start; at < end; i++, at += everyMs) {
    clock.timers.set(() => {
      result.arrived++;
      running.push(activity(perActivity[i % perActivity.length]!));
    }, at - start);
  }
  await clock.runUntil(end);
  // What is still waiting or retrying at the end is counted as not completed: let it stop.
  await clock.runUntil(end + 10 * 60_000);
  await Promise.all(running);
  return result;
}

/** The `q` quantile (0..1) of `values`, nearest rank; 0 when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
