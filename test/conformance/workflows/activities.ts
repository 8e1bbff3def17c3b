/** Workflows exercising activity scheduling, retries, timeouts and cancellation. */
import {
  ActivityCancellationType,
  ActivityOptions,
  CancellationScope,
  defineSignal,
  isCancellation,
  LocalActivityOptions,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { ConformanceActivities } from '../activities';

export interface ActivityCall {
  activity: keyof ConformanceActivities;
  args?: unknown[];
  options: ActivityOptions;
}

/** Runs one activity with the given options; returns its result and the workflow time it took. */
export async function runActivity(call: ActivityCall): Promise<{ result: unknown; elapsedMs: number }> {
  const acts = proxyActivities<ConformanceActivities>(call.options);
  const fn = acts[call.activity] as (...args: unknown[]) => Promise<unknown>;
  const started = Date.now();
  const result = await fn(...(call.args ?? []));
  return { result, elapsedMs: Date.now() - started };
}

/** Runs one local activity (executed by the worker within the workflow task, recorded as a marker). */
export async function runLocalActivity(call: { activity: keyof ConformanceActivities; args?: unknown[]; options: LocalActivityOptions }): Promise<unknown> {
  const acts = proxyLocalActivities<ConformanceActivities>(call.options);
  const fn = acts[call.activity] as (...args: unknown[]) => Promise<unknown>;
  return fn(...(call.args ?? []));
}

/** Starts a long activity, cancels it after `cancelAfterMs`, and reports how it ended. */
export async function cancelActivity(cancellationType: ActivityCancellationType, cancelAfterMs: number): Promise<string> {
  const { waitForCancel } = proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '1 minute',
    // Heartbeats are throttled to 80% of this: keep it short so cancellation arrives quickly.
    heartbeatTimeout: '500ms',
    cancellationType,
    retry: { maximumAttempts: 1 },
  });
  const scope = new CancellationScope();
  const pending = scope.run(() => waitForCancel());
  await sleep(cancelAfterMs);
  scope.cancel();
  try {
    return `completed: ${await pending}`;
  } catch (err) {
    return isCancellation(err) ? 'cancelled' : `failed: ${(err as Error).message}`;
  }
}

export const pingSignal = defineSignal('ping');

/**
 * Counts pings while a local activity keeps the workflow task busy, then completes. A ping that
 * arrives during that task must not be lost: the server rejects the completion (UnhandledCommand)
 * and the workflow re-runs with the ping in view.
 */
export async function countPingsAfterLocalWork(key: string, ms: number): Promise<number> {
  let pings = 0;
  setHandler(pingSignal, () => void pings++);
  const { sleepFor } = proxyLocalActivities<ConformanceActivities>({ startToCloseTimeout: '10s' });
  await sleepFor(key, ms);
  return pings;
}
