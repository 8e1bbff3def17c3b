/**
 * The ops API over the real gateway on the Temporal test harness: listing through visibility
 * (filters, pagination, tokens bound to their listing), describing a ticket (state + execution +
 * an activity stuck retrying, and why), and the resync / close workflow updates (result,
 * validator refusals, a completed ticket, idempotency keys), all over real HTTP on loopback.
 *
 * The worker runs a stand-in with the ticket workflow's ops surface (fixtures/ops-ticket-workflow),
 * so these tests do not depend on the real workflow's activities; test/bridge/operate.test.ts
 * runs the same API against the real workflow end to end.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TemporalUnavailableError, type TicketDetails, type TicketPage, type TicketWorkflowGateway } from '../../src/api/gateway';
import { createApiMetrics } from '../../src/api/metrics';
import { createTemporalGateway } from '../../src/api/temporal-gateway';
import { ticketListQuery } from '../../src/api/ops/temporal-ops';
import type { SourceKind, TicketStatus } from '../../src/domain/ticket';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { activityAttemptLogger } from '../../src/observability/activity-log';
import { TICKET_WORKFLOW_TYPE, type TicketStateView } from '../../src/workflows/definitions';
import { TicketSourceKey, TicketStatusKey } from '../../src/workflows/search-attributes';
import { bundleWorkflows, createTestEnv, eventually, type RunningWorker, startWorker, type TestEnv } from '../harness';
import { setStatusSignal, startFailingSignal } from './fixtures/ops-ticket-workflow';
import { CONNECT_TOKEN, LogCapture, OPS_TOKEN, postJson, type RunningApi, startApi } from './helpers';

jest.setTimeout(60_000);

const auth = { authorization: `Bearer ${OPS_TOKEN}` };

describe('ops API over Temporal (test harness)', () => {
  let env: TestEnv;
  let worker: RunningWorker;
  let gateway: TicketWorkflowGateway;
  let api: RunningApi;
  const workerLogs = new LogCapture();
  /** writeToCrm fails while this is true. */
  let crmDown = true;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startWorker(env, {
      workflowBundle: await bundleWorkflows(require.resolve('./fixtures/ops-ticket-workflow')),
      activities: {
        writeToCrm: async () => {
          if (crmDown) {
            throw ApplicationFailure.create({
              type: 'server-error',
              message: 'zendesk PUT /tickets/{id}.json answered 503 (Jane Doe <jane@example.com>)',
              details: [{ service: 'zendesk', operation: 'PUT /tickets/{id}.json', status: 503 }],
            });
          }
        },
      },
      interceptors: { activity: [activityAttemptLogger(workerLogs.logger)] },
    });
    gateway = createTemporalGateway({ client: env.client, taskQueue: worker.taskQueue });
    api = await startApi({ gateway });
  });
  afterAll(async () => {
    await api?.close();
    await worker?.stop();
    await env?.teardown();
  });

  /** A ticket workflow started the way webhooks start it, then put in `status`. */
  async function ticket(status: TicketStatus = 'NEW', source: SourceKind = 'connect'): Promise<{ id: string; workflowId: string }> {
    const id = `ops-${randomUUID().slice(0, 8)}`;
    await gateway.notifySource(source, id, { kind: 'created', eventId: null, receivedAt: new Date().toISOString(), snapshot: null });
    const workflowId = ticketWorkflowId(source, id);
    if (status !== 'NEW') await env.client.workflow.getHandle(workflowId).signal(setStatusSignal, status);
    return { id, workflowId };
  }

  const get = (path: string) => fetch(`${api.url}${path}`, { headers: auth });
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    body === undefined ? fetch(`${api.url}${path}`, { method: 'POST', headers: { ...auth, ...headers } }) : postJson(`${api.url}${path}`, body, { ...auth, ...headers });

  async function listAll(query: string): Promise<TicketPage['tickets']> {
    const all: TicketPage['tickets'] = [];
    let token: string | null = null;
    do {
      const res = await get(`/tickets?${query}${token ? `&pageToken=${token}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as TicketPage;
      all.push(...page.tickets);
      token = page.nextPageToken;
    } while (token);
    return all;
  }

  describe('GET /tickets', () => {
    it('builds a visibility query from vetted values only', () => {
      expect(ticketListQuery({})).toBe(`WorkflowType = "${TICKET_WORKFLOW_TYPE}"`);
      expect(ticketListQuery({ statuses: ['OPEN'], sources: ['connect', 'whitelabel'] })).toBe(
        'WorkflowType = "ticketWorkflow" AND TicketStatus = "OPEN" AND TicketSource IN ("connect", "whitelabel")',
      );
      expect(() => ticketListQuery({ statuses: ['OPEN" OR WorkflowType != "x' as TicketStatus] })).toThrow(/unsafe/);
    });

    it('lists ticket workflows filtered by TicketStatus, with their search attributes and execution', async () => {
      const open = await ticket('OPEN');
      const pending = await ticket('PENDING');
      await env.client.workflow.getHandle(pending.workflowId).signal('crmChanged', { crmTicketId: '35436', eventId: null, receivedAt: new Date().toISOString() });
      const solved = await ticket('SOLVED');

      const listed = await eventually(async () => {
        const tickets = await listAll('status=OPEN,PENDING');
        const ids = tickets.map((t) => t.workflowId);
        expect(ids).toEqual(expect.arrayContaining([open.workflowId, pending.workflowId]));
        return tickets;
      });
      expect(listed.map((t) => t.workflowId)).not.toContain(solved.workflowId);
      expect(listed.every((t) => t.status === 'OPEN' || t.status === 'PENDING')).toBe(true);
      expect(listed.find((t) => t.workflowId === pending.workflowId)).toEqual({
        workflowId: pending.workflowId,
        source: 'connect',
        sourceTicketId: pending.id,
        status: 'PENDING',
        crmTicketId: '35436',
        executionStatus: 'RUNNING',
        startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        closeTime: null,
        deletedByUser: false,
      });
    });

    it('filters by source and pages with opaque tokens bound to their listing', async () => {
      const mine = await Promise.all([ticket('SOLVED', 'whitelabel'), ticket('SOLVED', 'whitelabel'), ticket('SOLVED', 'whitelabel')]);
      const first = await eventually(async () => {
        const res = await get('/tickets?source=whitelabel&status=SOLVED&pageSize=2');
        const page = (await res.json()) as TicketPage;
        expect(page.tickets).toHaveLength(2);
        expect(page.nextPageToken).toEqual(expect.any(String));
        return page;
      });
      expect(first.tickets.every((t) => t.source === 'whitelabel' && t.status === 'SOLVED')).toBe(true);

      const all = await listAll('source=whitelabel&status=SOLVED&pageSize=2');
      expect(all.map((t) => t.workflowId).sort()).toEqual(expect.arrayContaining(mine.map((t) => t.workflowId)));
      expect(new Set(all.map((t) => t.workflowId)).size).toBe(all.length);

      // A token belongs to its listing: given to another filter it is refused, not misapplied.
      const res = await get(`/tickets?source=connect&pageSize=2&pageToken=${first.nextPageToken}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_request', issues: [{ path: 'pageToken', message: expect.any(String) }] });
      expect((await get('/tickets?pageToken=bm90LWEtdG9rZW4')).status).toBe(400);
    });

    it('lists completed tickets too, with their close time', async () => {
      const { id, workflowId } = await ticket('OPEN');
      expect((await post(`/tickets/connect/${id}/close`, { reason: 'duplicate of another ticket' })).status).toBe(200);
      await env.client.workflow.getHandle(workflowId).result();
      const item = await eventually(async () => {
        const found = (await listAll('status=CLOSED')).find((t) => t.workflowId === workflowId);
        expect(found).toBeDefined();
        return found!;
      });
      expect(item).toMatchObject({ status: 'CLOSED', executionStatus: 'COMPLETED', closeTime: expect.any(String) });
    });
  });

  describe('GET /tickets/:source/:ticketId', () => {
    it('answers the state with its timeline, the execution and the activity stuck retrying, and why', async () => {
      crmDown = true;
      const { id, workflowId } = await ticket('OPEN');
      await env.client.workflow.getHandle(workflowId).signal(startFailingSignal);
      // Let a few retries happen (1 s apart; skipped where time skips).
      const details = await eventually(
        async () => {
          await env.sleep('2s');
          const res = await get(`/tickets/connect/${id}`);
          expect(res.status).toBe(200);
          const body = (await res.json()) as TicketDetails;
          expect(body.pendingActivities[0]?.attempt).toBeGreaterThanOrEqual(2);
          return body;
        },
        { timeoutMs: 30_000 },
      );
      expect(details).toMatchObject({
        workflowId,
        source: 'connect',
        sourceTicketId: id,
        execution: { status: 'RUNNING', taskQueue: worker.taskQueue, runId: expect.any(String), historyLength: expect.any(Number) },
        state: { status: 'OPEN', timeline: [{ kind: 'received', detail: 'source created' }] },
        stateError: null,
      });
      const [activity] = details.pendingActivities;
      expect(activity).toMatchObject({
        activityType: 'writeToCrm',
        maximumAttempts: null,
        lastFailure: { type: 'server-error', message: expect.stringContaining('answered 503'), nonRetryable: false },
        scheduledTime: expect.any(String),
      });
      expect(['SCHEDULED', 'STARTED']).toContain(activity!.state);

      // One structured line per attempt, correlated by workflow id; no failure message, no inputs.
      const attempts = workerLogs.records().filter((r) => r.msg === 'activity attempt' && r.workflowId === workflowId);
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      // A 5xx that Temporal retries is expected: a calm line (src/observability/expected-failures.ts).
      expect(attempts[0]).toMatchObject({
        level: 'info',
        activityType: 'writeToCrm',
        attempt: 1,
        outcome: 'failed',
        failureType: 'server-error',
        willRetry: true,
        service: 'zendesk',
        operation: 'PUT /tickets/{id}.json',
        status: 503,
        durationMs: expect.any(Number),
      });
      expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
      expect(workerLogs.text).not.toContain('jane@example.com');
      expect(workerLogs.text).not.toContain('Jane Doe');

      // The remote is back: the next attempt completes, logged as such, and nothing is pending.
      crmDown = false;
      await eventually(
        async () => {
          await env.sleep('2s');
          const body = (await (await get(`/tickets/connect/${id}`)).json()) as TicketDetails;
          expect(body.pendingActivities).toEqual([]);
        },
        { timeoutMs: 30_000 },
      );
      expect(workerLogs.records().filter((r) => r.workflowId === workflowId && r.outcome === 'completed')).toEqual([
        expect.objectContaining({ level: 'info', activityType: 'writeToCrm', msg: 'activity attempt' }),
      ]);
    });

    it('answers 404 when the ticket has no workflow', async () => {
      const res = await get('/tickets/connect/never-seen');
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_found' });
    });

    it('still describes a ticket whose workflow no worker answers for, saying so', async () => {
      const workflowId = ticketWorkflowId('connect', `orphan-${randomUUID().slice(0, 8)}`);
      await env.client.workflow.start(TICKET_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: `nobody-polls-${randomUUID()}`,
        args: [{ source: 'connect', sourceTicketId: workflowId.split('/')[2] }],
        typedSearchAttributes: [
          { key: TicketSourceKey, value: 'connect' },
          { key: TicketStatusKey, value: 'NEW' },
        ],
      });
      const quick = createTemporalGateway({ client: env.client, taskQueue: worker.taskQueue, rpcTimeoutMs: 1_000 });
      const details = await quick.describeTicket('connect', workflowId.split('/')[2]!);
      expect(details).toMatchObject({ execution: { status: 'RUNNING' }, state: null, stateError: expect.stringMatching(/worker/) });
      await env.client.workflow.getHandle(workflowId).terminate('test over');
    });
  });

  describe('POST /tickets/:source/:ticketId/resync and /close', () => {
    it('resync: the update runs and the caller gets the state', async () => {
      const { id } = await ticket('PENDING');
      const res = await post(`/tickets/connect/${id}/resync`, { reason: 'lost webhook, per ops ticket OPS-12' });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const state = (await res.json()) as TicketStateView;
      expect(state).toMatchObject({ sourceTicketId: id, status: 'PENDING', counts: { syncs: 1 } });
      expect(state.timeline.at(-1)).toMatchObject({ kind: 'operator', detail: 'resync: lost webhook, per ops ticket OPS-12' });
      // No body at all is fine for a resync.
      expect((await post(`/tickets/connect/${id}/resync`)).status).toBe(200);
    });

    it('close: completes the ticket; a second close is refused with 409 and the workflow says why', async () => {
      const { id, workflowId } = await ticket('SOLVED');
      const res = await post(`/tickets/connect/${id}/close`, { reason: 'user confirmed by phone' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'CLOSED', completed: true });
      expect(await env.client.workflow.getHandle(workflowId).result()).toMatchObject({ status: 'CLOSED' });

      const again = await post(`/tickets/connect/${id}/close`, { reason: 'again' });
      expect(again.status).toBe(409);
      expect(await again.json()).toEqual({ error: 'rejected', message: expect.stringMatching(/completed/) });
      const resync = await post(`/tickets/connect/${id}/resync`, {});
      expect(resync.status).toBe(409);
    });

    it("answers 409 with the validator's message, and nothing reaches history", async () => {
      const { id, workflowId } = await ticket('OPEN');
      const res = await post(`/tickets/connect/${id}/resync`, { reason: 'refuse me' });
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ error: 'rejected', message: 'refused as asked' });
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      expect((history.events ?? []).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    });

    it('answers 404 for a ticket without a workflow', async () => {
      const res = await post('/tickets/connect/no-such-ticket/resync', {});
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_found' });
    });

    it('answers 400 naming the field, before anything reaches Temporal', async () => {
      const { id, workflowId } = await ticket('OPEN');
      const noReason = await post(`/tickets/connect/${id}/close`, {});
      expect(noReason.status).toBe(400);
      expect(await noReason.json()).toEqual({ error: 'invalid_request', issues: [{ path: 'reason', message: 'is required' }] });
      const empty = await post(`/tickets/connect/${id}/close`, { reason: '   ' });
      expect(((await empty.json()) as { issues: Array<{ path: string }> }).issues[0]!.path).toBe('reason');
      const noBody = await post(`/tickets/connect/${id}/close`);
      expect(noBody.status).toBe(400);
      const badJson = await post(`/tickets/connect/${id}/resync`, '{"reason":', { 'content-type': 'application/json' });
      expect(badJson.status).toBe(400);
      expect(await badJson.json()).toEqual({ error: 'invalid_json' });
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      expect((history.events ?? []).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    });

    it('an Idempotency-Key makes retries of the same request one update', async () => {
      const { id } = await ticket('OPEN');
      const key = { 'idempotency-key': `op-${randomUUID()}` };
      const first = (await (await post(`/tickets/connect/${id}/resync`, { reason: 'once' }, key)).json()) as TicketStateView;
      const second = (await (await post(`/tickets/connect/${id}/resync`, { reason: 'once' }, key)).json()) as TicketStateView;
      expect(first.counts.syncs).toBe(1);
      expect(second.counts.syncs).toBe(1);
      const bad = await post(`/tickets/connect/${id}/resync`, {}, { 'idempotency-key': 'not ok!' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { issues: Array<{ path: string }> }).issues[0]!.path).toBe('Idempotency-Key');
    });
  });
});

describe('ops API when Temporal is unreachable', () => {
  let api: RunningApi;
  let connection: Connection;
  const metrics = createApiMetrics();

  beforeAll(async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    connection = Connection.lazy({ address: `127.0.0.1:${port}` });
    const gateway = createTemporalGateway({
      client: new Client({ connection, namespace: 'default' }),
      taskQueue: 'ticket-bridge',
      rpcTimeoutMs: 1_000,
      onCallError: metrics.temporalCallError,
    });
    api = await startApi({ gateway });
  });
  afterAll(async () => {
    await api.close();
    await connection.close();
  });

  it.each([
    ['GET /tickets', () => fetch(`${api.url}/tickets`, { headers: auth })],
    ['GET /tickets/connect/42', () => fetch(`${api.url}/tickets/connect/42`, { headers: auth })],
    ['POST resync', () => postJson(`${api.url}/tickets/connect/42/resync`, {}, auth)],
    ['POST close', () => postJson(`${api.url}/tickets/connect/42/close`, { reason: 'x' }, auth)],
  ])('%s answers 503 temporal_unavailable', async (_label, request) => {
    const res = await request();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
  });

  it('counts the failed calls by operation, signal-with-start of a webhook included', async () => {
    const webhook = await postJson(`${api.url}/webhooks/connect?auth_token=${CONNECT_TOKEN}`, { type: 'CREATE', ticketId: '42' });
    expect(webhook.status).toBe(503);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/ticket_bridge_temporal_call_errors_total\{operation="signalWithStart",reason="unavailable"\} 1/);
    expect(text).toMatch(/ticket_bridge_temporal_call_errors_total\{operation="list",reason="unavailable"\} [1-9]/);
    expect(text).toMatch(/ticket_bridge_temporal_call_errors_total\{operation="describe",reason="unavailable"\} [1-9]/);
    expect(text).toMatch(/ticket_bridge_temporal_call_errors_total\{operation="update:resync",reason="unavailable"\} [1-9]/);
  });

  it('the gateway rejects with TemporalUnavailableError', async () => {
    const gateway = createTemporalGateway({ client: new Client({ connection, namespace: 'default' }), taskQueue: 'x', rpcTimeoutMs: 500 });
    await expect(gateway.listTickets({ pageSize: 1 })).rejects.toBeInstanceOf(TemporalUnavailableError);
  });
});

