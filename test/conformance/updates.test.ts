/** Workflow updates: accept/complete stages, validator rejection, update handles, update-with-start. */
import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { addSignal, addUpdate, finishSignal, itemsQuery, slowUpdate } from './workflows/interactions';
import type * as workflows from './workflows/interactions';

const EventType = temporal.api.enums.v1.EventType;

describe.each([
  ['sticky cache', {}],
  ['no cache (maxCachedWorkflows: 0)', { maxCachedWorkflows: 0 }],
])('updates (%s)', (_mode, workerOptions) => {
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

  const startCollector = (workflowId = `update-${randomUUID()}`) =>
    env.client.workflow.start<typeof workflows.collector>('collector', { taskQueue: worker.taskQueue, workflowId });

  it('executes an update and returns its result; history records accepted and completed', async () => {
    const handle = await startCollector();
    expect(await handle.executeUpdate(addUpdate, { args: ['u1'] })).toBe(1);
    expect(await handle.executeUpdate(addUpdate, { args: ['u2'] })).toBe(2);
    expect(await handle.query(itemsQuery)).toEqual(['u1', 'u2']);
    await handle.signal(finishSignal);
    await handle.result();
    const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(2);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).toHaveLength(2);
  });

  it('rejects an update in the validator: WorkflowUpdateFailedError, nothing accepted', async () => {
    const handle = await startCollector();
    const err = await handle.executeUpdate(addUpdate, { args: [''] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(/item must not be empty/);
    expect(await handle.query(itemsQuery)).toEqual([]);
    await handle.signal(finishSignal);
    await handle.result();
    const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
  });

  it('starts an update (ACCEPTED) and gets its result later through an update handle', async () => {
    const handle = await startCollector();
    const updateId = `slow-${randomUUID()}`;
    const update = await handle.startUpdate(slowUpdate, { args: [50], waitForStage: WorkflowUpdateStage.ACCEPTED, updateId });
    expect(update.updateId).toBe(updateId);
    expect(await handle.getUpdateHandle<string>(updateId).result()).toBe('slept 50');
    expect(await update.result()).toBe('slept 50');
    await handle.terminate();
  });

  it('applies an update together with concurrent signals', async () => {
    const handle = await startCollector();
    const [count] = await Promise.all([
      handle.executeUpdate(addUpdate, { args: ['by-update'] }),
      handle.signal(addSignal, 's1'),
      handle.signal(addSignal, 's2'),
    ]);
    expect(count).toBeGreaterThanOrEqual(1);
    await handle.signal(finishSignal);
    expect([...(await handle.result())].sort()).toEqual(['by-update', 's1', 's2']);
  });

  it('update-with-start starts the workflow, then updates the running one (USE_EXISTING)', async () => {
    const workflowId = `uws-${randomUUID()}`;
    const startOp = () =>
      new WithStartWorkflowOperation<typeof workflows.collector>('collector', { workflowId, taskQueue: worker.taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
    const first = startOp();
    expect(await env.client.workflow.executeUpdateWithStart(addUpdate, { args: ['one'], startWorkflowOperation: first })).toBe(1);
    const second = startOp();
    expect(await env.client.workflow.executeUpdateWithStart(addUpdate, { args: ['two'], startWorkflowOperation: second })).toBe(2);
    const handle = await first.workflowHandle();
    expect((await (await second.workflowHandle()).describe()).runId).toBe((await handle.describe()).runId);
    await handle.signal(finishSignal);
    expect(await handle.result()).toEqual(['one', 'two']);
  });

  it('refuses updates on a completed workflow', async () => {
    const handle = await startCollector();
    await handle.signal(finishSignal);
    await handle.result();
    await expect(handle.executeUpdate(addUpdate, { args: ['late'] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});
