/**
 * Sync rules 1.2, a lean ticket (issue 18), end to end through the production assembly on the real
 * Temporal dev server with the simulators: one write per side per decision, no Zendesk read
 * before a write Zendesk itself checks, and Zendesk events told apart once the answers of the
 * writes they may echo are in. Each test also shows that the shortcut never costs correctness: a
 * change the bridge did not know of is news, read and decided once.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { BridgeRig } from '../support/bridge-rig';
import { fingerprintsKeyword } from '../../src/domain/fingerprints';
import { undeliveredReplyNote } from '../../src/domain/lifecycle';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { closeUpdate, DEFAULT_WORKFLOW_SETTINGS, sourceChangedSignal, TICKET_WORKFLOW_TYPE } from '../../src/workflows/definitions';
import { TicketFingerprintsKey, TicketStatusKey } from '../../src/workflows/search-attributes';
import { eventually } from '../harness';
import { openConnectTicket, rigPerSuite } from '../support/bridge-rig';
import { patchIdsIn, recordHistory } from '../support/histories';

jest.setTimeout(120_000);

const SETTINGS = { solvedAutoCloseAfterMs: 60_000, failedSyncRetryMs: 1_000 };

/** Zendesk's requests about one ticket since `from` (the bridge's reads and writes of it). */
function zendeskRequestsOf(rig: BridgeRig, zdId: number, from: number): string[] {
  return rig.zendesk
    .requests()
    .slice(from)
    .filter((r) => r.path.includes(`/tickets/${zdId}`))
    .map((r) => `${r.method} ${r.route}`);
}

/** The activities the workflow scheduled, by name, in order. */
async function activitiesOf(rig: BridgeRig, id: string): Promise<string[]> {
  const history = await rig.env.client.workflow.getHandle(`ticket/connect/${id}`).fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
}

/** Past the second of Zendesk's last version: the bridge's knowledge of it is then settled. */
const settle = (rig: BridgeRig) => rig.env.sleep(2_100);

describe('sync rules 1.2: a lean ticket', () => {
  const rig = rigPerSuite({ workflowSettings: SETTINGS });

  test("an agent's reply and the status it brings reach the app in one activity; the user's answer reaches Zendesk with its status in one conditional PUT, without a read first", async () => {
    const { id, zd, handle } = await openConnectTicket(rig(), 'lean');
    await rig().env.sleep(1_000); // the opening sync's own events come and go
    const writesBefore = (await activitiesOf(rig(), id)).length;

    await rig().zendesk.agentReplies(zd.id, 'Is the boiler display showing an error code?', { status: 'pending' });
    await eventually(() => expect(rig().connect.ticket(id)!.status).toBe('PENDING'));
    expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toEqual(['Is the boiler display showing an error code?']);
    await eventually(async () => expect((await activitiesOf(rig(), id)).slice(writesBefore)).toEqual(['postSourceComment']));

    await settle(rig());
    const mark = rig().zendesk.requests().length;
    await rig().connect.userComments(id, 'Yes: F28.');
    await eventually(() => expect(rig().zendesk.comments(zd.id).map((c) => c.body)).toContain('Yes: F28.'));
    await eventually(() => expect(rig().zendesk.ticket(zd.id)!.status).toBe('open'));
    await rig().env.sleep(1_000); // the write's own events come and go
    const put = rig().zendesk.requests().slice(mark).find((r) => r.method === 'PUT');
    expect(put?.body).toMatchObject({ ticket: { comment: { body: 'Yes: F28.', public: true }, status: 'open', safe_update: true } });
    // Decided from what the bridge knew of Zendesk, which Zendesk checked: no read before, none after.
    expect(zendeskRequestsOf(rig(), zd.id, mark)).toEqual(['PUT PUT /tickets/:id.json']);
    expect(await activitiesOf(rig(), id)).toEqual(expect.arrayContaining(['addCrmComment']));
    expect(await activitiesOf(rig(), id)).not.toContain('setCrmStatus');
    expect(await activitiesOf(rig(), id)).not.toContain('setSourceStatus');

    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('lean-one-write-per-side', handle);
  });

  test("an agent's reply the bridge did not hear of (its event lost) makes the user's conditional write a conflict: read, decided again, each message once", async () => {
    const { id, zd, handle } = await openConnectTicket(rig(), 'lean');
    await rig().zendesk.agentReplies(zd.id, 'We will send a technician.', { status: 'pending' });
    await eventually(() => expect(rig().connect.ticket(id)!.status).toBe('PENDING'));
    await settle(rig());

    // The agent's second reply is made, its event lost: the bridge knows Zendesk as it was.
    rig().zendesk.webhooks.hold();
    await rig().zendesk.agentReplies(zd.id, 'Tuesday between 8 and 12 suits?');
    rig().zendesk.webhooks.discard();
    await rig().connect.userComments(id, 'Thanks!');

    await eventually(() => expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toContain('Tuesday between 8 and 12 suits?'), { timeoutMs: 20_000 });
    await eventually(() => expect(rig().zendesk.comments(zd.id).map((c) => c.body)).toContain('Thanks!'));
    await rig().env.sleep(1_500);
    expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toEqual(['We will send a technician.', 'Thanks!', 'Tuesday between 8 and 12 suits?']);
    expect(rig().zendesk.comments(zd.id).filter((c) => c.body === 'Thanks!')).toHaveLength(1);
    const conflicts = rig().zendesk.requests().filter((r) => r.path.includes(`/tickets/${zd.id}.json`) && r.status === 409);
    expect(conflicts).toHaveLength(1);
    const timeline = (await rig().state(id)).timeline.map((t) => t.detail);
    expect(timeline).toContain('Zendesk changed since it was read: reading both sides again');

    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('lean-remembered-zendesk-conflict', handle);
  });

  test("the event of the bridge's own create, which overtakes the create's answer, is known as its own: no read", async () => {
    // The create's answer comes a second after the ticket is made, and its event before it.
    const late = rig().zendesk.fault({ kind: 'latency', afterWrite: true, delayMs: 1_000, match: 'POST /tickets.json', times: 1 });
    const { id, zd } = await openConnectTicket(rig(), 'lean');
    expect(late.hits).toBe(1);
    // From the create's answer on.
    const mark = rig().zendesk.requests().length;
    await eventually(async () => expect((await rig().state(id)).timeline.map((t) => t.detail)).toContainEqual(expect.stringMatching(/^Zendesk: the event of the bridge's own write( \(comment \d+\))?, nothing to read$/)));
    await rig().env.sleep(1_000);
    expect(zendeskRequestsOf(rig(), zd.id, mark).filter((r) => r.startsWith('GET GET /tickets/:id'))).toEqual([]);
    const history = await rig().env.client.workflow.getHandle(`ticket/connect/${id}`).fetchHistory();
    const failed = (history.events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed).toEqual([]);
  });
});

/** The app's (Connect's) requests about one ticket since `from`. */
function connectRequestsOf(rig: BridgeRig, id: string, from: number): string[] {
  return rig.connect
    .requests()
    .slice(from)
    .filter((r) => r.path.endsWith(`/tickets/${id}`) || r.path.includes(`/tickets/${id}/`))
    .map((r) => r.route);
}

describe('sync rules 1.4: the source as last known', () => {
  const rig = rigPerSuite({ workflowSettings: SETTINGS });

  /** A ticket the agent asked about (PENDING) and the user answered: OPEN on both sides, settled. */
  async function askedAndAnswered(question: string, answer: string) {
    const opened = await openConnectTicket(rig(), 'remembered');
    await rig().zendesk.agentReplies(opened.zd.id, question, { status: 'pending' });
    await eventually(() => expect(rig().connect.ticket(opened.id)!.status).toBe('PENDING'));
    await rig().connect.userComments(opened.id, answer);
    await eventually(() => expect(rig().connect.ticket(opened.id)!.status).toBe('OPEN'));
    await eventually(() => expect(rig().zendesk.ticket(opened.zd.id)!.status).toBe('open'));
    await rig().env.sleep(1_500);
    return opened;
  }

  test("an agent's reply and an agent's solve are decided from the app's ticket as the bridge knew it: the write's own read is the one read of the app", async () => {
    const { id, zd, handle } = await openConnectTicket(rig(), 'remembered');
    await rig().env.sleep(1_000); // the opening sync's own events come and go

    let mark = rig().connect.requests().length;
    await rig().zendesk.agentReplies(zd.id, 'Which room is the radiator in?', { status: 'pending' });
    await eventually(() => expect(rig().connect.ticket(id)!.status).toBe('PENDING'));
    await rig().env.sleep(1_000);
    expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toEqual(['Which room is the radiator in?']);
    // One read, inside the reply's activity (closed? the user acted since?), then the reply and its status.
    expect(connectRequestsOf(rig(), id, mark)).toEqual(['GET /tickets/:id', 'POST /tickets/:id/comment', 'PUT /tickets/:id']);

    await rig().connect.userComments(id, 'The bedroom.');
    await eventually(() => expect(rig().zendesk.comments(zd.id).map((c) => c.body)).toContain('The bedroom.'));
    await rig().env.sleep(1_000);

    mark = rig().connect.requests().length;
    await rig().zendesk.agentAssigns(zd.id, rig().zendesk.agent.id);
    await rig().zendesk.agentSetsStatus(zd.id, 'solved');
    await eventually(() => expect(rig().connect.ticket(id)!.status).toBe('SOLVED'));
    await rig().env.sleep(1_000);
    expect(connectRequestsOf(rig(), id, mark)).toEqual(['GET /tickets/:id', 'PUT /tickets/:id']);

    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('remembered-source-agent-reply', handle);
  });

  test("the user's comment whose notification is still on its way makes the reply's status write a conflict: both sides read, decided again, each message once", async () => {
    const { id, zd, handle } = await askedAndAnswered('Is the pilot light on?', 'I cannot see it.');

    // The user writes again; its notification is held back. The agent answers meanwhile.
    rig().connect.webhooks.hold();
    await rig().connect.userComments(id, 'Now it is lit, but the heating is cold.');
    await rig().zendesk.agentReplies(zd.id, 'Please press the reset button for five seconds.', { status: 'pending' });

    await eventually(() => expect(rig().zendesk.comments(zd.id).map((c) => c.body)).toContain('Now it is lit, but the heating is cold.'), { timeoutMs: 20_000 });
    await eventually(() => expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toContain('Please press the reset button for five seconds.'));
    const timeline = (await rig().state(id)).timeline.map((t) => t.detail);
    expect(timeline).toContain('app changed since it was read: reading both sides again');
    await rig().connect.webhooks.release();
    await rig().env.sleep(2_000);

    // Each message once on each side, and each side where the bridge knows it to be.
    expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toEqual([
      'Is the pilot light on?',
      'I cannot see it.',
      'Now it is lit, but the heating is cold.',
      'Please press the reset button for five seconds.',
    ]);
    const bodies = rig().zendesk.comments(zd.id).map((c) => c.body);
    for (const body of ['I cannot see it.', 'Now it is lit, but the heating is cold.', 'Please press the reset button for five seconds.']) {
      expect(bodies.filter((b) => b === body)).toHaveLength(1);
    }
    const state = await rig().state(id);
    expect({ app: rig().connect.ticket(id)!.status, zendesk: rig().zendesk.ticket(zd.id)!.status }).toEqual({ app: state.status, zendesk: state.crmStatus });
    // Where each side ends is each conversation's own order, as on rules 1.3 with both read at
    // once (measured): the app shows the agent's reply last (PENDING), Zendesk the user's message
    // the bridge copied after the reply (Zendesk reopens a pending ticket on the requester's comment).
    expect([state.status, state.crmStatus]).toEqual(['PENDING', 'open']);

    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('remembered-source-conflict', handle);
  });

  test("a reply refused from the last knowledge (the app's ticket gone, its DELETE still on its way) has the app read, never kept to retry", async () => {
    const { id, zd, handle } = await openConnectTicket(rig(), 'remembered');
    await rig().env.sleep(1_000);
    rig().connect.webhooks.hold();
    await rig().connect.userDeletesTicket(id);
    await rig().zendesk.agentReplies(zd.id, 'Are you still there?', { status: 'pending' });

    await eventually(async () => expect((await rig().state(id)).timeline.map((t) => t.detail)).toContainEqual(expect.stringMatching(/^app ticket read as 404 \(1\)/)), { timeoutMs: 20_000 });
    const state = await rig().state(id);
    const timeline = state.timeline.map((t) => t.detail);
    expect(timeline).toContain('app ticket changed since the bridge last saw it: reading it');
    expect(timeline.filter((t) => /refused/.test(t))).toEqual([]);
    expect(state.lastError).toBeNull();

    // The DELETE arrives: the ticket ends as a deleted one does.
    await rig().connect.webhooks.release();
    await eventually(async () => expect((await rig().state(id)).completed).toBe(true), { timeoutMs: 20_000 });
    expect(await handle.result()).toMatchObject({ completed: true });
    await recordHistory('remembered-source-refused', handle);
  });

  // Found by review: the reply's status check knew a new comment or a close, not the user's own
  // "resolved", so a decision from the last knowledge wrote PENDING over it, and the user's
  // notification then found nothing new.
  test("the user's \"resolved\" whose notification is still on its way is not written over: a conflict, both sides read, the later action stands", async () => {
    const { id, zd, handle } = await askedAndAnswered('Did the new router arrive?', 'Yes, setting it up now.');

    await rig().zendesk.agentAssigns(zd.id, rig().zendesk.agent.id);
    await rig().env.sleep(1_000);
    // The agent replies; a second and a half later the user marks it resolved in the app. The
    // bridge hears the agent first (the app's notification is still on its way).
    rig().zendesk.webhooks.hold();
    rig().connect.webhooks.hold();
    await rig().zendesk.agentReplies(zd.id, 'Tell us if the light turns green.', { status: 'pending' });
    await rig().env.sleep(1_500);
    await rig().connect.userSetsStatus(id, 'SOLVED');
    await rig().zendesk.webhooks.release();

    await eventually(() => expect(rig().zendesk.ticket(zd.id)!.status).toBe('solved'), { timeoutMs: 20_000 });
    await rig().connect.webhooks.release();
    await rig().env.sleep(2_000);
    expect(rig().connect.ticket(id)!.status).toBe('SOLVED');
    expect(rig().connect.ticket(id)!.comments.filter((c) => c.message === 'Tell us if the light turns green.')).toHaveLength(1);
    const state = await rig().state(id);
    expect(state.timeline.map((t) => t.detail)).toContain('app changed since it was read: reading both sides again');
    expect(state).toMatchObject({ status: 'SOLVED', crmStatus: 'solved' });
    expect(state.solvedTimerDeadline).not.toBeNull();

    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('remembered-source-user-resolved', handle);
  });
});

describe('sync rules 1.5: a solved ticket as last known', () => {
  const rig = rigPerSuite({ workflowSettings: SETTINGS });

  /** A ticket the agent assigned and solved, SOLVED in the app, Zendesk's version settled. */
  async function solvedTicket() {
    const opened = await openConnectTicket(rig(), 'solved');
    await rig().zendesk.agentAssigns(opened.zd.id, rig().zendesk.agent.id);
    await rig().zendesk.agentReplies(opened.zd.id, 'The update is rolled out: solved on our side.', { status: 'solved' });
    await eventually(() => expect(rig().connect.ticket(opened.id)!.status).toBe('SOLVED'));
    await rig().env.sleep(1_000); // the write's own events come and go
    await settle(rig());
    return opened;
  }

  test("the user's confirmation closes Zendesk with one conditional write, no read first: the last read showed it assigned", async () => {
    const { id, zd, handle } = await solvedTicket();
    const mark = rig().zendesk.requests().length;
    await rig().connect.userConfirmsResolved(id);
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    expect(rig().zendesk.ticket(zd.id)!.status).toBe('closed');
    expect(zendeskRequestsOf(rig(), zd.id, mark)).toEqual(['PUT PUT /tickets/:id.json']);
    const put = rig().zendesk.requests().slice(mark).find((r) => r.method === 'PUT');
    expect(put?.body).toMatchObject({ ticket: { status: 'closed', safe_update: true } });
    await recordHistory('solved-from-memory-closed', handle);
  });

  test("an agent's reopen the bridge did not hear of (its event lost) makes the close a conflict: read, decided again from both", async () => {
    const { id, zd, handle } = await solvedTicket();
    rig().zendesk.webhooks.hold();
    await rig().zendesk.agentReplies(zd.id, 'Reopening: one more check on our side.', { status: 'open' });
    rig().zendesk.webhooks.discard();
    await settle(rig());
    const mark = rig().zendesk.requests().length;
    await rig().connect.userConfirmsResolved(id);
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    // The conditional close was refused (409), Zendesk read, and the user's CLOSED decided again.
    const requests = zendeskRequestsOf(rig(), zd.id, mark);
    expect(requests[0]).toBe('PUT PUT /tickets/:id.json');
    expect(rig().zendesk.requests().slice(mark).find((r) => r.method === 'PUT')?.status).toBe(409);
    expect(requests).toContain('GET GET /tickets/:id.json');
    expect(rig().zendesk.ticket(zd.id)!.status).toBe('closed');
    const timeline = (await rig().state(id)).timeline.map((t) => t.detail);
    expect(timeline).toContain('Zendesk changed since it was read: reading both sides again');
    // The user's CLOSED is final: the reply the bridge had not heard of can no longer reach the
    // app, and the agents are told so where they work (as for any reply racing a close).
    expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toEqual(['The update is rolled out: solved on our side.']);
    const reply = rig().zendesk.comments(zd.id).find((c) => c.body === 'Reopening: one more check on our side.')!;
    const notes = rig().zendesk.comments(zd.id).filter((c) => !c.public).map((c) => c.body);
    expect(notes).toContain(undeliveredReplyNote(String(reply.id)));
    await recordHistory('solved-from-memory-conflict', handle);
  });
});

describe('sync rules 1.6: the fingerprints in a search attribute', () => {
  const rig = rigPerSuite({ workflowSettings: SETTINGS });

  /** The search attributes each upsert of the history set, by name (the patch marker's `TemporalChangeVersion` left out). */
  function upsertsOf(events: temporal.api.history.v1.IHistoryEvent[]): string[][] {
    return events.flatMap((e) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
      const names = Object.keys(fields ?? {}).filter((name) => name !== 'TemporalChangeVersion');
      return names.length > 0 ? [names.sort()] : [];
    });
  }

  test('each sync publishes its status and what it saw in one upsert; the memo changes once, when the helpdesk ticket is created', async () => {
    const { id, zd, handle } = await openConnectTicket(rig(), 'fingerprints');
    await rig().zendesk.agentReplies(zd.id, 'Which model is it?', { status: 'pending' });
    await eventually(() => expect(rig().connect.ticket(id)!.status).toBe('PENDING'));
    await settle(rig());
    await rig().connect.userComments(id, 'The X200.');
    await eventually(() => expect(rig().zendesk.ticket(zd.id)!.status).toBe('open'));
    await rig().env.sleep(1_000); // the write's own events come and go

    const events = (await handle.fetchHistory()).events ?? [];
    // Rules 1.7 keep 1.6's: a new run records 1.7's marker alone.
    expect(patchIdsIn({ events })).toEqual(['rules-1.7-fresh-create']);
    // The create, the agent's reply, the user's: each sync one upsert, the fingerprints in it.
    const upserts = upsertsOf(events);
    expect(upserts.length).toBeGreaterThanOrEqual(3);
    for (const names of upserts) expect(names).toEqual(['CrmTicketId', 'TicketFingerprints', 'TicketSource', 'TicketStatus']);
    expect(events.filter((e) => e.workflowPropertiesModifiedEventAttributes)).toHaveLength(1);

    const described = await handle.describe();
    const { fingerprints } = await rig().state(id);
    expect(described.typedSearchAttributes.get(TicketFingerprintsKey)).toBe(fingerprintsKeyword(fingerprints));
    expect(described.memo).toStrictEqual({ ticket: `connect ticket ${id}`, crmTicket: `zendesk ticket ${zd.id}`, parked: 0 });

    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    expect((await handle.describe()).typedSearchAttributes.get(TicketStatusKey)).toBe('CLOSED');
    await recordHistory('searchable-fingerprints', handle);
  });

  test("a run continued from one on rules 1.5 drops the memo's status and fingerprints with its first memo change", async () => {
    const id = `carried-${randomUUID().slice(0, 8)}`;
    const url = rig().connect.webhookUrl;
    rig().connect.webhookUrl = undefined; // started below, with the memo a 1.5 run leaves
    try {
      await rig().connect.userCreatesTicket({ id, title: 'Smart plug offline', description: 'Since the update.' });
    } finally {
      rig().connect.webhookUrl = url;
    }
    // What continue-as-new carries from a run on rules 1.5 (the memo as it published it).
    const handle = await rig().env.client.workflow.signalWithStart(TICKET_WORKFLOW_TYPE, {
      workflowId: ticketWorkflowId('connect', id),
      taskQueue: rig().taskQueue,
      args: [{ source: 'connect', sourceTicketId: id, settings: { ...DEFAULT_WORKFLOW_SETTINGS, ...SETTINGS } }],
      signal: sourceChangedSignal,
      signalArgs: [{ kind: 'created', eventId: null, receivedAt: new Date().toISOString(), snapshot: null }],
      memo: { ticket: `connect ticket ${id}`, crmTicket: 'not created yet', status: 'NEW', fingerprints: { source: null, crm: null } },
    });
    const zd = await rig().zendeskTicketFor(id);
    await eventually(async () =>
      expect((await handle.describe()).memo).toStrictEqual({ ticket: `connect ticket ${id}`, crmTicket: `zendesk ticket ${zd.id}`, parked: 0 }),
    );
    const { fingerprints } = await rig().state(id);
    expect((await handle.describe()).typedSearchAttributes.get(TicketFingerprintsKey)).toBe(fingerprintsKeyword(fingerprints));
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('carried-memo-of-rules-1-5', handle);
  });
});

describe("sync rules 1.7: a fresh ticket's create does not look for a copy first", () => {
  const rig = rigPerSuite({ workflowSettings: SETTINGS });

  /** The bridge's lookups by external id, and its creates, of one ticket. */
  const lookupsOf = (externalId: string) => rig().zendesk.requests('GET /tickets.json').filter((r) => r.query.external_id === externalId);
  const createsOf = (externalId: string) =>
    rig().zendesk.requests('POST /tickets.json').filter((r) => (r.body as { ticket: { external_id: string } }).ticket.external_id === externalId);

  test('a ticket the bridge hears of as it is made: one create and no lookup; the run records one marker, 1.7', async () => {
    const { id, zd, handle } = await openConnectTicket(rig(), 'fresh');
    expect(lookupsOf(`connect:${id}`)).toEqual([]);
    expect(createsOf(`connect:${id}`)).toHaveLength(1);
    expect(rig().zendesk.tickets().filter((t) => t.external_id === `connect:${id}`).map((t) => t.id)).toEqual([zd.id]);
    expect(patchIdsIn(await handle.fetchHistory())).toEqual(['rules-1.7-fresh-create']);

    // The rest of the ticket's life is 1.6's.
    await rig().zendesk.agentReplies(zd.id, 'Which model is it?', { status: 'pending' });
    await eventually(() => expect(rig().connect.ticket(id)!.status).toBe('PENDING'));
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('fresh-create', handle);
  });

  test("a ticket whose runs' records are gone (past retention) is looked up when it is more than an hour old: adopted, not made twice", async () => {
    const id = `aged-${randomUUID().slice(0, 8)}`;
    const createdAt = new Date(Date.now() - 3 * 60 * 60_000).toISOString();
    await rig().connect.userCreatesTicket({ id, title: 'Meter', description: 'No reading since Monday.', createdAt });
    const zd = await rig().zendeskTicketFor(id);
    const handle = rig().env.client.workflow.getHandle(ticketWorkflowId('connect', id));
    await eventually(async () => expect((await rig().state(id)).crmTicketId).toBe(String(zd.id)));
    // An hour-old ticket is looked up even on its first run: its earlier runs could be past retention.
    expect(lookupsOf(`connect:${id}`)).toHaveLength(1);

    // Its run and its record go, as retention would remove them.
    const { runId } = await handle.describe();
    await rig().env.client.workflowService.deleteWorkflowExecution({
      namespace: rig().env.namespace,
      workflowExecution: { workflowId: handle.workflowId, runId },
    });
    await eventually(async () => expect(await handle.describe().then(() => 'on record', () => 'gone')).toBe('gone'), { timeoutMs: 60_000 });

    // Its CREATE comes again (a redelivery): a run starts with no run on record, and still finds the copy.
    const res = await fetch(`${rig().api.url}/webhooks/connect?auth_token=${rig().apiConfig.connectWebhookToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'CREATE', ticketId: id }),
    });
    expect(res.status).toBe(202);
    await eventually(async () => expect((await rig().state(id)).timeline.map((t) => t.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/^adopted Zendesk ticket/)])));
    await rig().connect.userComments(id, 'Still nothing.');
    await eventually(() => expect(rig().zendesk.comments(zd.id).map((c) => c.body)).toContain('Still nothing.'));
    expect(rig().zendesk.tickets().filter((t) => t.external_id === `connect:${id}`)).toHaveLength(1);
    expect(createsOf(`connect:${id}`)).toHaveLength(1);
    expect(lookupsOf(`connect:${id}`)).toHaveLength(2);
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('fresh-create-aged-ticket', handle);
  });
});
