/** Memo and search attributes: set at start, upserted from workflow code, read back by describe. */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { bundleWorkflows, createTestEnv, RunningWorker, startWorker, TestEnv } from '../harness';
import { crmTicketIdKey, ticketSourceKey, ticketStatusKey } from './workflows/keys';
import { closeSignal, setStatusSignal } from './workflows/lifecycle';
import type * as workflows from './workflows/lifecycle';

const EventType = temporal.api.enums.v1.EventType;

describe('memo and search attributes', () => {
  let env: TestEnv;
  let worker: RunningWorker;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/lifecycle')) });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('returns memo and typed search attributes given at start', async () => {
    const handle = await env.client.workflow.start<typeof workflows.ticketLike>('ticketLike', {
      taskQueue: worker.taskQueue,
      workflowId: `sa-start-${randomUUID()}`,
      memo: { customer: { id: 42, plan: 'gold' } },
      typedSearchAttributes: [
        { key: ticketStatusKey, value: 'new' },
        { key: ticketSourceKey, value: 'connect-api' },
        { key: crmTicketIdKey, value: 'ZD-1' },
      ],
    });
    const description = await handle.describe();
    expect(description.memo).toEqual({ customer: { id: 42, plan: 'gold' } });
    expect(description.typedSearchAttributes.get(ticketStatusKey)).toBe('new');
    expect(description.typedSearchAttributes.get(ticketSourceKey)).toBe('connect-api');
    expect(description.typedSearchAttributes.get(crmTicketIdKey)).toBe('ZD-1');
    await handle.terminate();
  });

  it('upserts search attributes and memo from workflow code', async () => {
    const handle = await env.client.workflow.start<typeof workflows.ticketLike>('ticketLike', {
      taskQueue: worker.taskQueue,
      workflowId: `sa-upsert-${randomUUID()}`,
      memo: { customer: 'acme' },
      typedSearchAttributes: [{ key: ticketStatusKey, value: 'new' }],
    });
    await handle.signal(setStatusSignal, 'solved');
    await handle.signal(closeSignal);
    expect(await handle.result()).toBe('solved');
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(ticketStatusKey)).toBe('solved');
    expect(description.memo).toEqual({ customer: 'acme', lastStatus: 'solved' });
    const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
    expect(types).toContain(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
    expect(types).toContain(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED);
  });

  it('lists the project search attributes through the operator service', async () => {
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: env.namespace });
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    expect(customAttributes).toMatchObject({ TicketStatus: keyword, TicketSource: keyword, CrmTicketId: keyword });
  });

  it('rejects undefined search attributes at start', async () => {
    await expect(
      env.client.workflow.start('ticketLike', {
        taskQueue: worker.taskQueue,
        workflowId: `sa-unknown-${randomUUID()}`,
        searchAttributes: { NoSuchAttribute: ['x'] },
      }),
    ).rejects.toThrow();
  });
});
