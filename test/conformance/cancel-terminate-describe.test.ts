/** Cancellation requests, termination, and DescribeWorkflowExecution. */
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { ticketStatusKey } from './workflows/keys';
import type * as workflows from './workflows/lifecycle';

const EventType = temporal.api.enums.v1.EventType;

describe('cancel, terminate, describe', () => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/lifecycle')) });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  const options = (prefix: string) => ({ taskQueue: worker.taskQueue, workflowId: `${prefix}-${randomUUID()}` });

  it('cancels a workflow: cancel-requested event, CancelledFailure, status CANCELLED', async () => {
    const handle = await env.client.workflow.start<typeof workflows.longRunning>('longRunning', options('cancel'));
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
    expect(types).toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    expect(types[types.length - 1]).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
  });

  it('terminates a workflow: TerminatedFailure with the reason, status TERMINATED', async () => {
    const handle = await env.client.workflow.start<typeof workflows.longRunning>('longRunning', options('terminate'));
    await handle.terminate('no longer needed');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect((err as WorkflowFailedError).message).toBe('no longer needed');
    const description = await handle.describe();
    expect(description.status.name).toBe('TERMINATED');
    expect(description.closeTime).toBeInstanceOf(Date);
  });

  it('times out a run that exceeds its run timeout (uses time skipping)', async () => {
    const handle = await env.client.workflow.start<typeof workflows.longRunning>('longRunning', {
      ...options('run-timeout'),
      workflowRunTimeout: env.duration('1 day', '1s'),
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
    expect((await handle.describe()).status.name).toBe('TIMED_OUT');
  });

  it('describes a running workflow: type, task queue, status, memo, search attributes, pending activity', async () => {
    const nobody = `nobody-${randomUUID()}`;
    const handle = await env.client.workflow.start<typeof workflows.pendingActivity>('pendingActivity', {
      ...options('describe'),
      args: [nobody],
      memo: { note: 'hi' },
      typedSearchAttributes: [{ key: ticketStatusKey, value: 'open' }],
    });
    let description = await handle.describe();
    for (let i = 0; i < 50 && (description.raw.pendingActivities ?? []).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      description = await handle.describe();
    }
    expect(description.type).toBe('pendingActivity');
    expect(description.taskQueue).toBe(worker.taskQueue);
    expect(description.status.name).toBe('RUNNING');
    expect(description.startTime).toBeInstanceOf(Date);
    expect(description.closeTime).toBeUndefined();
    expect(description.memo).toEqual({ note: 'hi' });
    expect(description.typedSearchAttributes.get(ticketStatusKey)).toBe('open');
    const pending = description.raw.pendingActivities ?? [];
    expect(pending).toHaveLength(1);
    expect(pending[0]!.activityType?.name).toBe('echo');
    expect(pending[0]!.state).toBe(temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED);
    await handle.terminate();
  });
});
