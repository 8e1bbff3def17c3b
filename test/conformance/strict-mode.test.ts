/**
 * Strict mode of the in-memory service: what would hang or retry forever against a real server
 * fails the test instead, with a clear message. These tests are about the test double itself, so
 * they always use it.
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import type * as workflows from './workflows/strict';

describe('strict mode (in-memory service)', () => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv({ forceInMemory: true, strict: true });
    worker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/strict')) });
  });

  afterEach(() => {
    // Each test provokes violations on purpose; teardown must not report them.
    env.inMemory!.clearViolations();
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('fails a waiting client as soon as the worker fails a workflow task', async () => {
    const started = Date.now();
    const handle = await env.client.workflow.start<typeof workflows.buggy>('buggy', {
      taskQueue: worker.taskQueue,
      workflowId: `buggy-${randomUUID()}`,
    });
    const err = (await handle.result().catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(String(err.cause?.message ?? err.message)).toMatch(/strict mode.*a bug in workflow code/s);
    expect(env.inMemory!.violations().map((v) => v.kind)).toContain('workflow-task-failed');
    await handle.terminate();
  });

  it('records unsupported commands (child workflows) and fails the waiting client', async () => {
    const handle = await env.client.workflow.start<typeof workflows.withChild>('withChild', {
      taskQueue: worker.taskQueue,
      workflowId: `with-child-${randomUUID()}`,
    });
    const err = (await handle.result().catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(String(err.cause?.message ?? err.message)).toMatch(/StartChildWorkflowExecution.*not supported/);
    expect(env.inMemory!.violations().map((v) => v.kind)).toContain('unsupported-command');
    await handle.terminate();
  });

  it('answers UNIMPLEMENTED for RPCs it does not implement and records them', async () => {
    const err = (await env.client.workflowService.listBatchOperations({ namespace: env.namespace }).catch((e: unknown) => e)) as {
      code?: number;
      details?: string;
    };
    expect(err.code).toBe(12 /* UNIMPLEMENTED */);
    expect(err.details).toMatch(/ListBatchOperations is not implemented/);
    expect(env.inMemory!.violations()).toEqual([expect.objectContaining({ kind: 'unimplemented-rpc' })]);
  });

  it('times out a workflow task nobody answers, records it, and retries it on a worker', async () => {
    const taskQueue = `abandoned-${randomUUID()}`;
    const handle = await env.client.workflow.start<typeof workflows.buggy>('childOfWithChild', {
      taskQueue,
      workflowId: `wft-timeout-${randomUUID()}`,
      workflowTaskTimeout: '1s',
    });
    // A "worker" that takes the task and dies.
    const poll = await env.client.workflowService.pollWorkflowTaskQueue({
      namespace: env.namespace,
      taskQueue: { name: taskQueue },
      identity: 'dead-worker',
    });
    expect(poll.taskToken?.length).toBeGreaterThan(0);
    const err = (await handle.result().catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(String(err.cause?.message ?? err.message)).toMatch(/not answered within its 1000 ms start-to-close timeout/);
    env.inMemory!.clearViolations();

    const rescuer = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/strict')), taskQueue });
    try {
      // The result stream was poisoned by the violation for this run; read the close event instead.
      for (let i = 0; i < 100 && (await handle.describe()).status.name === 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    } finally {
      await rescuer.stop();
    }
  });

  it('makes teardown throw the recorded violations', async () => {
    const other = await createTestEnv({ forceInMemory: true });
    await other.client.workflowService.listBatchOperations({ namespace: other.namespace }).catch(() => undefined);
    await expect(other.teardown()).rejects.toThrow(/strict-mode violation.*ListBatchOperations/s);
  });
});
