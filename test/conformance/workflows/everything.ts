/**
 * One workflow using every feature the service implements: signals, queries, updates (with a
 * validator), activities with server-side retries, local activities (with a retry), timers,
 * `condition` with timeout, timer cancellation, patching, search attribute and memo upserts, and
 * continue-as-new. Run in both cache modes by features.test.ts.
 */
import {
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConformanceActivities } from '../activities';
import { ticketStatusKey } from './keys';

export const itemSignal = defineSignal<[string]>('item');
export const stateQuery = defineQuery<EverythingState>('state');
export const statusUpdate = defineUpdate<string, [string]>('status');

export interface EverythingInput {
  key: string;
  iteration: number;
  maxIterations: number;
  /** Durations chosen by the test: long with time skipping, short on a real server. */
  sleepMs: number;
  conditionTimeoutMs: number;
  items: string[];
}

export interface EverythingState {
  iteration: number;
  items: string[];
  status: string;
  patched: boolean;
}

export interface EverythingResult extends EverythingState {
  runId: string;
  firstExecutionRunId: string;
  activityResult: string;
  localResults: string[];
  signalledBeforeTimeout: boolean;
  timerCancelled: boolean;
  workflowTimeElapsedMs: number;
}

const activities = proxyActivities<ConformanceActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

const localActivities = proxyLocalActivities<ConformanceActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '10ms', maximumAttempts: 3 },
});

export async function everything(input: EverythingInput): Promise<EverythingResult> {
  const workflowStart = Date.now();
  const state: EverythingState = { iteration: input.iteration, items: [...input.items], status: 'new', patched: false };

  setHandler(itemSignal, (item) => void state.items.push(item));
  setHandler(stateQuery, () => state);
  setHandler(
    statusUpdate,
    (status) => {
      const previous = state.status;
      state.status = status;
      upsertSearchAttributes([{ key: ticketStatusKey, value: status }]);
      return previous;
    },
    { validator: (status) => void (status ? undefined : (() => { throw new Error('status required'); })()) },
  );

  state.patched = patched('everything-v2');

  const localResults = [
    (await localActivities.echo('local')) as string,
    await localActivities.flaky(`${input.key}-local-${input.iteration}`, 2),
  ];
  const activityResult = await activities.flaky(`${input.key}-remote-${input.iteration}`, 2);

  await sleep(input.sleepMs);
  const signalledBeforeTimeout = await condition(() => state.items.includes(`go-${input.iteration}`), input.conditionTimeoutMs);

  let timerCancelled = false;
  try {
    await CancellationScope.withTimeout(10, () => sleep(input.sleepMs * 10));
  } catch (err) {
    timerCancelled = isCancellation(err);
  }

  upsertMemo({ lastIteration: input.iteration });

  if (input.iteration < input.maxIterations) {
    await continueAsNew<typeof everything>({ ...input, iteration: input.iteration + 1, items: state.items });
  }
  const info = workflowInfo();
  return {
    ...state,
    runId: info.runId,
    firstExecutionRunId: info.firstExecutionRunId,
    activityResult,
    localResults,
    signalledBeforeTimeout,
    timerCancelled,
    workflowTimeElapsedMs: Date.now() - workflowStart,
  };
}
