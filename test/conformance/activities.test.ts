/**
 * Activities: results, server-side retries per RetryPolicy, the four timeouts, heartbeats and
 * cancellation. Retry backoffs use time skipping where available (short real intervals otherwise).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityCancellationType, ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { activityLog, conformanceActivities } from './activities';
import type * as workflows from './workflows/activities';

const EventType = temporal.api.enums.v1.EventType;

describe('activities', () => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, {
      workflowBundle: await bundleWorkflows(require.resolve('./workflows/activities')),
      activities: conformanceActivities,
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  const run = (call: workflows.ActivityCall) =>
    env.client.workflow.start<typeof workflows.runActivity>('runActivity', {
      taskQueue: worker.taskQueue,
      workflowId: `activity-${call.activity}-${randomUUID()}`,
      args: [call],
    });

  /** The ActivityFailure a workflow failed with. */
  async function activityFailureOf(call: workflows.ActivityCall): Promise<ActivityFailure> {
    const err = await (await run(call)).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ActivityFailure);
    return cause as ActivityFailure;
  }

  it('returns the activity result', async () => {
    const { result } = await (await run({ activity: 'echo', args: ['ping'], options: { startToCloseTimeout: '10s' } })).result();
    expect(result).toBe('ping');
  });

  it('retries with backoff until success; history only shows the final attempt (uses time skipping)', async () => {
    const key = randomUUID();
    const handle = await run({
      activity: 'flaky',
      args: [key, 3],
      options: { startToCloseTimeout: '10s', retry: { initialInterval: env.duration('1 minute', '100ms'), backoffCoefficient: 2 } },
    });
    expect((await handle.result()).result).toBe('succeeded on attempt 3');
    expect(activityLog.attempts[key]).toEqual([1, 2, 3]);
    const events = (await handle.fetchHistory()).events ?? [];
    const started = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    expect(started).toHaveLength(1);
    expect(started[0]!.activityTaskStartedEventAttributes?.attempt).toBe(3);
    expect(started[0]!.activityTaskStartedEventAttributes?.lastFailure?.message).toBe('attempt 2 failed');
  });

  it('stops at maximumAttempts with RetryState MAXIMUM_ATTEMPTS_REACHED', async () => {
    const key = randomUUID();
    const failure = await activityFailureOf({
      activity: 'alwaysFail',
      args: [key, 'Transient'],
      options: { startToCloseTimeout: '10s', retry: { maximumAttempts: 3, initialInterval: env.duration('10s', '50ms') } },
    });
    expect(failure.retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
    expect(failure.cause).toBeInstanceOf(ApplicationFailure);
    expect((failure.cause as ApplicationFailure).type).toBe('Transient');
    expect(activityLog.attempts[key]).toEqual([1, 2, 3]);
  });

  it('does not retry error types listed in nonRetryableErrorTypes', async () => {
    const key = randomUUID();
    const failure = await activityFailureOf({
      activity: 'alwaysFail',
      args: [key, 'BadInput'],
      options: { startToCloseTimeout: '10s', retry: { nonRetryableErrorTypes: ['BadInput'] } },
    });
    expect(failure.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
    expect(activityLog.attempts[key]).toEqual([1]);
  });

  it('does not retry ApplicationFailure.nonRetryable', async () => {
    const key = randomUUID();
    const failure = await activityFailureOf({ activity: 'failNonRetryable', args: [key], options: { startToCloseTimeout: '10s' } });
    expect(failure.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
    expect((failure.cause as ApplicationFailure).nonRetryable).toBe(true);
    expect(activityLog.attempts[key]).toEqual([1]);
  });

  it('honours ApplicationFailure.nextRetryDelay over the retry policy backoff', async () => {
    const key = randomUUID();
    const { result, elapsedMs } = await (
      await run({
        activity: 'failWithDelay',
        args: [key, 50, 3],
        options: { startToCloseTimeout: '10s', retry: { initialInterval: '1 hour' } },
      })
    ).result();
    expect(result).toBe(3);
    expect(elapsedMs).toBeLessThan(60_000);
  });

  it('hands the last heartbeat details to the next attempt', async () => {
    const key = randomUUID();
    const { result } = await (
      await run({
        activity: 'heartbeatThenFail',
        args: [key, 2],
        options: { startToCloseTimeout: '10s', heartbeatTimeout: '5s', retry: { initialInterval: env.duration('5s', '50ms') } },
      })
    ).result();
    expect(result).toBe('progress of attempt 1');
  });

  it('times out on start-to-close and retries until maximumAttempts', async () => {
    const key = randomUUID();
    const failure = await activityFailureOf({
      activity: 'sleepFor',
      args: [key, 5_000],
      options: { startToCloseTimeout: '300ms', retry: { maximumAttempts: 2, initialInterval: '50ms' } },
    });
    expect(failure.retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
    expect(failure.cause).toBeInstanceOf(TimeoutFailure);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.START_TO_CLOSE);
    expect(activityLog.attempts[key]).toEqual([1, 2]);
  });

  it('reports a schedule-to-close timeout when no retry fits before the deadline', async () => {
    const key = randomUUID();
    const failure = await activityFailureOf({
      activity: 'sleepFor',
      args: [key, 5_000],
      options: { scheduleToCloseTimeout: '600ms', startToCloseTimeout: '300ms', retry: { initialInterval: '1s' } },
    });
    expect(failure.retryState).toBe(RetryState.TIMEOUT);
    expect(failure.cause).toBeInstanceOf(TimeoutFailure);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.SCHEDULE_TO_CLOSE);
  });

  it('times out an activity that stops heartbeating', async () => {
    const key = randomUUID();
    const failure = await activityFailureOf({
      activity: 'silent',
      args: [key, 3_000],
      options: { startToCloseTimeout: '10s', heartbeatTimeout: '300ms', retry: { maximumAttempts: 1 } },
    });
    expect(failure.cause).toBeInstanceOf(TimeoutFailure);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.HEARTBEAT);
  });

  it('times out on schedule-to-start when no worker polls the queue (uses time skipping)', async () => {
    const failure = await activityFailureOf({
      activity: 'echo',
      args: ['never'],
      options: {
        taskQueue: `nobody-polls-${randomUUID()}`,
        scheduleToStartTimeout: env.duration('1 hour', '500ms'),
        startToCloseTimeout: '10s',
      },
    });
    expect(failure.cause).toBeInstanceOf(TimeoutFailure);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.SCHEDULE_TO_START);
  });

  it.each([
    ['TRY_CANCEL', ActivityCancellationType.TRY_CANCEL],
    ['WAIT_CANCELLATION_COMPLETED', ActivityCancellationType.WAIT_CANCELLATION_COMPLETED],
  ])('cancels a running activity (%s): the activity learns it from its heartbeat', async (_name, type) => {
    const before = activityLog.cancelled.length;
    const handle = await env.client.workflow.start<typeof workflows.cancelActivity>('cancelActivity', {
      taskQueue: worker.taskQueue,
      workflowId: `cancel-activity-${randomUUID()}`,
      args: [type, 300],
    });
    expect(await handle.result()).toBe('cancelled');
    const waitForLog = async () => {
      for (let i = 0; i < 50 && activityLog.cancelled.length === before; i++) await new Promise((r) => setTimeout(r, 100));
    };
    await waitForLog();
    expect(activityLog.cancelled.length).toBe(before + 1);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)).toBe(true);
    if (type === ActivityCancellationType.WAIT_CANCELLATION_COMPLETED) {
      expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED)).toBe(true);
    }
  });
});
