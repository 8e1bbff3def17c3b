/** History shape and GetWorkflowExecutionHistory pagination. */
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import type * as workflows from './workflows/basic';
import type * as interactions from './workflows/interactions';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

describe('history', () => {
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

  async function completedGreet() {
    const handle = await env.client.workflow.start<typeof workflows.greet>('greet', {
      taskQueue: worker.taskQueue,
      workflowId: `history-${randomUUID()}`,
      args: ['history'],
      memo: { m: 1 },
    });
    await handle.result();
    return handle;
  }

  it('has the real server event sequence and the attributes workers need', async () => {
    const handle = await completedGreet();
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]);
    const started = events[0]!.workflowExecutionStartedEventAttributes!;
    expect(started.workflowType?.name).toBe('greet');
    expect(started.taskQueue?.name).toBe(worker.taskQueue);
    expect(Number(started.workflowTaskTimeout?.seconds)).toBe(10);
    expect(started.originalExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(started.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(started.attempt).toBe(1);
    expect(Object.keys(started.memo?.fields ?? {})).toEqual(['m']);
    expect(Number(events[1]!.workflowTaskScheduledEventAttributes?.startToCloseTimeout?.seconds)).toBe(10);
    expect(Number(events[2]!.workflowTaskStartedEventAttributes?.scheduledEventId)).toBe(2);
    const completed = events[3]!.workflowTaskCompletedEventAttributes!;
    expect(Number(completed.scheduledEventId)).toBe(2);
    expect(Number(completed.startedEventId)).toBe(3);
    expect(completed.sdkMetadata).toBeTruthy();
    expect(Number(events[4]!.workflowExecutionCompletedEventAttributes?.workflowTaskCompletedEventId)).toBe(4);
    // Event times never go backwards.
    const times = events.map((e) => Number(e.eventTime?.seconds) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('paginates GetWorkflowExecutionHistory with nextPageToken', async () => {
    const handle = await completedGreet();
    const pages: HistoryEvent[][] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const response = await env.client.workflowService.getWorkflowExecutionHistory({
        namespace: env.namespace,
        execution: { workflowId: handle.workflowId },
        maximumPageSize: 2,
        nextPageToken,
      });
      pages.push(response.history?.events ?? []);
      nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
    } while (nextPageToken);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4, 5]);
  });

  it('long-polls for new events with waitNewEvent', async () => {
    const interactionsWorker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/interactions')) });
    try {
      const handle = await env.client.workflow.start<typeof interactions.collector>('collector', {
        taskQueue: interactionsWorker.taskQueue,
        workflowId: `long-poll-${randomUUID()}`,
      });
      let nextPageToken: Uint8Array | undefined;
      let seen = 0;
      // Drain what exists, then wait for the events a signal produces.
      for (let i = 0; i < 10 && seen < 4; i++) {
        const response = await env.client.workflowService.getWorkflowExecutionHistory({
          namespace: env.namespace,
          execution: { workflowId: handle.workflowId },
          waitNewEvent: true,
          nextPageToken,
        });
        seen += response.history?.events?.length ?? 0;
        nextPageToken = response.nextPageToken ?? undefined;
      }
      const waiting = env.client.workflowService.getWorkflowExecutionHistory({
        namespace: env.namespace,
        execution: { workflowId: handle.workflowId },
        waitNewEvent: true,
        nextPageToken,
      });
      await handle.signal('add', 'wake up');
      const response = await waiting;
      expect(response.history?.events?.[0]?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
      await handle.terminate();
    } finally {
      await interactionsWorker.stop();
    }
  });

  it('returns only the close event with HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT', async () => {
    const handle = await completedGreet();
    const response = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: env.namespace,
      execution: { workflowId: handle.workflowId },
      historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });
    expect(response.history?.events?.map((e) => e.eventType)).toEqual([EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]);
  });
});
