/** Schedules with interval specs: actions start workflows over (virtual) time; trigger, pause, list, delete. */
import type { Duration } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, eventually, RunningWorker, startWorker, TestEnv } from '../harness';

describe('schedules', () => {
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

  const create = (scheduleId: string, every: Duration) =>
    env.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every }] },
      action: { type: 'startWorkflow', workflowType: 'greet', args: ['schedule'], taskQueue: worker.taskQueue, workflowId: `wf-${scheduleId}` },
    });

  it('starts a workflow at every interval (uses time skipping)', async () => {
    const scheduleId = `every-${randomUUID()}`;
    const handle = await create(scheduleId, env.duration('1 hour', '2s'));
    await env.sleep(env.duration('181 minutes', '5s'));
    const description = await handle.describe();
    expect(description.info.recentActions.length).toBeGreaterThanOrEqual(2);
    const first = description.info.recentActions[0]!;
    expect(first.action.workflow.workflowId.startsWith(`wf-${scheduleId}-`)).toBe(true);
    expect(await env.client.workflow.getHandle(first.action.workflow.workflowId).result()).toBe('hello schedule');
    await eventually(async () => {
      const started: string[] = [];
      for await (const wf of env.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) started.push(wf.workflowId);
      expect(started.length).toBeGreaterThanOrEqual(2);
    });
    await handle.delete();
  });

  it('triggers immediately, pauses, lists and deletes', async () => {
    const scheduleId = `manual-${randomUUID()}`;
    const handle = await create(scheduleId, '365 days');
    await handle.trigger();
    await eventually(async () => expect((await handle.describe()).info.recentActions).toHaveLength(1));
    await handle.pause('maintenance');
    const paused = await handle.describe();
    expect(paused.state.paused).toBe(true);
    expect(paused.state.note).toBe('maintenance');
    await eventually(async () => {
      const ids: string[] = [];
      for await (const schedule of env.client.schedule.list()) ids.push(schedule.scheduleId);
      expect(ids).toContain(scheduleId);
    });
    await handle.delete();
    await expect(handle.describe()).rejects.toThrow();
  });
});
