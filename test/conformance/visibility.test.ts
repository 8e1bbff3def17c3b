/**
 * Visibility: List/Count with the query subset the project uses (=, !=, IN, AND, OR, parentheses,
 * ExecutionStatus, WorkflowType, custom Keyword attributes), pagination, GROUP BY ExecutionStatus.
 * Real servers index asynchronously, hence `eventually`.
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, eventually, RunningWorker, startWorker, TestEnv } from '../harness';
import { crmTicketIdKey, ticketSourceKey, ticketStatusKey } from './workflows/keys';
import { closeSignal } from './workflows/lifecycle';
import type * as workflows from './workflows/lifecycle';

describe('visibility', () => {
  let env: TestEnv;
  let worker: RunningWorker;
  /** Unique per run so the queries only see this file's workflows, even on a shared server. */
  const batch = `batch-${randomUUID()}`;
  const ids: Record<string, string> = {};

  const list = async (query: string): Promise<string[]> => {
    const found: string[] = [];
    for await (const execution of env.client.workflow.list({ query: `CrmTicketId = '${batch}' AND (${query})` })) {
      found.push(execution.workflowId);
    }
    return found.sort();
  };
  const idsOf = (...names: string[]) => names.map((name) => ids[name]!).sort();

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./workflows/lifecycle')) });
    const tickets: Array<[string, string, string, 'open' | 'closed']> = [
      ['a', 'new', 'connect-api', 'open'],
      ['b', 'pending', 'connect-api', 'open'],
      ['c', 'solved', 'white-label', 'closed'],
      ['d', 'new', 'white-label', 'open'],
    ];
    for (const [name, status, source, state] of tickets) {
      const handle = await env.client.workflow.start<typeof workflows.ticketLike>('ticketLike', {
        taskQueue: worker.taskQueue,
        workflowId: `${batch}-${name}`,
        typedSearchAttributes: [
          { key: ticketStatusKey, value: status },
          { key: ticketSourceKey, value: source },
          { key: crmTicketIdKey, value: batch },
        ],
      });
      ids[name] = handle.workflowId;
      if (state === 'closed') {
        await handle.signal(closeSignal);
        await handle.result();
      }
    }
  });

  afterAll(async () => {
    for (const name of ['a', 'b', 'd']) await env?.client.workflow.getHandle(ids[name]!).terminate().catch(() => undefined);
    await worker?.stop();
    await env?.teardown();
  });

  it('filters by custom keyword attributes with =, != and IN', async () => {
    await eventually(async () => {
      expect(await list(`TicketStatus = 'new'`)).toEqual(idsOf('a', 'd'));
      expect(await list(`TicketStatus != 'new'`)).toEqual(idsOf('b', 'c'));
      expect(await list(`TicketStatus IN ('pending', 'solved')`)).toEqual(idsOf('b', 'c'));
    });
  });

  it('combines predicates with AND, OR and parentheses', async () => {
    await eventually(async () => {
      expect(await list(`TicketSource = 'white-label' AND TicketStatus = 'new'`)).toEqual(idsOf('d'));
      expect(await list(`(TicketStatus = 'pending' OR TicketStatus = 'solved') AND TicketSource = "connect-api"`)).toEqual(idsOf('b'));
    });
  });

  it('filters by ExecutionStatus and WorkflowType', async () => {
    await eventually(async () => {
      expect(await list(`ExecutionStatus = 'Running'`)).toEqual(idsOf('a', 'b', 'd'));
      expect(await list(`ExecutionStatus = 'Completed' AND WorkflowType = 'ticketLike'`)).toEqual(idsOf('c'));
      expect(await list(`WorkflowType = 'somethingElse'`)).toEqual([]);
    });
  });

  it('paginates', async () => {
    await eventually(async () => {
      const response = await env.client.workflowService.listWorkflowExecutions({
        namespace: env.namespace,
        pageSize: 3,
        query: `CrmTicketId = '${batch}'`,
      });
      expect(response.executions).toHaveLength(3);
      expect(response.nextPageToken?.length).toBeGreaterThan(0);
      const rest = await env.client.workflowService.listWorkflowExecutions({
        namespace: env.namespace,
        pageSize: 3,
        query: `CrmTicketId = '${batch}'`,
        nextPageToken: response.nextPageToken,
      });
      expect(rest.executions).toHaveLength(1);
    });
  });

  it('counts, optionally grouped by ExecutionStatus', async () => {
    await eventually(async () => {
      expect((await env.client.workflow.count(`CrmTicketId = '${batch}'`)).count).toBe(4);
      const grouped = await env.client.workflow.count(`CrmTicketId = '${batch}' GROUP BY ExecutionStatus`);
      const byStatus = Object.fromEntries(grouped.groups.map((g) => [String(g.groupValues[0]), g.count]));
      expect(byStatus).toEqual({ Running: 3, Completed: 1 });
    });
  });

  it('rejects malformed queries', async () => {
    await expect(list(`TicketStatus = `)).rejects.toThrow();
  });
});
