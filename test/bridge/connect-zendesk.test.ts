/**
 * The bridge end to end: the Connect and Zendesk simulators send their webhooks to the real API,
 * which signals real ticket workflows on the Temporal harness, whose activities call the
 * simulators back over HTTP. Each test plays the end user and the agent and checks both sides.
 */
import { randomUUID } from 'node:crypto';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { DEFAULT_WORKFLOW_SETTINGS, TICKET_WORKFLOW_TYPE, type TicketWorkflowInput } from '../../src/workflows/definitions';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { activityTypesIn, recordHistory } from '../support/histories';

jest.setTimeout(120_000);

describe('Connect ⇄ Zendesk through one workflow per ticket', () => {
  let rig: BridgeRig;

  /** The SOLVED timer, short and real: the real server has no time skipping. */
  const solvedAutoCloseAfterMs = 6_000;

  beforeAll(async () => {
    rig = await startBridgeRig({ workflowSettings: { solvedAutoCloseAfterMs } });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  /** The user opens a ticket in the app; resolves once the Zendesk ticket exists. */
  async function openTicket(title = 'Meter reading looks wrong') {
    const id = `t-${randomUUID().slice(0, 8)}`;
    const { webhooks } = await rig.connect.userCreatesTicket({ id, title, description: 'My reading doubled overnight.' });
    expect(webhooks.map((w) => w.status)).toEqual([202]);
    const zd = await eventually(() => {
      const ticket = rig.zendesk.ticketByExternalId(`connect:${id}`);
      if (!ticket) throw new Error('no Zendesk ticket yet');
      return ticket;
    });
    return { id, zd };
  }

  const connectComments = (id: string) => rig.connect.ticket(id)!.comments;
  const zendeskComments = (zdId: number) => rig.zendesk.comments(zdId);

  test("the guide's whole flow: CREATE → agent reply → user reply → solved → user confirms → CLOSED", async () => {
    const { id, zd } = await openTicket();
    expect(zd.subject).toBe('Meter reading looks wrong');
    expect(zendeskComments(zd.id).map((c) => c.body)).toEqual(['My reading doubled overnight.']);
    expect(zd.status).toBe('new');

    // The agent answers publicly: the answer reaches the app and the ticket waits for the user.
    const reply = await rig.zendesk.agentReplies(zd.id, 'Could you send a photo of the meter?');
    expect(reply.webhooks.map((w) => w.status)).toEqual([202]);
    await eventually(() => {
      expect(connectComments(id).map((c) => [c.author, c.message])).toEqual([['SUPPORT', 'Could you send a photo of the meter?']]);
      expect(rig.connect.ticket(id)!.status).toBe('PENDING');
    });

    // An internal note stays internal.
    await rig.zendesk.agentAddsNote(zd.id, 'Customer on legacy tariff, check billing run');

    // The user replies from the app: a public comment from the requester, the ticket is open again.
    await rig.connect.userComments(id, 'Here it is: 10432 kWh');
    await eventually(() => {
      const last = zendeskComments(zd.id).at(-1)!;
      expect([last.body, last.public, last.author_id]).toEqual(['Here it is: 10432 kWh', true, zd.requester_id]);
      expect(rig.zendesk.ticket(zd.id)!.status).toBe('open');
    });

    // The agent solves: the app shows SOLVED and the auto-close timer is armed.
    await rig.zendesk.agentSetsStatus(zd.id, 'solved');
    await eventually(async () => {
      expect(rig.connect.ticket(id)!.status).toBe('SOLVED');
      expect((await rig.state(id)).solvedTimerDeadline).not.toBeNull();
    });

    // The user confirms: closed everywhere and the workflow completes.
    const beforeConfirm = rig.zendesk.requests().length;
    await rig.connect.userConfirmsResolved(id);
    const final = await rig.result(id);
    // Zendesk read once (ticket, comments), then closed conditionally: no second read to check
    // the assignee the first one already showed.
    expect(rig.zendesk.requests().slice(beforeConfirm).map((r) => r.route)).toEqual([
      'GET /tickets/:id.json',
      'GET /tickets/:id/comments.json',
      'PUT /tickets/:id.json',
    ]);
    expect(final).toMatchObject({ status: 'CLOSED', completed: true, crmTicketId: String(zd.id), solvedTimerDeadline: null });
    expect(rig.zendesk.ticket(zd.id)!.status).toBe('closed');
    expect(rig.connect.ticket(id)!.status).toBe('CLOSED');

    // Nothing lost, nothing doubled, nothing echoed, the note never left Zendesk.
    expect(connectComments(id).map((c) => [c.author, c.message])).toEqual([
      ['SUPPORT', 'Could you send a photo of the meter?'],
      ['USER', 'Here it is: 10432 kWh'],
    ]);
    expect(zendeskComments(zd.id).map((c) => [c.body, c.public])).toEqual([
      ['My reading doubled overnight.', true],
      ['Could you send a photo of the meter?', true],
      ['Customer on legacy tariff, check billing run', false],
      ['Here it is: 10432 kWh', true],
    ]);
    expect(final.counts).toMatchObject({ userCommentsToCrm: 1, agentRepliesToSource: 1 });
    // The history tells the same story: every external operation is an activity, and the run completed.
    const history = await rig.env.client.workflow.getHandle(`ticket/connect/${id}`).fetchHistory();
    const ran = activityTypesIn(history);
    const activities = ran.map((a) => a.type);
    // Reads run as local activities; writes never do (a replayed local write could land twice).
    expect(ran.filter((a) => a.local).map((a) => a.type)).toEqual(expect.arrayContaining(['readSourceTicket', 'readCrmTicket']));
    expect(ran.filter((a) => a.local && !a.type.startsWith('read'))).toEqual([]);
    expect(activities).toEqual(
      expect.arrayContaining(['readSourceTicket', 'ensureCrmTicket', 'readCrmTicket', 'postSourceComment', 'addCrmComment', 'setCrmStatus', 'setSourceStatus']),
    );
    expect(activities.filter((a) => a === 'ensureCrmTicket')).toHaveLength(1);
    // Every Zendesk event reaches the workflow, the bridge's own writes' included: the workflow
    // tells its echoes by the ids its writes answered (test/bridge/edges.test.ts, item 10), never
    // the door by who acted. Rules 1.2 offer it as the crmEvent update first: one the workflow
    // knows already is refused by its validator (`ignored`, `known`: nothing in history), any
    // other is accepted, or signalled when the update could not be told. The events of the
    // bridge's last writes may find the workflow completed (`not-running`).
    const zendeskHooks = rig.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.msg === 'request' && r.route === '/webhooks/zendesk');
    expect(zendeskHooks.length).toBeGreaterThanOrEqual(5);
    const answered = (r: Record<string, unknown>) => r.outcome === 'signalled' || (r.outcome === 'ignored' && (r.reason === 'known' || r.reason === 'not-running'));
    expect(zendeskHooks.filter((r) => !answered(r))).toEqual([]);
    const delivered = history.events!.filter(
      (e) =>
        e.workflowExecutionSignaledEventAttributes?.signalName === 'crmChanged' ||
        e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'crmEvent',
    );
    expect(delivered).toHaveLength(zendeskHooks.filter((r) => r.outcome === 'signalled').length);
    expect(history.events!.at(-1)!.workflowExecutionCompletedEventAttributes).toBeTruthy();
    // `RECORD_HISTORIES=1 npx jest test/bridge/connect-zendesk -t "whole flow"` refreshes the replay fixture.
    await recordHistory('connect-guide-flow', rig.env.client.workflow.getHandle(`ticket/connect/${id}`));
  });

  test('the SOLVED timer closes an unconfirmed ticket on both sides', async () => {
    const { id, zd } = await openTicket();
    await rig.zendesk.agentAssigns(zd.id, rig.zendesk.agent.id); // Zendesk: solving needs an assignee
    await rig.zendesk.agentReplies(zd.id, 'Fixed on our side.', { status: 'solved' });
    await eventually(() => expect(rig.connect.ticket(id)!.status).toBe('SOLVED'));
    // No confirmation: the SOLVED timer fires.
    const final = await rig.result(id);
    expect(final.status).toBe('CLOSED');
    expect(rig.connect.ticket(id)!.status).toBe('CLOSED');
    expect(rig.zendesk.ticket(zd.id)!.status).toBe('closed');
    // `RECORD_HISTORIES=1 npx jest test/bridge/connect-zendesk -t "SOLVED timer"` refreshes its replay fixture.
    await recordHistory('connect-solved-timer', rig.env.client.workflow.getHandle(`ticket/connect/${id}`));
  });

  test('"not resolved": the timer is cancelled, Zendesk reopens, the app shows PENDING', async () => {
    const { id, zd } = await openTicket();
    await rig.zendesk.agentSetsStatus(zd.id, 'solved');
    await eventually(async () => expect((await rig.state(id)).status).toBe('SOLVED'));

    await rig.connect.userRejectsResolution(id, 'Still doubled this morning.');
    await eventually(async () => {
      const state = await rig.state(id);
      expect(state).toMatchObject({ status: 'OPEN', solvedTimerDeadline: null });
      expect(rig.zendesk.ticket(zd.id)!.status).toBe('open');
      expect(zendeskComments(zd.id).at(-1)!.body).toBe('Still doubled this morning.');
    });
    expect(rig.connect.ticket(id)!.status).toBe('PENDING');
    // Time passes well beyond the old deadline: nothing closes the reopened ticket.
    await rig.env.sleep(solvedAutoCloseAfterMs + 2_000);
    expect((await rig.state(id)).status).toBe('OPEN');
    expect(rig.zendesk.ticket(zd.id)!.status).toBe('open');
  });

  test('DELETE: an internal note in Zendesk, the ticket solved, the workflow completes', async () => {
    const { id, zd } = await openTicket();
    await rig.connect.userDeletesTicket(id);
    const final = await rig.result(id);
    expect(final.completed).toBe(true);
    const ticket = rig.zendesk.ticket(zd.id)!;
    expect(ticket.status).toBe('solved');
    const note = zendeskComments(zd.id).at(-1)!;
    expect(note.public).toBe(false);
    expect(note.body).toMatch(/deleted this ticket in the app/);
    // A late notification for the finished ticket does no harm: 202; a new run reads the source,
    // finds it gone, and ends without a write.
    const writes = rig.zendesk.requests('PUT *').length + rig.zendesk.requests('POST *').length;
    const late = await rig.connect.sendWebhook({ type: 'UPDATE', ticketId: id });
    expect(late.map((d) => d.status)).toEqual([202]);
    await eventually(async () => {
      const runs = [];
      for await (const w of rig.env.client.workflow.list({ query: `WorkflowId = "ticket/connect/${id}"` })) runs.push(w.status.name);
      expect(runs).toEqual(['COMPLETED', 'COMPLETED']);
    });
    expect(rig.zendesk.requests('PUT *').length + rig.zendesk.requests('POST *').length).toBe(writes);
    expect((await rig.result(id)).timeline.map((t) => t.detail)).toContainEqual(expect.stringMatching(/404 after its workflow had completed/));
  });

  test('duplicate and reordered webhooks are harmless: one Zendesk ticket, each comment once', async () => {
    const { id, zd } = await openTicket();
    await rig.connect.userComments(id, 'first');
    await rig.connect.userComments(id, 'second');
    // The platform redelivers everything, three times, out of order.
    await Promise.all([
      rig.connect.sendWebhook({ type: 'UPDATE', ticketId: id }, { times: 3 }),
      rig.connect.sendWebhook({ type: 'CREATE', ticketId: id }, { times: 3 }),
    ]);
    await eventually(() => expect(zendeskComments(zd.id).map((c) => c.body)).toEqual(['My reading doubled overnight.', 'first', 'second']));
    // Give any straggling sync a chance to (wrongly) write again.
    await rig.connect.sendWebhook({ type: 'UPDATE', ticketId: id });
    await eventually(async () => expect((await rig.state(id)).lastSyncAt).not.toBeNull());
    expect(zendeskComments(zd.id).map((c) => c.body)).toEqual(['My reading doubled overnight.', 'first', 'second']);
    expect(rig.zendesk.tickets().filter((t) => t.external_id === `connect:${id}`)).toHaveLength(1);
  });

  test("a user's reply to a pending ticket: one write to Zendesk, since the reply itself reopens it", async () => {
    const { id, zd } = await openTicket();
    await rig.zendesk.agentReplies(zd.id, 'Which meter?', { status: 'pending' });
    await eventually(() => expect(rig.connect.ticket(id)!.status).toBe('PENDING'));
    const before = rig.zendesk.requests('PUT /tickets/:id.json').length;
    await rig.connect.userComments(id, 'The one in the hall.');
    await eventually(async () => {
      expect(rig.zendesk.ticket(zd.id)!.status).toBe('open');
      expect((await rig.state(id)).crmStatus).toBe('open');
    });
    const puts = rig.zendesk.requests('PUT /tickets/:id.json').slice(before);
    expect(puts.map((r) => (r.body as { ticket: Record<string, unknown> }).ticket)).toEqual([
      expect.objectContaining({ comment: expect.objectContaining({ body: 'The one in the hall.' }) }),
    ]);
  });

  test('a duplicate notification reads the notifying side only, and writes nothing', async () => {
    const { id, zd } = await openTicket();
    await rig.connect.userComments(id, 'first');
    await eventually(() => expect(zendeskComments(zd.id).map((c) => c.body)).toContain('first'));
    const handle = rig.env.client.workflow.getHandle(`ticket/connect/${id}`);
    // Settled: the history stops growing.
    let settled = -1;
    await eventually(async () => {
      const length = (await handle.fetchHistory()).events!.length;
      const stable = length === settled;
      settled = length;
      expect(stable).toBe(true);
    }, { timeoutMs: 20_000, intervalMs: 700 });
    const before = { zendesk: rig.zendesk.requests().length, connect: rig.connect.requests().length, syncs: (await rig.state(id)).counts.syncs };

    await rig.connect.sendWebhook({ type: 'UPDATE', ticketId: id });
    await eventually(async () => expect((await rig.state(id)).counts.syncs).toBe(before.syncs + 1));
    expect(rig.connect.requests().slice(before.connect).map((r) => r.route)).toEqual(['GET /tickets/:id']);
    expect(rig.zendesk.requests().slice(before.zendesk)).toEqual([]);
    // A signal, one workflow task, one local read: no activity task, no write.
    const added = (await handle.fetchHistory()).events!.slice(settled);
    expect(added.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(added.filter((e) => e.markerRecordedEventAttributes).length).toBe(1);
  });

  test('a run started without `crmName` (by an API from before it) names Zendesk, as it always did', async () => {
    const id = `t-${randomUUID().slice(0, 8)}`;
    // The input an older API wrote: the full settings of the day, which had no `crmName`.
    const { crmName, ...settingsBefore } = DEFAULT_WORKFLOW_SETTINGS;
    expect(crmName).toBe('Zendesk');
    const input: TicketWorkflowInput = { source: 'connect', sourceTicketId: id, settings: { ...settingsBefore, solvedAutoCloseAfterMs } };
    const handle = await rig.client.workflow.start(TICKET_WORKFLOW_TYPE, { workflowId: ticketWorkflowId('connect', id), taskQueue: rig.taskQueue, args: [input] });
    // The API's webhook now signals that run, which keeps its input.
    await rig.connect.userCreatesTicket({ id, title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
    const zd = await eventually(() => {
      const ticket = rig.zendesk.ticketByExternalId(`connect:${id}`);
      if (!ticket) throw new Error('no Zendesk ticket yet');
      return ticket;
    });
    await rig.connect.userComments(id, 'first');
    await eventually(async () => {
      const lines = (await rig.state(id)).timeline.map((entry) => entry.detail);
      expect(lines).toEqual(expect.arrayContaining([`Zendesk ticket ${zd.id} created (new)`, expect.stringMatching(/^user comment → Zendesk \(comment \d+\)$/)]));
    });
    await eventually(async () => expect((await handle.describe()).memo).toMatchObject({ crmTicket: `zendesk ticket ${zd.id}` }));
  });
});
