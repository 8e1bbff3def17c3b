import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import type * as workflows from './workflows/basic';

describe('start → workflow task → completion', () => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/basic')) });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('returns the workflow result', async () => {
    const result = await env.client.workflow.execute<typeof workflows.greet>('greet', {
      taskQueue: worker.taskQueue,
      workflowId: `greet-${randomUUID()}`,
      args: ['temporal'],
    });
    expect(result).toBe('hello temporal');
  });

  it('exposes workflow info consistent with the start', async () => {
    const workflowId = `info-${randomUUID()}`;
    const handle = await env.client.workflow.start<typeof workflows.info>('info', { taskQueue: worker.taskQueue, workflowId });
    const info = await handle.result();
    expect(info).toEqual({
      workflowId,
      runId: handle.firstExecutionRunId,
      firstExecutionRunId: handle.firstExecutionRunId,
      attempt: 1,
      taskQueue: worker.taskQueue,
    });
  });

  it('retries a failed workflow as a new run per its retry policy; result() follows the runs', async () => {
    const handle = await env.client.workflow.start<typeof workflows.failFirstAttempt>('failFirstAttempt', {
      taskQueue: worker.taskQueue,
      workflowId: `retry-${randomUUID()}`,
      retry: { maximumAttempts: 3, initialInterval: '1s' },
    });
    expect(await handle.result()).toBe(2);
    const first = await env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('FAILED');
  });

  it('surfaces a workflow failure as WorkflowFailedError with the application failure as cause', async () => {
    const handle = await env.client.workflow.start<typeof workflows.failing>('failing', {
      taskQueue: worker.taskQueue,
      workflowId: `failing-${randomUUID()}`,
      args: ['boom'],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('ConformanceFailure');
    expect((cause as ApplicationFailure).message).toBe('boom');
  });
});
