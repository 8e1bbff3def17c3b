/** Queries: legacy query tasks, queries riding on a pending workflow task, queries on closed runs. */
import { Client, QueryRejectedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { addSignal, failingQuery, finishSignal, itemsQuery } from './workflows/interactions';
import type * as workflows from './workflows/interactions';

describe.each([
  ['sticky cache', {}],
  ['no cache (maxCachedWorkflows: 0)', { maxCachedWorkflows: 0 }],
])('queries (%s)', (_mode, workerOptions) => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, {
      workflowBundle: await bundleWorkflows(require.resolve('./workflows/interactions')),
      ...workerOptions,
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  const startCollector = () =>
    env.client.workflow.start<typeof workflows.collector>('collector', {
      taskQueue: worker.taskQueue,
      workflowId: `query-${randomUUID()}`,
    });

  it('answers a query on an idle running workflow', async () => {
    const handle = await startCollector();
    await handle.signal(addSignal, 'a');
    await new Promise((r) => setTimeout(r, 100));
    expect(await handle.query(itemsQuery)).toEqual(['a']);
    await handle.terminate();
  });

  it('sees signals sent before the query (query rides on the pending workflow task)', async () => {
    const handle = await startCollector();
    await handle.signal(addSignal, 'x');
    await handle.signal(addSignal, 'y');
    expect(await handle.query(itemsQuery)).toEqual(['x', 'y']);
    await handle.terminate();
  });

  it('answers queries on a completed workflow by replaying it', async () => {
    const handle = await startCollector();
    await handle.signal(addSignal, 'done');
    await handle.signal(finishSignal);
    await handle.result();
    expect(await handle.query(itemsQuery)).toEqual(['done']);
  });

  it('rejects a query on a closed workflow when asked to (queryRejectCondition NOT_OPEN)', async () => {
    const handle = await startCollector();
    await handle.signal(finishSignal);
    await handle.result();
    const client = new Client({ connection: env.connection, namespace: env.namespace, workflow: { queryRejectCondition: 'NOT_OPEN' } });
    await expect(client.workflow.getHandle(handle.workflowId).query(itemsQuery)).rejects.toBeInstanceOf(QueryRejectedError);
  });

  it('propagates query handler failures and unknown query types as errors', async () => {
    const handle = await startCollector();
    await expect(handle.query(failingQuery)).rejects.toThrow(/query handler failed/);
    await expect(handle.query('noSuchQuery')).rejects.toThrow(/noSuchQuery/);
    await handle.terminate();
  });
});
