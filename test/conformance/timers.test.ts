/** Timers, `condition` with timeout, timer cancellation. Long durations rely on time skipping. */
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { finishSignal } from './workflows/interactions';
import type * as workflows from './workflows/interactions';

const EventType = temporal.api.enums.v1.EventType;

describe('timers', () => {
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

  const options = (prefix: string) => ({ taskQueue: worker.taskQueue, workflowId: `${prefix}-${randomUUID()}` });

  it('fires a timer; workflow time advances by its duration (uses time skipping)', async () => {
    const durationMs = env.supportsTimeSkipping ? 72 * 3600_000 : 300;
    const wallStart = Date.now();
    const elapsed = await env.client.workflow.execute<typeof workflows.sleeper>('sleeper', { ...options('sleeper'), args: [durationMs] });
    expect(elapsed).toBeGreaterThanOrEqual(durationMs);
    expect(Date.now() - wallStart).toBeLessThan(10_000);
  });

  it("records a timer's summary as the TimerStarted event's user metadata", async () => {
    const handle = await env.client.workflow.start<typeof workflows.summarizedSleeper>('summarizedSleeper', {
      ...options('summary'),
      args: [env.supportsTimeSkipping ? 3600_000 : 200],
    });
    await handle.result();
    const started = (await handle.fetchHistory()).events!.find((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)!;
    const summary = started.userMetadata?.summary;
    expect(summary && JSON.parse(Buffer.from(summary.data!).toString())).toBe('waiting for the user');
  });

  it('resolves condition() with false when its timeout fires (uses time skipping)', async () => {
    const timeoutMs = env.supportsTimeSkipping ? 3600_000 : 300;
    expect(await env.client.workflow.execute<typeof workflows.waitForFinish>('waitForFinish', { ...options('cond'), args: [timeoutMs] })).toBe(false);
  });

  it('resolves condition() with true when signalled before its timeout, cancelling the timer', async () => {
    const handle = await env.client.workflow.start<typeof workflows.waitForFinish>('waitForFinish', {
      ...options('cond-signal'),
      args: [3600_000],
    });
    await handle.signal(finishSignal);
    expect(await handle.result()).toBe(true);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_CANCELED)).toBe(true);
  });

  it('cancels a timer from a cancellation scope', async () => {
    const handle = await env.client.workflow.start<typeof workflows.cancelTimer>('cancelTimer', options('cancel-timer'));
    expect(await handle.result()).toBe('timer cancelled');
    const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
    expect(types).toContain(EventType.EVENT_TYPE_TIMER_CANCELED);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_TIMER_FIRED)).toHaveLength(1);
  });
});
