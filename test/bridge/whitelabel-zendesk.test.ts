/**
 * The white-label source end to end: the platform simulator sends the seed's four example events,
 * signed, to the real API, which signals real ticket workflows on the Temporal harness, whose
 * activities write to the Zendesk simulator and back to the platform simulator over HTTP.
 *
 * Issue 4's "Done when": the right Zendesk tickets, comments, assignee and status; re-sending any
 * event changes nothing; out of order ends in the same state; plus the write-back direction (an
 * agent's public reply reaches the platform, and the platform's event for it is no echo).
 */
import { randomUUID } from 'node:crypto';
import { ticketWorkflowId } from '../../src/domain/ticket';
import {
  SEED_EVENTS,
  SEED_TICKET_ASSIGNED,
  SEED_TICKET_CREATED,
  SEED_TICKET_RESOLVED,
  SEED_TICKET_UPDATED,
  type WhitelabelEventPayload,
} from '../../src/simulators/whitelabel';
import type { ZdUser } from '../../src/simulators/zendesk';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(120_000);

const ISSUE = 'the client is having issues with the billing settings ';
const GREETING = 'thanks for contacting our support an agent will be with you shortly ';
const INVESTIGATING = 'your request is under investigation we will provide an update as soon as possible ';
/** How a support reply written in the platform itself shows in Zendesk (the workflow's rule for SUPPORT comments). */
const note = (text: string) => `Support reply posted in the app (not from this helpdesk):\n\n${text}`;

const CREATED_ID = SEED_TICKET_CREATED.data.ticket.id; // created, then updated
const RESOLVED_ID = SEED_TICKET_RESOLVED.data.ticket.id;
const ASSIGNED_ID = SEED_TICKET_ASSIGNED.data.ticket.id;
const SEED_TICKET_IDS = [CREATED_ID, RESOLVED_ID, ASSIGNED_ID];
const TEAMMATE_ID = SEED_TICKET_ASSIGNED.data.ticket.teammate_id!;
const CLIENT_EMAIL = 'client.doe@plugnpaid.com';

/** A rig whose WHITELABEL_ASSIGNEES maps the seed's teammate onto a Zendesk agent of its own. */
async function startRig(): Promise<{ rig: BridgeRig; teammate: ZdUser }> {
  let teammate: ZdUser | undefined;
  const rig = await startBridgeRig({
    whitelabelAssignees: (zendesk) => {
      teammate = zendesk.addAgent('Tess Teammate', 'tess@example.test');
      return { [TEAMMATE_ID]: String(teammate.id) };
    },
  });
  return { rig, teammate: teammate! };
}

const externalId = (ticketId: string) => `whitelabel:${ticketId}`;

function zendeskTicket(rig: BridgeRig, ticketId: string) {
  const ticket = rig.zendesk.ticketByExternalId(externalId(ticketId));
  if (!ticket) throw new Error(`no Zendesk ticket for ${ticketId} yet`);
  return ticket;
}

/** Everything Zendesk holds, as is (ids, timestamps and all): for before/after comparisons on one rig. */
function zendeskSnapshot(rig: BridgeRig) {
  return rig.zendesk.tickets().map((ticket) => ({ ticket, comments: rig.zendesk.comments(ticket.id) }));
}

/** Zendesk's state without the ids and times that differ between two rigs: for comparing runs. */
function zendeskNormalised(rig: BridgeRig) {
  const who = (id: number | null) => {
    if (id === null) return null;
    const u = rig.zendesk.user(id)!;
    return `${u.role}:${u.name}<${u.email}>`;
  };
  return rig.zendesk
    .tickets()
    .sort((a, b) => (a.external_id ?? '').localeCompare(b.external_id ?? ''))
    .map((t) => ({
      externalId: t.external_id,
      subject: t.subject,
      description: t.description,
      status: t.status,
      requester: who(t.requester_id),
      submitter: who(t.submitter_id),
      assignee: who(t.assignee_id),
      tags: [...t.tags].sort(),
      via: t.via,
      comments: rig.zendesk.comments(t.id).map((c) => ({ author: who(c.author_id), public: c.public, body: c.body, via: c.via })),
    }));
}

/** The workflows' `state`, without times and per-run counters (syncs coalesce differently). */
async function workflowsNormalised(rig: BridgeRig) {
  return Promise.all(
    SEED_TICKET_IDS.map(async (id) => {
      const s = await rig.stateOf('whitelabel', id);
      return {
        id,
        status: s.status,
        sourceStatus: s.sourceStatus,
        crmStatus: s.crmStatus,
        linked: s.crmTicketId !== null,
        solvedTimerPending: s.solvedTimerDeadline !== null,
        lastError: s.lastError,
        notes: s.notes.map((n) => n.replace(/^\S+ /, '')),
        completed: s.completed,
      };
    }),
  );
}

/** Writes the bridge made (never GETs), per simulator. */
const writes = (rig: BridgeRig) => ({
  zendesk: rig.zendesk.requests().filter((r) => r.method !== 'GET').length,
  whitelabel: rig.whitelabel.requests().filter((r) => r.method !== 'GET').length,
});

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<BridgeRig['env']['client']['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

function history(rig: BridgeRig, ticketId: string): Promise<HistoryEvent[]> {
  return rig.env.client.workflow
    .getHandle(ticketWorkflowId('whitelabel', ticketId))
    .fetchHistory()
    .then((h) => h.events ?? []);
}

function lastIndex(events: HistoryEvent[], matches: (e: HistoryEvent) => unknown): number {
  for (let i = events.length - 1; i >= 0; i--) if (matches(events[i]!)) return i;
  return -1;
}

/** No workflow task or activity outstanding: the workflow has done everything it was told so far. */
function isQuiet(events: HistoryEvent[]): boolean {
  const lastScheduled = lastIndex(events, (e) => e.workflowTaskScheduledEventAttributes);
  const lastCompleted = lastIndex(events, (e) => e.workflowTaskCompletedEventAttributes || e.workflowExecutionCompletedEventAttributes);
  if (lastScheduled > lastCompleted) return false;
  const open = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => String(e.eventId)));
  for (const e of events) {
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (closed) open.delete(String(closed.scheduledEventId));
  }
  return open.size === 0;
}

/**
 * Waits until the bridge is done with everything sent so far: no webhook in flight from either
 * simulator (the Zendesk echoes of the bridge's own writes included), and every ticket workflow
 * quiet with a history that stopped growing between two looks.
 */
async function settled(rig: BridgeRig, ticketIds: readonly string[] = SEED_TICKET_IDS): Promise<void> {
  let previous = '';
  await eventually(
    async () => {
      await rig.zendesk.webhooks.idle();
      await rig.whitelabel.webhooks.idle();
      const histories = await Promise.all(ticketIds.map((id) => history(rig, id)));
      if (!histories.every(isQuiet)) throw new Error('a workflow is still working');
      const lengths = histories.map((h) => h.length).join(',');
      if (lengths !== previous) {
        previous = lengths;
        throw new Error('histories still growing');
      }
    },
    { timeoutMs: 30_000, intervalMs: 150 },
  );
}

const signals = (events: HistoryEvent[]) => events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;

describe('white-label events ⇄ Zendesk through one workflow per ticket', () => {
  let rig: BridgeRig;
  let teammate: ZdUser;
  /** Both sides right after the four seed events, in order: the reference for the out-of-order run. */
  let inOrder: { zendesk: ReturnType<typeof zendeskNormalised>; workflows: Awaited<ReturnType<typeof workflowsNormalised>> };

  beforeAll(async () => {
    ({ rig, teammate } = await startRig());
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  test("the seed's four events, signed and in the seed's order, make the right Zendesk tickets", async () => {
    const deliveries = await rig.whitelabel.sendSeedEvents();
    expect(deliveries.map((d) => [d.payload.event_id, d.status])).toEqual(SEED_EVENTS.map((e) => [e.event_id, 202]));
    await eventually(() => SEED_TICKET_IDS.map((id) => zendeskTicket(rig, id)));
    await settled(rig);

    const bridge = rig.zendesk.bridgeUser.id;
    const zendeskTickets = rig.zendesk.tickets();
    expect(zendeskTickets.map((t) => t.external_id).sort()).toEqual(SEED_TICKET_IDS.map(externalId).sort());
    // One requester for the three tickets: the platform's client, matched by e-mail.
    const requesterIds = new Set(zendeskTickets.map((t) => t.requester_id));
    expect(requesterIds.size).toBe(1);
    expect(rig.zendesk.user([...requesterIds][0]!)).toMatchObject({ name: 'james doe', email: CLIENT_EMAIL, role: 'end-user' });
    for (const t of zendeskTickets) {
      expect(t).toMatchObject({ subject: 'help with account', tags: expect.arrayContaining(['ticket-bridge', 'source-whitelabel']) });
    }
    const comments = (id: string) => rig.zendesk.comments(zendeskTicket(rig, id).id).map((c) => [c.author_id, c.public, c.body]);

    // created + updated: the opening reply is the description (once); the platform's agent replies
    // (its auto-reply, then "under investigation") are internal notes by the bridge.
    const created = zendeskTicket(rig, CREATED_ID);
    expect(created).toMatchObject({ description: ISSUE, status: 'new', assignee_id: null });
    expect(comments(CREATED_ID)).toEqual([
      [bridge, true, ISSUE],
      [bridge, false, note(GREETING)],
      [bridge, false, note(INVESTIGATING)],
    ]);

    // resolved (`is_open: false`): solved in Zendesk, which needs an assignee, so the bridge's user.
    expect(zendeskTicket(rig, RESOLVED_ID)).toMatchObject({ description: ISSUE, status: 'solved', assignee_id: bridge });
    expect(comments(RESOLVED_ID)).toEqual([
      [bridge, true, ISSUE],
      [bridge, false, note(GREETING)],
    ]);

    // assigned: the mapped teammate is the Zendesk agent WHITELABEL_ASSIGNEES names.
    expect(zendeskTicket(rig, ASSIGNED_ID)).toMatchObject({ description: 'help with account', assignee_id: teammate.id });
    expect(comments(ASSIGNED_ID)).toEqual([
      [bridge, true, 'help with account'],
      [bridge, false, note(GREETING)],
    ]);
    // The timeline records the assignment, by ids only.
    expect((await rig.stateOf('whitelabel', ASSIGNED_ID)).timeline.map((e) => e.detail)).toContain(
      `assignee → Zendesk user ${teammate.id} (white-label assignee ${TEAMMATE_ID})`,
    );

    // The workflows agree, and nothing needed a human.
    const states = await workflowsNormalised(rig);
    expect(states).toEqual([
      expect.objectContaining({ id: CREATED_ID, status: 'NEW', linked: true, notes: [], lastError: null, completed: false }),
      expect.objectContaining({ id: RESOLVED_ID, status: 'SOLVED', crmStatus: 'solved', solvedTimerPending: true, notes: [], lastError: null }),
      expect.objectContaining({ id: ASSIGNED_ID, status: 'NEW', linked: true, notes: [], lastError: null, completed: false }),
    ]);
    // Events are notifications: the bridge read each ticket back, and never wrote to the platform.
    const platformRequests = rig.whitelabel.requests();
    expect(platformRequests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(new Set(platformRequests.map((r) => r.path.split('/').at(-1)))).toEqual(new Set(SEED_TICKET_IDS));

    inOrder = { zendesk: zendeskNormalised(rig), workflows: states };
  });

  test.each([
    ['created', SEED_TICKET_CREATED],
    ['updated', SEED_TICKET_UPDATED],
    ['resolved', SEED_TICKET_RESOLVED],
    ['assigned', SEED_TICKET_ASSIGNED],
  ])('re-sending the %s event (twice) changes nothing', async (_name, event: WhitelabelEventPayload) => {
    await settled(rig);
    const before = { zendesk: zendeskSnapshot(rig), writes: writes(rig) };
    const ticketId = event.data.ticket.id;
    const signalsBefore = signals(await history(rig, ticketId));
    const notificationsBefore = (await rig.stateOf('whitelabel', ticketId)).counts.notifications;

    // Freshly signed at each delivery, exactly as the platform retries.
    const deliveries = await rig.whitelabel.sendEvents([event], { times: 2 });
    expect(deliveries.map((d) => d.status)).toEqual([202, 202]);
    await settled(rig);

    // Both deliveries reached the workflow, and neither made it do anything.
    const events = await history(rig, ticketId);
    expect(signals(events)).toBe(signalsBefore + 2);
    const firstNewSignal = events.findIndex((e, i) => e.workflowExecutionSignaledEventAttributes && signals(events.slice(0, i + 1)) > signalsBefore);
    expect(events.slice(firstNewSignal).filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    // Dropped as redeliveries (by event_id), not even counted as news.
    expect((await rig.stateOf('whitelabel', ticketId)).counts.notifications).toBe(notificationsBefore);
    expect({ zendesk: zendeskSnapshot(rig), writes: writes(rig) }).toEqual(before);
  });

  test('the same four events in reverse order, on a fresh bridge, end in the same state', async () => {
    expect(inOrder).toBeDefined();
    const fresh = await startRig();
    try {
      // Reverse: assigned, resolved, updated, created — the update arrives before its ticket's creation.
      const deliveries = await fresh.rig.whitelabel.sendSeedEvents({ order: 'reverse' });
      expect(deliveries.map((d) => [d.payload.event_id, d.status])).toEqual([...SEED_EVENTS].reverse().map((e) => [e.event_id, 202]));
      await eventually(() => SEED_TICKET_IDS.map((id) => zendeskTicket(fresh.rig, id)));
      await settled(fresh.rig);

      expect(zendeskNormalised(fresh.rig)).toEqual(inOrder.zendesk);
      expect(await workflowsNormalised(fresh.rig)).toEqual(inOrder.workflows);
    } finally {
      await fresh.rig.teardown();
    }
  });

  test('an unmapped teammate leaves the Zendesk ticket unassigned, with a note in the workflow state', async () => {
    const ticketId = randomUUID();
    const stranger = randomUUID();
    const event: WhitelabelEventPayload = structuredClone(SEED_TICKET_ASSIGNED);
    event.event_id = `whev_${randomUUID().replaceAll('-', '').slice(0, 17)}`;
    event.data.ticket.id = ticketId;
    event.data.ticket.teammate_id = stranger;
    rig.whitelabel.loadTickets([event.data.ticket]);

    const deliveries = await rig.whitelabel.sendEvents([event]);
    expect(deliveries.map((d) => d.status)).toEqual([202]);
    await eventually(() => zendeskTicket(rig, ticketId));
    await settled(rig, [ticketId]);

    expect(zendeskTicket(rig, ticketId)).toMatchObject({ assignee_id: null, status: 'new' });
    const state = await rig.stateOf('whitelabel', ticketId);
    expect(state.notes).toEqual([expect.stringContaining(`Assignee ${stranger} has no CRM user in the assignee mapping`)]);
    expect(state.lastError).toBeNull();
  });

  test("a client reply is the requester's public comment; an agent's public reply reaches the platform and is not echoed back", async () => {
    await settled(rig);
    const zd = zendeskTicket(rig, CREATED_ID);
    const before = rig.zendesk.comments(zd.id);

    // The client answers in the platform: a public comment from the requester, the ticket open.
    const { webhooks } = await rig.whitelabel.clientReplies(CREATED_ID, 'I still cannot change my billing address');
    expect(webhooks.map((w) => w.status)).toEqual([202]);
    await eventually(() => {
      const last = rig.zendesk.comments(zd.id).at(-1)!;
      expect([last.author_id, last.public, last.body]).toEqual([zd.requester_id, true, 'I still cannot change my billing address']);
      expect(rig.zendesk.ticket(zd.id)!.status).toBe('open');
    });
    await settled(rig);

    // The agent answers publicly in Zendesk: the bridge posts it to the platform (POST reply).
    const deliveredBefore = rig.whitelabel.webhooks.deliveries.length;
    await rig.zendesk.agentReplies(zd.id, 'Fixed: please try again now.');
    await eventually(() => {
      const replies = rig.whitelabel.ticket(CREATED_ID)!.replies;
      expect(replies.at(-1)).toMatchObject({ text: 'Fixed: please try again now.', is_client_reply: false });
    });
    await settled(rig);

    const posted = rig.whitelabel.requests('POST /tickets/:id/replies');
    expect(posted.map((r) => [r.path, r.body, r.status])).toEqual([
      [`/tickets/${CREATED_ID}/replies`, { text: 'Fixed: please try again now.' }, 201],
    ]);
    // The platform sent its event for that reply (signed, accepted)…
    const echo = rig.whitelabel.webhooks.deliveries.slice(deliveredBefore);
    expect(echo.map((d) => [d.payload.event_type, d.payload.data.reply?.text, d.status])).toEqual([
      ['whitelabel_ticket_updated', 'Fixed: please try again now.', 202],
    ]);
    // …and Zendesk got nothing new from it: no second copy, no "posted in the app" note.
    expect(rig.zendesk.comments(zd.id).map((c) => [c.author_id, c.public, c.body])).toEqual([
      ...before.map((c) => [c.author_id, c.public, c.body]),
      [zd.requester_id, true, 'I still cannot change my billing address'],
      [rig.zendesk.agent.id, true, 'Fixed: please try again now.'],
    ]);
    const state = await rig.stateOf('whitelabel', CREATED_ID);
    expect(state.counts).toMatchObject({ userCommentsToCrm: 1, agentRepliesToSource: 1 });
    expect(state).toMatchObject({ status: 'PENDING', lastError: null });
  });
});
