/** Workflows for continue-as-new, memo/search attributes, visibility, describe, cancel and terminate. */
import {
  continueAsNew,
  defineSignal,
  proxyActivities,
  setHandler,
  condition,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ticketStatusKey } from './keys';

export const setStatusSignal = defineSignal<[string]>('setStatus');
export const closeSignal = defineSignal('close');

/** A ticket-like workflow: status changes are upserted as search attribute and memo. */
export async function ticketLike(): Promise<string | undefined> {
  let closed = false;
  setHandler(setStatusSignal, (status) => {
    upsertSearchAttributes([{ key: ticketStatusKey, value: status }]);
    upsertMemo({ lastStatus: status });
  });
  setHandler(closeSignal, () => void (closed = true));
  await condition(() => closed);
  return workflowInfo().typedSearchAttributes.get(ticketStatusKey);
}

export interface ChainResult {
  runs: number;
  firstExecutionRunId: string;
  continuedFromExecutionRunId?: string;
  memo?: Record<string, unknown>;
  ticketStatus?: string;
}

/** Continues as new `remaining` times; the last run reports what it inherited. */
export async function chain(remaining: number, runs = 1): Promise<ChainResult> {
  if (remaining > 0) {
    await continueAsNew<typeof chain>(remaining - 1, runs + 1);
  }
  const info = workflowInfo();
  return {
    runs,
    firstExecutionRunId: info.firstExecutionRunId,
    continuedFromExecutionRunId: info.continuedFromExecutionRunId,
    memo: info.memo,
    ticketStatus: info.typedSearchAttributes.get(ticketStatusKey),
  };
}

/** Sleeps a month: something to describe, cancel or terminate. */
export async function longRunning(): Promise<void> {
  await sleep('30 days');
}

/** Waits on an activity no worker will ever pick up (shows up as a pending activity). */
export async function pendingActivity(taskQueue: string): Promise<void> {
  const { echo } = proxyActivities<{ echo(value: string): Promise<string> }>({
    taskQueue,
    startToCloseTimeout: '1 minute',
  });
  await echo('nobody will run me');
}
