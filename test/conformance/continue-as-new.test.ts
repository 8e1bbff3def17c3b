/** Continue-as-new: new runs of the same workflow id, memo and search attributes carried over. */
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { ticketStatusKey } from './workflows/keys';
import type * as workflows from './workflows/lifecycle';

const EventType = temporal.api.enums.v1.EventType;

describe('continue-as-new', () => {
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

  it('follows the chain of runs to the final result, carrying memo and search attributes', async () => {
    const workflowId = `chain-${randomUUID()}`;
    const handle = await env.client.workflow.start<typeof workflows.chain>('chain', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [3],
      memo: { owner: 'support-team' },
      typedSearchAttributes: [{ key: ticketStatusKey, value: 'open' }],
    });
    const result = await handle.result();
    expect(result.runs).toBe(4);
    expect(result.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(result.continuedFromExecutionRunId).toBeDefined();
    expect(result.memo).toEqual({ owner: 'support-team' });
    expect(result.ticketStatus).toBe('open');

    const last = await env.client.workflow.getHandle(workflowId).describe();
    expect(last.runId).not.toBe(handle.firstExecutionRunId);
    expect(last.status.name).toBe('COMPLETED');
    expect(last.memo).toEqual({ owner: 'support-team' });
    expect(last.typedSearchAttributes.get(ticketStatusKey)).toBe('open');

    const first = env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
    const events = (await first.fetchHistory()).events ?? [];
    const closing = events[events.length - 1]!;
    expect(closing.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    expect(closing.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId).toBeTruthy();
  });

  it('reports WorkflowContinuedAsNewError when asked not to follow runs', async () => {
    const handle = await env.client.workflow.start<typeof workflows.chain>('chain', {
      taskQueue: worker.taskQueue,
      workflowId: `chain-nofollow-${randomUUID()}`,
      args: [1],
      followRuns: false,
    });
    await expect(handle.result()).rejects.toThrow(/continued as new/i);
  });
});
