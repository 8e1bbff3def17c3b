/** Workflow of the round-trip benchmark: wait for a signal, run one activity, complete. */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export const goSignal = defineSignal<[string]>('go');

const { process } = proxyActivities<{ process(value: string): Promise<string> }>({ startToCloseTimeout: '10s' });

export async function roundtrip(): Promise<string> {
  let value: string | undefined;
  setHandler(goSignal, (v) => void (value = v));
  await condition(() => value !== undefined);
  return process(value!);
}
