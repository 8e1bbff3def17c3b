/** Workflow of the round-trip benchmark: wait for a signal, run one activity, complete. */
import { allHandlersFinished, condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export const goSignal = defineSignal<[string]>('go');

const { process } = proxyActivities<{ process(value: string): Promise<string> }>({ startToCloseTimeout: '10s' });

export async function roundtrip(): Promise<string> {
  let value: string | undefined;
  setHandler(goSignal, (v) => void (value = v));
  await condition(() => value !== undefined);
  return process(value!);
}

/** One step of the raw lifecycle (bench/throughput.ts): runs one activity, answers with its result. */
export const stepUpdate = defineUpdate<string, [string]>('step');

/**
 * The raw engine's version of a ticket's lifecycle for P6 of bench/report.ts: `steps` updates,
 * each running one activity (a remote's request), then complete. No decisions, no reads: what
 * Temporal and the SDK cost for the same number of steps.
 */
export async function rawLifecycle(steps: number): Promise<void> {
  let done = 0;
  setHandler(stepUpdate, async (value) => {
    const result = await process(value);
    done++;
    return result;
  });
  await condition(() => done >= steps && allHandlersFinished());
}
