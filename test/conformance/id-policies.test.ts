/** Workflow id reuse and conflict policies, and WorkflowExecutionAlreadyStartedError. */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowStartOptions } from '@temporalio/client';
import { TerminatedFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { finishSignal } from './workflows/interactions';
import type * as workflows from './workflows/interactions';

describe('workflow id policies', () => {
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

  type Policies = Pick<WorkflowStartOptions, 'workflowIdConflictPolicy' | 'workflowIdReusePolicy'>;
  const start = (workflowId: string, options: Policies = {}) =>
    env.client.workflow.start<typeof workflows.collector>('collector', { taskQueue: worker.taskQueue, workflowId, ...options });

  async function completed(workflowId: string) {
    const handle = await start(workflowId);
    await handle.signal(finishSignal);
    await handle.result();
    return handle;
  }

  it('rejects a second start of a running workflow id (default conflict policy FAIL)', async () => {
    const workflowId = `dup-${randomUUID()}`;
    const handle = await start(workflowId);
    const err = await start(workflowId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect((err as WorkflowExecutionAlreadyStartedError).workflowId).toBe(workflowId);
    await handle.terminate();
  });

  it('deduplicates a retried start request (same request id) to the run it created', async () => {
    const request = {
      namespace: env.namespace,
      workflowId: `request-id-${randomUUID()}`,
      workflowType: { name: 'collector' },
      taskQueue: { name: worker.taskQueue },
      requestId: randomUUID(),
      identity: 'conformance',
    };
    const first = await env.client.workflowService.startWorkflowExecution(request);
    const retried = await env.client.workflowService.startWorkflowExecution(request);
    expect(retried.runId).toBe(first.runId);
    await env.client.workflow.getHandle(request.workflowId).terminate();
  });

  it('USE_EXISTING returns the running run', async () => {
    const workflowId = `use-existing-${randomUUID()}`;
    const first = await start(workflowId);
    const second = await start(workflowId, { workflowIdConflictPolicy: 'USE_EXISTING' });
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    await first.terminate();
  });

  it('TERMINATE_EXISTING terminates the running run and starts a new one', async () => {
    const workflowId = `terminate-existing-${randomUUID()}`;
    const first = await start(workflowId);
    const second = await start(workflowId, { workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
    expect(second.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
    const err = await env.client.workflow.getHandle(workflowId, first.firstExecutionRunId).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    await second.terminate();
  });

  it('allows a new run after completion by default (ALLOW_DUPLICATE)', async () => {
    const workflowId = `allow-dup-${randomUUID()}`;
    const first = await completed(workflowId);
    const second = await start(workflowId);
    expect(second.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
    await second.terminate();
  });

  it('REJECT_DUPLICATE refuses a new run after completion', async () => {
    const workflowId = `reject-dup-${randomUUID()}`;
    await completed(workflowId);
    await expect(start(workflowId, { workflowIdReusePolicy: 'REJECT_DUPLICATE' })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  });

  it('ALLOW_DUPLICATE_FAILED_ONLY allows a new run only after an unsuccessful one', async () => {
    const successId = `failed-only-ok-${randomUUID()}`;
    await completed(successId);
    await expect(start(successId, { workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' })).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );
    const terminatedId = `failed-only-terminated-${randomUUID()}`;
    await (await start(terminatedId)).terminate();
    const again = await start(terminatedId, { workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' });
    await again.terminate();
  });
});
