/**
 * Sticky queues: a workflow cached by one worker keeps running on another one after the first
 * shuts down (its tasks move to the normal queue, with full history), in both cache modes.
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, startWorker, TestEnv, uniqueTaskQueue } from '../harness';
import { addSignal, finishSignal, itemsQuery } from './workflows/interactions';
import type * as workflows from './workflows/interactions';

describe('sticky workflow cache', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('hands a cached workflow over to a new worker after the first one shuts down', async () => {
    const workflowBundle = await bundleWorkflows(require.resolve('./workflows/interactions'));
    const taskQueue = uniqueTaskQueue('sticky');
    const first = await startWorker(env, { workflowBundle, taskQueue });
    const handle = await env.client.workflow.start<typeof workflows.collector>('collector', {
      taskQueue,
      workflowId: `sticky-${randomUUID()}`,
    });
    await handle.signal(addSignal, 'on-first');
    expect(await handle.query(itemsQuery)).toEqual(['on-first']);
    await first.stop();

    const second = await startWorker(env, { workflowBundle, taskQueue });
    try {
      await handle.signal(addSignal, 'on-second');
      expect(await handle.query(itemsQuery)).toEqual(['on-first', 'on-second']);
      await handle.signal(finishSignal);
      expect(await handle.result()).toEqual(['on-first', 'on-second']);
    } finally {
      await second.stop();
    }
  });

  it('replays from full history on a worker without cache', async () => {
    const workflowBundle = await bundleWorkflows(require.resolve('./workflows/interactions'));
    const worker = await startWorker(env, { workflowBundle, maxCachedWorkflows: 0 });
    try {
      const handle = await env.client.workflow.start<typeof workflows.collector>('collector', {
        taskQueue: worker.taskQueue,
        workflowId: `nocache-${randomUUID()}`,
      });
      for (const item of ['1', '2', '3']) await handle.signal(addSignal, item);
      await handle.signal(finishSignal);
      expect(await handle.result()).toEqual(['1', '2', '3']);
    } finally {
      await worker.stop();
    }
  });
});
