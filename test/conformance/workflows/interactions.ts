/** Workflows exercising signals, queries, updates and timers. */
import {
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  setHandler,
  sleep,
} from '@temporalio/workflow';

export const addSignal = defineSignal<[string]>('add');
export const finishSignal = defineSignal('finish');
export const itemsQuery = defineQuery<string[]>('items');
export const failingQuery = defineQuery<string>('failingQuery');
export const addUpdate = defineUpdate<number, [string]>('addItem');
export const slowUpdate = defineUpdate<string, [number]>('slowUpdate');

/**
 * Collects items from signals and updates until `finish`, then returns them. The update
 * validator rejects empty items; queries expose the current items.
 */
export async function collector(): Promise<string[]> {
  const items: string[] = [];
  let finished = false;
  setHandler(addSignal, (item) => void items.push(item));
  setHandler(finishSignal, () => void (finished = true));
  setHandler(itemsQuery, () => items);
  setHandler(failingQuery, () => {
    throw new Error('query handler failed');
  });
  setHandler(
    addUpdate,
    (item) => {
      items.push(item);
      return items.length;
    },
    {
      validator: (item) => {
        if (!item) throw new Error('item must not be empty');
      },
    },
  );
  setHandler(slowUpdate, async (ms) => {
    await sleep(ms);
    return `slept ${ms}`;
  });
  await condition(() => finished);
  return items;
}

/** Sleeps for `duration` and reports the workflow time that passed. */
export async function sleeper(durationMs: number): Promise<number> {
  const start = Date.now();
  await sleep(durationMs);
  return Date.now() - start;
}

/** A timer with a summary: the server records it as the TimerStarted event's user metadata. */
export async function summarizedSleeper(durationMs: number): Promise<void> {
  await sleep(durationMs, { summary: 'waiting for the user' });
}

/** `condition` with a timeout: true if signalled in time, false on timeout. */
export async function waitForFinish(timeoutMs: number): Promise<boolean> {
  let finished = false;
  setHandler(finishSignal, () => void (finished = true));
  return condition(() => finished, timeoutMs);
}

/** Cancels a long timer from a cancellation scope. */
export async function cancelTimer(): Promise<string> {
  try {
    await CancellationScope.withTimeout(100, () => sleep('1 day'));
    return 'timer fired';
  } catch (err) {
    return isCancellation(err) ? 'timer cancelled' : 'unexpected';
  }
}

/** Waits to be cancelled, then runs cleanup in a non-cancellable scope. */
export async function cancellable(): Promise<string> {
  try {
    await sleep('30 days');
    return 'not cancelled';
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(() => sleep(10));
    throw err;
  }
}
