/**
 * Reconciliation: the Connect platform documents no webhook retries, so a lost webhook must cost
 * one reconcile interval, not a broken ticket; and checking an unchanged ticket must add nothing
 * to its history.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReconcilerActivities, type ReconcileSummary } from '../../src/activities/reconcile';
import { ConnectSource } from '../../src/adapters/connect';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import { fingerprintsKeyword } from '../../src/domain/fingerprints';
import { RECONCILER_WORKFLOW_ID } from '../../src/workflows/reconciler';
import { TicketFingerprintsKey } from '../../src/workflows/search-attributes';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(120_000);

describe('the reconciler', () => {
  let rig: BridgeRig;
  // Short and real: there is no time skipping on the real server.
  const intervalMs = 3_000;

  beforeAll(async () => {
    rig = await startBridgeRig({ reconcileIntervalMs: intervalMs });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  /** One reconcile interval, and a margin for the round itself. */
  const oneInterval = () => rig.env.sleep(intervalMs + 1_000);

  /** Completed reconcile rounds in the reconciler's current run. */
  async function reconcileRounds(): Promise<number> {
    const history = await rig.env.client.workflow.getHandle(RECONCILER_WORKFLOW_ID).fetchHistory();
    return history.events!.filter((e) => e.activityTaskCompletedEventAttributes).length;
  }

  async function openTicket() {
    const id = `r-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Smart plug offline', description: 'Since the update.' });
    const zd = await rig.zendeskTicketFor(id);
    return { id, zd, handle: rig.env.client.workflow.getHandle(`ticket/connect/${id}`) };
  }

  test('runs as one long-running workflow, started by the worker', async () => {
    const description = await rig.env.client.workflow.getHandle(RECONCILER_WORKFLOW_ID).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.type).toBe('reconcilerWorkflow');
  });

  test('a lost Connect webhook costs one interval: the comment reaches Zendesk', async () => {
    const { id, zd } = await openTicket();
    const url = rig.connect.webhookUrl;
    rig.connect.webhookUrl = undefined;
    try {
      await rig.connect.userComments(id, 'Still offline.');
    } finally {
      rig.connect.webhookUrl = url;
    }
    expect(rig.zendesk.comments(zd.id).map((c) => c.body)).not.toContain('Still offline.');
    await oneInterval();
    await eventually(() => expect(rig.zendesk.comments(zd.id).map((c) => c.body)).toContain('Still offline.'));
  });

  test('a lost Zendesk webhook costs one interval: the agent reply reaches the app', async () => {
    const { id, zd } = await openTicket();
    const url = rig.zendesk.webhookUrl;
    rig.zendesk.webhookUrl = undefined;
    try {
      await rig.zendesk.agentReplies(zd.id, 'Please re-pair the plug.');
    } finally {
      rig.zendesk.webhookUrl = url;
    }
    await oneInterval();
    await eventually(() =>
      expect(rig.connect.ticket(id)!.comments.map((c) => c.message)).toEqual(['Please re-pair the plug.']),
    );
  });

  test('an unchanged ticket gets no new history events from reconciling', async () => {
    const { id, handle } = await openTicket();
    // Let the ticket settle: the bridge's own writes are seen once (one read), then nothing changes.
    await oneInterval();
    await oneInterval();
    await eventually(async () => expect((await rig.state(id)).fingerprints.crm).not.toBeNull());
    const before = (await handle.fetchHistory()).events!.length;
    const roundsBefore = await reconcileRounds();
    await oneInterval();
    await oneInterval();
    const after = (await handle.fetchHistory()).events!.length;
    expect(after).toBe(before);
    // Not vacuous: the reconciler did look at the ticket meanwhile.
    expect(await reconcileRounds()).toBeGreaterThanOrEqual(roundsBefore + 2);
  });

  test('a round queries no workflow and reads the CRM side of all its tickets in one request', async () => {
    const opened = await Promise.all([openTicket(), openTicket(), openTicket()]);
    // Settled: every workflow published what it saw (`TicketFingerprints`, sync rules 1.6), and
    // visibility lists them. The memo no longer holds them: the round below compares digests.
    await eventually(
      async () => {
        for (const { id, handle } of opened) {
          const described = await handle.describe();
          const { fingerprints } = await rig.state(id);
          expect(fingerprints.crm).not.toBeNull();
          expect(described.typedSearchAttributes.get(TicketFingerprintsKey)).toBe(fingerprintsKeyword(fingerprints));
          expect(described.memo).not.toHaveProperty('fingerprints');
        }
      },
      { timeoutMs: 30_000 },
    );
    await oneInterval();
    const calls: string[] = [];
    const counter: Interceptor = (options, nextCall) => {
      calls.push(String(options.method_definition.path).split('/').at(-1) ?? '');
      return new InterceptingCall(nextCall(options));
    };
    const connection = await Connection.connect({ address: rig.env.address, interceptors: [counter] });
    try {
      const acts = createReconcilerActivities({
        client: new Client({ connection, namespace: rig.env.namespace }),
        sources: { connect: new ConnectSource({ baseUrl: rig.connect.url, apiKey: rig.connect.apiKey }), whitelabel: undefined },
        crm: new ZendeskCrm({ baseUrl: rig.zendesk.apiUrl, email: 'bridge@example.test', apiToken: rig.zendesk.apiToken }),
      });
      const zendeskBefore = rig.zendesk.requests().length;
      calls.length = 0;
      const summary: ReconcileSummary = await new MockActivityEnvironment().run(acts.reconcileOpenTickets);

      expect(summary.checked).toBeGreaterThanOrEqual(3);
      expect(summary).toMatchObject({ failed: 0, sourceSignals: 0, crmSignals: 0 });
      // Every open ticket of this rig so far fits one show_many page: one Zendesk request.
      expect(rig.zendesk.requests().slice(zendeskBefore).map((r) => r.route)).toEqual(['GET /tickets/show_many.json']);
      expect(calls).not.toContain('QueryWorkflow');
      expect(calls).toContain('ListWorkflowExecutions');
    } finally {
      await connection.close();
    }
  });
});
