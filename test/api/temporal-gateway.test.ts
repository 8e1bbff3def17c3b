/**
 * The real gateway against a real Temporal (whatever test/harness provides: the in-memory test
 * service offline): signal-with-start lands, the CRM lookup finds the right workflow, queries
 * answer, and completed tickets are left alone. A stub workflow with the ticket workflow's
 * public surface runs on the worker, so these tests do not depend on the activities.
 */
import { randomUUID } from 'node:crypto';
import type { TicketWorkflowGateway } from '../../src/api/gateway';
import { createTemporalGateway, workflowSettingsFrom } from '../../src/api/temporal-gateway';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { DEFAULT_WORKFLOW_SETTINGS, stateQuery, TICKET_WORKFLOW_TYPE, type SourceNotification } from '../../src/workflows/definitions';
import { CrmTicketIdKey, TicketSourceKey, TicketStatusKey } from '../../src/workflows/search-attributes';
import { bundleWorkflows, createTestEnv, eventually, type RunningWorker, startWorker, type TestEnv } from '../harness';
import { inputQuery } from './fixtures/stub-ticket-workflow';
import { CONNECT_TOKEN, postJson, startApi } from './helpers';

describe('TemporalGateway against the test harness', () => {
  let env: TestEnv;
  let worker: RunningWorker;
  let gateway: TicketWorkflowGateway;
  const notification = (kind: SourceNotification['kind']): SourceNotification => ({
    kind,
    eventId: null,
    receivedAt: new Date().toISOString(),
    snapshot: null,
  });
  const ticketId = () => `t-${randomUUID()}`;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, { workflowBundle: await bundleWorkflows(require.resolve('./fixtures/stub-ticket-workflow')) });
    gateway = createTemporalGateway({
      client: env.client,
      taskQueue: worker.taskQueue,
      workflowSettings: workflowSettingsFrom({ solvedAutoCloseAfterMs: 60_000, solvedReopenSourceStatus: 'OPEN', crm: 'freshdesk' }),
    });
    await gateway.ready(); // as a balancer's probe: the namespace's retention is read (rules 1.7)
  });
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  /**
   * The signals in the workflow's history. A signal that arrives while a workflow task runs is
   * accepted at once but written to history when the task completes, so callers poll.
   */
  async function signalNames(workflowId: string): Promise<string[]> {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName ?? ''] : [],
    );
  }

  it('ready() resolves', async () => {
    await expect(gateway.ready()).resolves.toBeUndefined();
  });

  it('notifySource starts the workflow with its id, input, search attributes and signal', async () => {
    const id = ticketId();
    const result = await gateway.notifySource('connect', id, notification('created'));
    const workflowId = ticketWorkflowId('connect', id);
    expect(result).toEqual({ outcome: 'signalled', workflowId });

    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe(TICKET_WORKFLOW_TYPE);
    expect(description.taskQueue).toBe(worker.taskQueue);
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(TicketSourceKey)).toBe('connect');
    expect(description.typedSearchAttributes.get(TicketStatusKey)).toBe('NEW');
    expect(await signalNames(workflowId)).toEqual(['sourceChanged']);
    // The deployment's settings reach the workflow through its input, in full (a ticket keeps
    // them for its whole life, whatever later releases change in the defaults).
    expect(await env.client.workflow.getHandle(workflowId).query(inputQuery)).toEqual({
      source: 'connect',
      sourceTicketId: id,
      settings: { ...DEFAULT_WORKFLOW_SETTINGS, solvedAutoCloseAfterMs: 60_000, reopenSourceStatus: 'OPEN', crmName: 'Freshdesk' },
      // No run of this ticket was on record (rules 1.7: its create need not look for a copy).
      noEarlierRun: true,
    });
  });

  it('a terminated run is restarted by the next notification, without noEarlierRun; the news after it signals that run', async () => {
    const id = ticketId();
    const { workflowId } = await gateway.notifySource('connect', id, notification('created'));
    const first = await env.client.workflow.getHandle(workflowId).describe();
    await env.client.workflow.getHandle(workflowId).terminate('stuck');

    // Even a CREATE (redelivered): a run was on record, so the restart does not claim there was none.
    await expect(gateway.notifySource('connect', id, notification('created'))).resolves.toEqual({ outcome: 'signalled', workflowId });
    const restarted = env.client.workflow.getHandle(workflowId);
    const description = await restarted.describe();
    expect(description.runId).not.toBe(first.runId);
    expect(description.status.name).toBe('RUNNING');
    const input = await restarted.query(inputQuery);
    expect(input).toMatchObject({ source: 'connect', sourceTicketId: id });
    expect(input).not.toHaveProperty('noEarlierRun');
    expect(input).not.toHaveProperty('afterEnd');

    await gateway.notifySource('connect', id, notification('updated'));
    await eventually(async () => expect(await signalNames(workflowId)).toEqual(['sourceChanged', 'sourceChanged']));
    expect((await restarted.describe()).runId).toBe(description.runId);
  });

  it('a second notification signals the same run', async () => {
    const id = ticketId();
    const first = await gateway.notifySource('connect', id, notification('created'));
    await gateway.notifySource('connect', id, notification('updated'));
    const handle = env.client.workflow.getHandle(first.workflowId);
    await eventually(async () => expect(await signalNames(first.workflowId)).toEqual(['sourceChanged', 'sourceChanged']));
    await eventually(async () => expect((await handle.query(stateQuery)).notes).toEqual(['source:created', 'source:updated']));
  });

  it('describeTicket answers the state query, null for an unknown ticket', async () => {
    const id = ticketId();
    await gateway.notifySource('connect', id, notification('created'));
    await expect(gateway.describeTicket('connect', id)).resolves.toMatchObject({ state: { source: 'connect', sourceTicketId: id, counts: { notifications: 1 } } });
    await expect(gateway.describeTicket('connect', ticketId())).resolves.toBeNull();
  });

  it('a completed workflow still answers the query and ignores a later DELETE; later news starts a new run that reads it', async () => {
    const id = ticketId();
    const { workflowId } = await gateway.notifySource('connect', id, notification('deleted'));
    await env.client.workflow.getHandle(workflowId).result();

    await expect(gateway.describeTicket('connect', id)).resolves.toMatchObject({ state: { completed: true } });
    await expect(gateway.notifySource('connect', id, notification('deleted'))).resolves.toEqual({ outcome: 'ignored', workflowId, reason: 'completed' });
    await expect(gateway.notifyCrm({ crmTicketId: '1', eventId: null, receivedAt: '' }, `connect:${id}`)).resolves.toEqual({
      outcome: 'ignored',
      reason: 'not-running',
    });
    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');

    // News is never ignored: the new run reads the source (a late message, or nothing new).
    await expect(gateway.notifySource('connect', id, notification('updated'))).resolves.toEqual({ outcome: 'signalled', workflowId });
    const next = await env.client.workflow.getHandle(workflowId).describe();
    expect(next.runId).not.toBe(description.runId);
    expect(await signalNames(workflowId)).toEqual(['sourceChanged']);
    const input = await env.client.workflow.getHandle(workflowId).query(inputQuery);
    expect(input).toHaveProperty('afterEnd');
    expect(input).not.toHaveProperty('noEarlierRun');
  });

  it('notifyCrm finds the workflow from the external id', async () => {
    const id = ticketId();
    const { workflowId } = await gateway.notifySource('connect', id, notification('created'));
    const result = await gateway.notifyCrm({ crmTicketId: '35436', eventId: 'e1', receivedAt: new Date().toISOString() }, `connect:${id}`);
    expect(result).toEqual({ outcome: 'signalled', workflowId });
    await eventually(async () => expect(await signalNames(workflowId)).toEqual(['sourceChanged', 'crmChanged']));
  });

  it('notifyCrm finds the workflow through visibility (CrmTicketId) without an external id', async () => {
    const crmTicketId = String(Date.now());
    const workflowId = ticketWorkflowId('connect', ticketId());
    await env.client.workflow.start(TICKET_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: worker.taskQueue,
      args: [{ source: 'connect', sourceTicketId: workflowId.split('/')[2]! }],
      typedSearchAttributes: [{ key: CrmTicketIdKey, value: crmTicketId }],
    });
    // Visibility may lag a moment behind the start on a real server.
    await eventually(async () =>
      expect(await gateway.notifyCrm({ crmTicketId, eventId: null, receivedAt: '' }, null)).toEqual({ outcome: 'signalled', workflowId }),
    );
    await eventually(async () => expect(await signalNames(workflowId)).toEqual(['crmChanged']));
  });

  describe('an event with its facts is offered as the crmEvent update first (rules 1.2)', () => {
    const change = { updatedAt: '2026-01-01T00:00:05Z', status: 'open', commentId: '7001' };
    const event = (eventId: string) => ({ crmTicketId: '35436', eventId, receivedAt: new Date().toISOString(), change });
    const updateNames = async (workflowId: string) =>
      ((await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).flatMap((e) =>
        e.workflowExecutionUpdateAcceptedEventAttributes ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name] : [],
      );

    it('accepted: delivered as the update, no signal', async () => {
      const id = ticketId();
      const { workflowId } = await gateway.notifySource('connect', id, notification('created'));
      await expect(gateway.notifyCrm(event(`new-${id}`), `connect:${id}`)).resolves.toEqual({ outcome: 'signalled', workflowId });
      expect(await updateNames(workflowId)).toEqual(['crmEvent']);
      expect(await signalNames(workflowId)).toEqual(['sourceChanged']);
    });

    it('known to the workflow: answered without a trace in its history', async () => {
      const id = ticketId();
      const { workflowId } = await gateway.notifySource('connect', id, notification('created'));
      // Once its first task is done: the history stands still.
      const history = () => env.client.workflow.getHandle(workflowId).fetchHistory();
      await eventually(async () => expect((await history()).events!.at(-1)!.workflowTaskCompletedEventAttributes).toBeTruthy());
      const before = (await history()).events!.length;
      await expect(gateway.notifyCrm(event(`known-${id}`), `connect:${id}`)).resolves.toEqual({ outcome: 'ignored', reason: 'known' });
      expect((await history()).events!.length).toBe(before);
    });

    it('refused for any other reason: signalled, never lost', async () => {
      const id = ticketId();
      const { workflowId } = await gateway.notifySource('connect', id, notification('created'));
      await expect(gateway.notifyCrm(event(`odd-${id}`), `connect:${id}`)).resolves.toEqual({ outcome: 'signalled', workflowId });
      await eventually(async () => expect(await signalNames(workflowId)).toEqual(['sourceChanged', 'crmChanged']));
      expect(await updateNames(workflowId)).toEqual([]);
    });

    it('with the update turned off (tellKnownEventsMs 0): signalled', async () => {
      const plain = createTemporalGateway({ client: env.client, taskQueue: worker.taskQueue, tellKnownEventsMs: 0 });
      const id = ticketId();
      const { workflowId } = await plain.notifySource('connect', id, notification('created'));
      await expect(plain.notifyCrm(event(`known-${id}`), `connect:${id}`)).resolves.toEqual({ outcome: 'signalled', workflowId });
      await eventually(async () => expect(await signalNames(workflowId)).toEqual(['sourceChanged', 'crmChanged']));
    });
  });

  it('notifyCrm ignores a CRM ticket no workflow owns', async () => {
    await expect(gateway.notifyCrm({ crmTicketId: '999999999', eventId: null, receivedAt: '' }, null)).resolves.toEqual({
      outcome: 'ignored',
      reason: 'no-workflow',
    });
    await expect(gateway.notifyCrm({ crmTicketId: '999999999', eventId: null, receivedAt: '' }, 'connect:never-seen')).resolves.toEqual({
      outcome: 'ignored',
      reason: 'not-running',
    });
  });

  it('end to end over HTTP: a Connect webhook lands as a signal', async () => {
    const api = await startApi({ gateway });
    try {
      const id = ticketId();
      const res = await postJson(`${api.url}/webhooks/connect?auth_token=${CONNECT_TOKEN}`, { type: 'CREATE', ticketId: id });
      expect(res.status).toBe(202);
      const workflowId = ticketWorkflowId('connect', id);
      expect(await res.json()).toEqual({ accepted: true, workflowId, outcome: 'signalled' });
      expect(await signalNames(workflowId)).toEqual(['sourceChanged']);
    } finally {
      await api.close();
    }
  });
});
