/**
 * The operator's levers on a ticket workflow: the `resync` and `close` updates (validated before
 * they touch history) and the bounded timeline in the `state` query.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { closeUpdate, resyncUpdate } from '../../src/workflows/definitions';
import { CrmTicketIdKey, TicketSourceKey, TicketStatusKey } from '../../src/workflows/search-attributes';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(120_000);

describe('operator updates and the timeline', () => {
  let rig: BridgeRig;

  beforeAll(async () => {
    rig = await startBridgeRig();
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  async function openTicket() {
    const id = `o-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Invoice twice', description: 'Charged twice in May.' });
    const zd = await rig.zendeskTicketFor(id);
    return { id, zd, handle: rig.env.client.workflow.getHandle(`ticket/connect/${id}`) };
  }

  test('resync recovers a lost webhook and returns the state after the sync', async () => {
    const { id, zd, handle } = await openTicket();
    const url = rig.connect.webhookUrl;
    rig.connect.webhookUrl = undefined; // the platform's webhook for this comment is lost
    try {
      await rig.connect.userComments(id, 'Any update?');
    } finally {
      rig.connect.webhookUrl = url;
    }
    expect(rig.zendesk.comments(zd.id).map((c) => c.body)).toEqual(['Charged twice in May.']);

    const state = await handle.executeUpdate(resyncUpdate, { args: [{ reason: 'webhook lost' }] });
    expect(state.counts.userCommentsToCrm).toBe(1);
    expect(rig.zendesk.comments(zd.id).map((c) => c.body)).toEqual(['Charged twice in May.', 'Any update?']);
    expect(state.timeline.map((e) => e.detail)).toEqual(expect.arrayContaining(['resync requested: webhook lost', expect.stringMatching(/^user comment → Zendesk \(comment \d+\)$/)]));
  });

  test('close ends the ticket on both sides with a note for the agents', async () => {
    const { id, zd, handle } = await openTicket();
    const state = await handle.executeUpdate(closeUpdate, { args: [{ reason: 'duplicate of an older ticket' }] });
    expect(state).toMatchObject({ status: 'CLOSED', completed: true });
    expect(rig.connect.ticket(id)!.status).toBe('CLOSED');
    expect(rig.zendesk.ticket(zd.id)!.status).toBe('closed');
    const note = rig.zendesk.comments(zd.id).at(-1)!;
    expect([note.public, note.body]).toEqual([false, 'Closed by an operator through ticket-bridge: duplicate of an older ticket']);
    expect((await handle.result()).completed).toBe(true);
  });

  test('a bad request is refused by the validator and leaves no trace in history', async () => {
    const { handle } = await openTicket();
    await eventually(async () => expect((await rig.state(handle.workflowId.split('/')[2])).crmTicketId).not.toBeNull());
    for (const args of [[{ reason: '' }], [{ reason: '   ' }], [{ reason: 'x'.repeat(501) }]] as const) {
      const err = await handle.executeUpdate(closeUpdate, { args: [...args] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    }
    const err = await handle.executeUpdate(resyncUpdate, { args: [{ reason: 'y'.repeat(501) }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toMatch(/at most 500 characters/);
    // A rejected update leaves no trace: no update event of the operator's in history (Zendesk's
    // events arrive as the crmEvent update since rules 1.2, each accepted one then completed).
    const events = (await handle.fetchHistory()).events!;
    expect(events.filter((e) => e.workflowExecutionUpdateRejectedEventAttributes || e.workflowExecutionUpdateAdmittedEventAttributes)).toEqual([]);
    const accepted = events.flatMap((e) => (e.workflowExecutionUpdateAcceptedEventAttributes ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name] : []));
    expect(accepted.filter((name) => name !== 'crmEvent')).toEqual([]);
    expect(events.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toHaveLength(accepted.length);
  });

  test('the timeline says what happened, bounded and free of message text', async () => {
    const { id, zd } = await openTicket();
    await rig.zendesk.agentReplies(zd.id, 'Refund issued today.');
    await eventually(() => expect(rig.connect.ticket(id)!.status).toBe('PENDING'));
    const state = await rig.state(id);
    const details = state.timeline.map((e) => `${e.kind}: ${e.detail}`);
    expect(details).toEqual(
      expect.arrayContaining([
        'received: app: ticket created',
        `synced: Zendesk ticket ${zd.id} created (new)`,
        `received: Zendesk: ticket ${zd.id} changed`,
        expect.stringMatching(/^synced: agent reply → app \(comment \d+\)$/),
        'synced: app status → PENDING',
      ]),
    );
    expect(JSON.stringify(state.timeline)).not.toMatch(/Refund|Charged|Invoice/);
    // The last reads: the source when the ticket was created (status, comments, newest, assignee),
    // the CRM when the reply came in (status and version).
    expect(state.fingerprints.source).toBe('NEW|0|-|-');
    expect(state.fingerprints.crm).toBe(`new|${rig.zendesk.ticket(zd.id)!.updated_at}`);

    // Many notifications later the timeline is still bounded.
    for (let i = 0; i < 30; i++) await rig.connect.sendWebhook({ type: 'UPDATE', ticketId: id }, { times: 2 });
    const later = await eventually(async () => {
      const s = await rig.state(id);
      expect(s.counts.notifications).toBeGreaterThanOrEqual(60);
      return s;
    });
    expect(later.timeline).toHaveLength(50);
  });

  test('what DescribeWorkflowExecution shows an operator for a ticket (Temporal UI legibility)', async () => {
    const { id, zd, handle } = await openTicket();
    await rig.zendesk.agentAssigns(zd.id, rig.zendesk.agent.id);
    await rig.zendesk.agentSetsStatus(zd.id, 'solved');
    await eventually(async () => expect((await rig.state(id)).status).toBe('SOLVED'));

    const description = await handle.describe();
    expect(description).toMatchObject({
      workflowId: `ticket/connect/${id}`,
      type: 'ticketWorkflow',
      taskQueue: rig.taskQueue,
      status: { name: 'RUNNING' },
    });
    expect(description.typedSearchAttributes.get(TicketStatusKey)).toBe('SOLVED');
    expect(description.typedSearchAttributes.get(TicketSourceKey)).toBe('connect');
    expect(description.typedSearchAttributes.get(CrmTicketIdKey)).toBe(String(zd.id));
    expect(await description.memo).toEqual({
      ticket: `connect ticket ${id}`,
      crmTicket: `zendesk ticket ${zd.id}`,
      status: 'SOLVED',
      // What the workflow last saw of each side, for the reconciler: no personal data either.
      fingerprints: { source: 'NEW|0|-|-', crm: `solved|${rig.zendesk.ticket(zd.id)!.updated_at}` },
      // Nothing waits on a person or a remote (the state's `parked`).
      parked: 0,
    });
    // Nothing personal in what every UI user sees: no title, description or message text.
    expect(JSON.stringify({ memo: description.memo, sa: description.searchAttributes })).not.toMatch(/Invoice|Charged/);

    // The pending timer says what the ticket waits for.
    // (Polled: the state query can answer before the task that starts the timer is in history.)
    const summary = await eventually(async () => {
      const history = await handle.fetchHistory();
      const timer = history.events!.filter((e) => e.timerStartedEventAttributes).at(-1);
      expect(timer?.userMetadata?.summary).toBeDefined();
      return timer!.userMetadata!.summary!;
    });
    expect(JSON.parse(Buffer.from(summary.data!).toString())).toBe('SOLVED auto-close (no confirmation from the user)');
  });
});
