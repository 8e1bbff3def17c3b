/** Local activities: run by the worker inside workflow tasks and recorded as markers. */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { activityLog, conformanceActivities } from './activities';
import { pingSignal } from './workflows/activities';
import type * as workflows from './workflows/activities';

const EventType = temporal.api.enums.v1.EventType;

describe.each([
  ['sticky cache', {}],
  ['no cache (maxCachedWorkflows: 0)', { maxCachedWorkflows: 0 }],
])('local activities (%s)', (_mode, workerOptions) => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, {
      workflowBundle: await bundleWorkflows(require.resolve('./workflows/activities')),
      activities: conformanceActivities,
      ...workerOptions,
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  const run = (call: Parameters<typeof workflows.runLocalActivity>[0]) =>
    env.client.workflow.start<typeof workflows.runLocalActivity>('runLocalActivity', {
      taskQueue: worker.taskQueue,
      workflowId: `local-${call.activity}-${randomUUID()}`,
      args: [call],
    });

  const markers = async (handle: Awaited<ReturnType<typeof run>>) =>
    ((await handle.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);

  it('returns the result and records one marker', async () => {
    const handle = await run({ activity: 'echo', args: ['local'], options: { startToCloseTimeout: '10s' } });
    expect(await handle.result()).toBe('local');
    const recorded = await markers(handle);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.markerRecordedEventAttributes?.markerName).toBe('core_local_activity');
  });

  it('retries within the workflow task; history keeps a single marker', async () => {
    const key = randomUUID();
    const handle = await run({ activity: 'flaky', args: [key, 3], options: { startToCloseTimeout: '10s', retry: { initialInterval: '10ms' } } });
    expect(await handle.result()).toBe('succeeded on attempt 3');
    expect(activityLog.attempts[key]).toEqual([1, 2, 3]);
    expect(await markers(handle)).toHaveLength(1);
  });

  it('backs off with a workflow timer beyond the local retry threshold (uses time skipping)', async () => {
    const key = randomUUID();
    const handle = await run({
      activity: 'flaky',
      args: [key, 2],
      options: { startToCloseTimeout: '10s', localRetryThreshold: '1s', retry: { initialInterval: env.duration('10 minutes', '1500ms') } },
    });
    expect(await handle.result()).toBe('succeeded on attempt 2');
    const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
    expect(types).toContain(EventType.EVENT_TYPE_TIMER_FIRED);
  });

  it('does not lose a signal that arrives while the completing workflow task runs', async () => {
    const handle = await env.client.workflow.start<typeof workflows.countPingsAfterLocalWork>('countPingsAfterLocalWork', {
      taskQueue: worker.taskQueue,
      workflowId: `late-signal-${randomUUID()}`,
      args: [randomUUID(), 500],
    });
    await new Promise((r) => setTimeout(r, 150));
    await handle.signal(pingSignal);
    expect(await handle.result()).toBe(1);
    const failed = ((await handle.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed.map((e) => e.workflowTaskFailedEventAttributes?.cause)).toEqual([
      temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    ]);
  });

  it("fails the workflow with the activity's failure when it is not retryable", async () => {
    const key = randomUUID();
    const handle = await run({ activity: 'failNonRetryable', args: [key], options: { startToCloseTimeout: '10s' } });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    // The SDK reports it as the ApplicationFailure (possibly wrapped in an ActivityFailure).
    let cause = (err as WorkflowFailedError).cause;
    if (cause instanceof ActivityFailure) cause = cause.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('Fatal');
    expect(activityLog.attempts[key]).toEqual([1]);
  });
});
