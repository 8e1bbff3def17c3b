/**
 * The in-memory service's virtual clock: skipping while a client waits on a result, explicit
 * `sleep`, and real time when auto-skipping is off. These test the test double, so they always
 * use it.
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { finishSignal } from './workflows/interactions';
import type * as workflows from './workflows/interactions';

const DAY = 24 * 3600_000;

describe('time skipping (in-memory service)', () => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv({ forceInMemory: true });
    worker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/interactions')) });
  });

  afterAll(async () => {
    env?.inMemory?.setAutoSkip(true);
    await worker?.stop();
    await env?.teardown();
  });

  const options = (prefix: string) => ({ taskQueue: worker.taskQueue, workflowId: `${prefix}-${randomUUID()}` });

  it('skips to the next timer while a client waits on the result; workflow time follows', async () => {
    const virtualBefore = env.inMemory!.now();
    const wallBefore = Date.now();
    const elapsed = await env.client.workflow.execute<typeof workflows.sleeper>('sleeper', { ...options('skip'), args: [30 * DAY] });
    expect(elapsed).toBeGreaterThanOrEqual(30 * DAY);
    expect(env.inMemory!.now() - virtualBefore).toBeGreaterThanOrEqual(30 * DAY);
    expect(Date.now() - wallBefore).toBeLessThan(5_000);
  });

  it('advances time explicitly with env.sleep, firing timers on the way', async () => {
    const handle = await env.client.workflow.start<typeof workflows.waitForFinish>('waitForFinish', { ...options('sleep'), args: [DAY] });
    const wallBefore = Date.now();
    await env.sleep(2 * DAY);
    expect(Date.now() - wallBefore).toBeLessThan(5_000);
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(await handle.result()).toBe(false);
  });

  it('does not skip while auto-skipping is disabled: timers fire in real time', async () => {
    env.inMemory!.setAutoSkip(false);
    try {
      const handle = await env.client.workflow.start<typeof workflows.waitForFinish>('waitForFinish', { ...options('noskip'), args: [DAY] });
      const outcome = await Promise.race([handle.result(), new Promise((r) => setTimeout(() => r('still waiting'), 500))]);
      expect(outcome).toBe('still waiting');
      await handle.signal(finishSignal);
      expect(await handle.result()).toBe(true);
    } finally {
      env.inMemory!.setAutoSkip(true);
    }
  });
});
