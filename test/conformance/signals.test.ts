/** Signals and signal-with-start. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { addSignal, finishSignal } from './workflows/interactions';
import type * as workflows from './workflows/interactions';

describe('signals', () => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/interactions')) });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  const startCollector = (workflowId = `collector-${randomUUID()}`) =>
    env.client.workflow.start<typeof workflows.collector>('collector', { taskQueue: worker.taskQueue, workflowId });

  it('delivers signals in order', async () => {
    const handle = await startCollector();
    for (const item of ['a', 'b', 'c']) await handle.signal(addSignal, item);
    await handle.signal(finishSignal);
    expect(await handle.result()).toEqual(['a', 'b', 'c']);
  });

  it('delivers every signal of a burst exactly once, including those arriving while a workflow task runs', async () => {
    const handle = await startCollector();
    const items = Array.from({ length: 30 }, (_, i) => `item-${i}`);
    await Promise.all(items.map((item) => handle.signal(addSignal, item)));
    await handle.signal(finishSignal);
    const received = await handle.result();
    expect([...received].sort()).toEqual([...items].sort());
  });

  it('signal-with-start starts the workflow, then signals the running one', async () => {
    const workflowId = `sws-${randomUUID()}`;
    const first = await env.client.workflow.signalWithStart<typeof workflows.collector, [string]>('collector', {
      taskQueue: worker.taskQueue,
      workflowId,
      signal: addSignal,
      signalArgs: ['first'],
    });
    const second = await env.client.workflow.signalWithStart<typeof workflows.collector, [string]>('collector', {
      taskQueue: worker.taskQueue,
      workflowId,
      signal: addSignal,
      signalArgs: ['second'],
    });
    expect(second.signaledRunId).toBe(first.signaledRunId);
    await first.signal(finishSignal);
    expect(await first.result()).toEqual(['first', 'second']);
  });

  it('rejects signals to unknown and to closed workflows with WorkflowNotFoundError', async () => {
    await expect(env.client.workflow.getHandle(`missing-${randomUUID()}`).signal(finishSignal)).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const handle = await startCollector();
    await handle.signal(finishSignal);
    await handle.result();
    await expect(handle.signal(addSignal, 'late')).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});
