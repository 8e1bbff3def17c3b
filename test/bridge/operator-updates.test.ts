/**
 * The operator's levers on a ticket workflow: the `resync` and `close` updates (validated before
 * they touch history) and the bounded timeline in the `state` query, on each helpdesk (issue 20).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { closeUpdate, resyncUpdate } from '../../src/workflows/definitions';
import { fingerprintsKeyword } from '../../src/domain/fingerprints';
import { CrmTicketIdKey, TicketFingerprintsKey, TicketSourceKey, TicketStatusKey } from '../../src/workflows/search-attributes';
import { eventually } from '../harness';
import { rigPerSuite } from '../support/bridge-rig';
import { HELPDESKS } from '../support/helpdesks';

jest.setTimeout(120_000);

/**
 * The source fingerprint (status, comments, newest, assignee) of a new app ticket read with no
 * comment yet: the app stays NEW on either helpdesk (on Freshdesk, which has no "new", since
 * created-status-kept-1) until an agent acts.
 */
const NEW_TICKET_READ = 'NEW|0|-|-';

describe.each(HELPDESKS)('operator updates and the timeline, on %s', (crm) => {
  const rig = rigPerSuite({ crm });
  const helpdesk = () => rig().helpdesk;

  async function openTicket() {
    const id = `o-${randomUUID().slice(0, 8)}`;
    await rig().connect.userCreatesTicket({ id, title: 'Invoice twice', description: 'Charged twice in May.' });
    const ticketId = await helpdesk().ticketFor(id);
    return { id, ticketId, handle: rig().env.client.workflow.getHandle(`ticket/connect/${id}`) };
  }

  test('resync recovers a lost webhook and returns the state after the sync', async () => {
    const { id, ticketId, handle } = await openTicket();
    const url = rig().connect.webhookUrl;
    rig().connect.webhookUrl = undefined; // the platform's webhook for this comment is lost
    try {
      await rig().connect.userComments(id, 'Any update?');
    } finally {
      rig().connect.webhookUrl = url;
    }
    expect(helpdesk().texts(ticketId)).toEqual(['Charged twice in May.']);

    const state = await handle.executeUpdate(resyncUpdate, { args: [{ reason: 'webhook lost' }] });
    expect(state.counts.userCommentsToCrm).toBe(1);
    expect(helpdesk().texts(ticketId)).toEqual(['Charged twice in May.', 'Any update?']);
    expect(state.timeline.map((e) => e.detail)).toEqual(expect.arrayContaining(['resync requested: webhook lost', expect.stringMatching(new RegExp(`^user comment → ${helpdesk().name} \\(comment \\d+\\)$`))]));
  });

  test('close ends the ticket on both sides with a note for the agents', async () => {
    const { id, ticketId, handle } = await openTicket();
    const state = await handle.executeUpdate(closeUpdate, { args: [{ reason: 'duplicate of an older ticket' }] });
    expect(state).toMatchObject({ status: 'CLOSED', completed: true });
    expect(rig().connect.ticket(id)!.status).toBe('CLOSED');
    expect(helpdesk().status(ticketId)).toBe('closed');
    const note = helpdesk().messages(ticketId).at(-1)!;
    expect([note.public, note.text]).toEqual([false, 'Closed by an operator through ticket-bridge: duplicate of an older ticket']);
    expect((await handle.result()).completed).toBe(true);
  });

  test('a bad request is refused by the validator and leaves no trace in history', async () => {
    const { handle } = await openTicket();
    await eventually(async () => expect((await rig().state(handle.workflowId.split('/')[2])).crmTicketId).not.toBeNull());
    for (const args of [[{ reason: '' }], [{ reason: '   ' }], [{ reason: 'x'.repeat(501) }]] as const) {
      const err = await handle.executeUpdate(closeUpdate, { args: [...args] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    }
    const err = await handle.executeUpdate(resyncUpdate, { args: [{ reason: 'y'.repeat(501) }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toMatch(/at most 500 characters/);
    // A rejected update leaves no trace: no update event of the operator's in history (the helpdesk's
    // events arrive as the crmEvent update since rules 1.2, each accepted one then completed).
    const events = (await handle.fetchHistory()).events!;
    expect(events.filter((e) => e.workflowExecutionUpdateRejectedEventAttributes || e.workflowExecutionUpdateAdmittedEventAttributes)).toEqual([]);
    const accepted = events.flatMap((e) => (e.workflowExecutionUpdateAcceptedEventAttributes ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name] : []));
    expect(accepted.filter((name) => name !== 'crmEvent')).toEqual([]);
    expect(events.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toHaveLength(accepted.length);
  });

  test('the timeline says what happened, bounded and free of message text', async () => {
    const { id, ticketId } = await openTicket();
    await helpdesk().agentReplies(ticketId, 'Refund issued today.');
    await eventually(() => expect(rig().connect.ticket(id)!.status).toBe('PENDING'));
    const state = await rig().state(id);
    const details = state.timeline.map((e) => `${e.kind}: ${e.detail}`);
    expect(details).toEqual(
      expect.arrayContaining([
        'received: app: ticket created',
        `synced: ${helpdesk().name} ticket ${ticketId} created (new)`,
        `received: ${helpdesk().name}: ticket ${ticketId} changed`,
        expect.stringMatching(/^synced: agent reply → app \(comment \d+\)$/),
        'synced: app status → PENDING',
      ]),
    );
    expect(JSON.stringify(state.timeline)).not.toMatch(/Refund|Charged|Invoice/);
    // The last reads: the source when the ticket was created (status, comments, newest, assignee),
    // the CRM when the reply came in (status and version).
    expect(state.fingerprints.source).toBe(NEW_TICKET_READ);
    expect(state.fingerprints.crm).toMatch(new RegExp(`^${helpdesk().status(ticketId)}\\|${helpdesk().versionPattern(ticketId)}$`));

    // Many notifications later the timeline is still bounded.
    for (let i = 0; i < 30; i++) await rig().connect.sendWebhook({ type: 'UPDATE', ticketId: id }, { times: 2 });
    const later = await eventually(async () => {
      const s = await rig().state(id);
      expect(s.counts.notifications).toBeGreaterThanOrEqual(60);
      return s;
    });
    expect(later.timeline).toHaveLength(50);
  });

  test('what DescribeWorkflowExecution shows an operator for a ticket (Temporal UI legibility)', async () => {
    const { id, ticketId, handle } = await openTicket();
    await helpdesk().agentAssigns(ticketId, helpdesk().agentId);
    await helpdesk().agentSetsStatus(ticketId, 'solved');
    await eventually(async () => expect((await rig().state(id)).status).toBe('SOLVED'));

    const description = await handle.describe();
    expect(description).toMatchObject({
      workflowId: `ticket/connect/${id}`,
      type: 'ticketWorkflow',
      taskQueue: rig().taskQueue,
      status: { name: 'RUNNING' },
    });
    expect(description.typedSearchAttributes.get(TicketStatusKey)).toBe('SOLVED');
    expect(description.typedSearchAttributes.get(TicketSourceKey)).toBe('connect');
    expect(description.typedSearchAttributes.get(CrmTicketIdKey)).toBe(String(ticketId));
    // What the workflow last saw of each side, for the reconciler (sync rules 1.6): digests, no personal data either.
    const { fingerprints } = await rig().state(id);
    expect(fingerprints.source).toBe(NEW_TICKET_READ);
    expect(fingerprints.crm).toMatch(new RegExp(`^solved\\|${helpdesk().versionPattern(ticketId)}$`));
    expect(description.typedSearchAttributes.get(TicketFingerprintsKey)).toBe(fingerprintsKeyword(fingerprints));
    expect(description.typedSearchAttributes.get(TicketFingerprintsKey)).toMatch(/^s:[0-9a-f]{8}:\d+ c:[0-9a-f]{8}:\d+$/);
    expect(await description.memo).toStrictEqual({
      ticket: `connect ticket ${id}`,
      crmTicket: `${crm} ticket ${ticketId}`,
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
