import { NativeConnection, Worker } from '@temporalio/worker';
import { createTestEnv, eventually, uniqueTaskQueue, type TestEnv } from '../harness';
import { createLogger } from '../../src/observability/logger';
import { countPollingWorkers, followWorkerCount, WorkerRateBudgets } from '../../src/runtime/rate-budgets';

/**
 * How many workers share a budget, asked of the real Temporal dev server: the distinct
 * identities polling the task queue. Two Workers with identities of their own on one queue make
 * two, and the share follows.
 */
describe('the workers sharing a rate budget, as Temporal counts them', () => {
  let env: TestEnv;
  const running: { stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await Promise.all(running.map((w) => w.stop()));
    await env.teardown();
  });

  const settings = { rateBudgets: { zendesk: 200, freshdesk: null, connect: 60, whitelabel: null }, workerReplicas: 1 };
  const activities = { noop: async () => undefined };

  /**
   * A worker as a process of its own would run it: its own connection (the SDK refuses two
   * workers of one task queue on one connection), its own identity.
   */
  async function startWorker(taskQueue: string, identity: string): Promise<void> {
    const connection = await NativeConnection.connect({ address: env.address });
    const worker = await Worker.create({ connection, namespace: env.namespace, taskQueue, activities, identity });
    const run = worker.run();
    running.push({
      stop: async () => {
        worker.shutdown();
        await run;
        await connection.close();
      },
    });
  }

  it('counts each worker polling the task queue once, itself included before its first poll shows', async () => {
    const taskQueue = uniqueTaskQueue('budget');
    // Nobody polls yet: the asking worker alone.
    expect(await countPollingWorkers(env.connection, env.namespace, taskQueue, 'worker-a')).toBe(1);
    await startWorker(taskQueue, 'worker-a');
    await eventually(async () => expect(await countPollingWorkers(env.connection, env.namespace, taskQueue, 'worker-a')).toBe(1));
    await startWorker(taskQueue, 'worker-b');
    await eventually(async () => expect(await countPollingWorkers(env.connection, env.namespace, taskQueue, 'worker-a')).toBe(2));
  });

  it('halves each share when a second worker polls', async () => {
    const taskQueue = uniqueTaskQueue('budget');
    const budgets = new WorkerRateBudgets(settings);
    // The adapters of the remotes this worker talks to ask for their fetch.
    budgets.fetchFor('zendesk', 'https://acme.zendesk.com/api/v2');
    budgets.fetchFor('connect', 'https://connect.example');
    const count = () => countPollingWorkers(env.connection, env.namespace, taskQueue, 'worker-1');
    await startWorker(taskQueue, 'worker-1');
    const follow = followWorkerCount({ budgets, count, logger: createLogger({ level: 'silent' }), intervalMs: 200 });
    try {
      await follow.first;
      const alone = budgets.budgets.get('zendesk')!.share;
      expect(alone).toMatchObject({ processes: 1, perMinute: 180, burst: 20 });
      await startWorker(taskQueue, 'worker-2');
      await eventually(() => expect(budgets.budgets.get('zendesk')!.share.processes).toBe(2));
      expect(budgets.budgets.get('zendesk')!.share).toMatchObject({ perMinute: 90, burst: 10 });
      expect(budgets.budgets.get('connect')!.share.perMinute).toBe(27);
      expect(budgets.describe()).toBe('zendesk 200/min ÷ 2 workers → 90/min (bursts of 10), connect 60/min ÷ 2 workers → 27/min (bursts of 3)');
    } finally {
      follow.stop();
    }
  });

  it('keeps WORKER_REPLICAS when Temporal cannot be asked', async () => {
    const budgets = new WorkerRateBudgets({ ...settings, workerReplicas: 3 });
    budgets.fetchFor('zendesk', 'https://acme.zendesk.com/api/v2');
    // A remote without a budget (off) keeps the global fetch.
    expect(budgets.fetchFor('freshdesk', 'https://acme.freshdesk.com/api/v2')).toBeUndefined();
    const follow = followWorkerCount({ budgets, count: async () => null, logger: createLogger({ level: 'silent' }) });
    await follow.first;
    follow.stop();
    expect(budgets.budgets.get('zendesk')!.share.processes).toBe(3);
    expect(budgets.budgets.has('freshdesk')).toBe(false);
  });
});
