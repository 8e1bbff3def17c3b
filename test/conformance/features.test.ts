/**
 * The all-features workflow, end to end, with the sticky workflow cache on (default) and off
 * (`maxCachedWorkflows: 0`, every task replays from full history). Long sleeps rely on time
 * skipping where available.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { conformanceActivities } from './activities';
import { itemSignal, stateQuery, statusUpdate } from './workflows/everything';
import type * as workflows from './workflows/everything';
import { ticketStatusKey } from './workflows/keys';

const EventType = temporal.api.enums.v1.EventType;

describe.each([
  ['sticky cache (default)', {}],
  ['no cache (maxCachedWorkflows: 0)', { maxCachedWorkflows: 0 }],
])('all-features workflow — %s', (_mode, workerOptions) => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, {
      workflowBundle: await bundleWorkflows(require.resolve('./workflows/everything')),
      activities: conformanceActivities,
      ...workerOptions,
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('runs signals, queries, updates, activities, local activities, timers, patches, upserts and continue-as-new', async () => {
    const sleepMs = env.supportsTimeSkipping ? 3600_000 : 200;
    const conditionTimeoutMs = env.supportsTimeSkipping ? 24 * 3600_000 : 2_000;
    const workflowId = `everything-${randomUUID()}`;
    const handle = await env.client.workflow.start<typeof workflows.everything>('everything', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ key: workflowId, iteration: 1, maxIterations: 2, sleepMs, conditionTimeoutMs, items: [] }],
      typedSearchAttributes: [{ key: ticketStatusKey, value: 'new' }],
    });

    await handle.signal(itemSignal, 'first');
    expect((await handle.query(stateQuery)).items).toContain('first');
    expect(await handle.executeUpdate(statusUpdate, { args: ['processing'] })).toBe('new');
    await expect(handle.executeUpdate(statusUpdate, { args: [''] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await handle.signal(itemSignal, 'go-1');

    // The second run (after continue-as-new) waits for `go-2` until its condition times out.
    const result = await handle.result();
    expect(result.iteration).toBe(2);
    expect(result.items).toEqual(['first', 'go-1']);
    expect(result.patched).toBe(true);
    expect(result.activityResult).toBe('succeeded on attempt 2');
    expect(result.localResults).toEqual(['local', 'succeeded on attempt 2']);
    expect(result.signalledBeforeTimeout).toBe(false);
    expect(result.timerCancelled).toBe(true);
    expect(result.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(result.runId).not.toBe(handle.firstExecutionRunId);
    expect(result.workflowTimeElapsedMs).toBeGreaterThanOrEqual(sleepMs + conditionTimeoutMs);

    const firstRun = env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    const events = (await firstRun.fetchHistory()).events ?? [];
    const types = events.map((e) => e.eventType);
    for (const expected of [
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
      EventType.EVENT_TYPE_MARKER_RECORDED,
      EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
      EventType.EVENT_TYPE_TIMER_FIRED,
      EventType.EVENT_TYPE_TIMER_CANCELED,
      EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
      EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    ]) {
      expect(types).toContain(expected);
    }
    // Event ids are contiguous from 1.
    expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_e, i) => i + 1));

    const final = await handle.describe();
    expect(final.typedSearchAttributes.get(ticketStatusKey)).toBe('processing');
    expect(final.memo).toEqual({ lastIteration: 2 });
  });
});
