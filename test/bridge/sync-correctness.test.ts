/**
 * Nothing lost, nothing doubled (issue 10): scenarios a review reproduced against the bridge,
 * each end to end through the production assembly (API + worker, src/runtime/bridge.ts) on the
 * real Temporal dev server, with the simulators and their fault injection. Each failed before
 * the fix it names. Each runs on both helpdesks (issue 20), but for a Zendesk-only concept.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ReconcileSummary } from '../../src/activities/reconcile';
import { RECONCILER_WORKFLOW_ID } from '../../src/workflows/reconciler';
import { SEED_TICKET_CREATED } from '../../src/simulators/whitelabel/seed-events';
import { closeUpdate, PATCHES, resyncUpdate, type TicketWorkflowInput } from '../../src/workflows/definitions';
import { eventually } from '../harness';
import type { CrmKind } from '../../src/config/freshdesk';
import { openTicket as openTicketOn, rigPerSuite, type BridgeRig, type BridgeRigOptions } from '../support/bridge-rig';
import { HELPDESKS } from '../support/helpdesks';
import { patchIdsIn, recordHistory } from '../support/histories';

jest.setTimeout(120_000);

/** Real time, kept short: the SOLVED timer, the back-off after a failed sync, the 404 window. */
const SETTINGS = { solvedAutoCloseAfterMs: 5_000, failedSyncRetryMs: 1_000, sourceGoneAfterMs: 4_000 };

function rigFor(crm: CrmKind, options: BridgeRigOptions = {}) {
  return rigPerSuite({ ...options, crm, zendeskNow: helpdeskClock.now, freshdeskNow: helpdeskClock.now, workflowSettings: { ...SETTINGS, ...options.workflowSettings } });
}

const openTicket = (rig: BridgeRig) => openTicketOn(rig, 's');

/**
 * Histories recorded for the replay fixtures come from the Zendesk runs: the fixture is one
 * history per path through the workflow code, whichever the helpdesk.
 */
async function recordOn(rig: BridgeRig, name: string, handle: WorkflowHandle): Promise<void> {
  if (rig.helpdesk.kind === 'zendesk') await recordHistory(name, handle);
}

/** Runs `act` while Connect's webhooks are lost (the platform does not retry). */
async function withoutConnectWebhooks<T>(rig: BridgeRig, act: () => Promise<T>): Promise<T> {
  const url = rig.connect.webhookUrl;
  rig.connect.webhookUrl = undefined;
  try {
    return await act();
  } finally {
    rig.connect.webhookUrl = url;
  }
}

async function solved(rig: BridgeRig, id: string, ticketId: number): Promise<void> {
  await rig.helpdesk.agentAssigns(ticketId, rig.helpdesk.agentId); // Zendesk: solving needs an assignee
  await rig.helpdesk.agentReplies(ticketId, 'Fixed on our side.', { status: 'solved' });
  await eventually(async () => expect((await rig.state(id)).status).toBe('SOLVED'));
  expect(rig.connect.ticket(id)!.status).toBe('SOLVED');
}

/**
 * "Not resolved" on a solved ticket: the user's comment lands in the helpdesk but its answer is
 * lost, then the helpdesk refuses writes; the agent reads the comment there, answers and solves
 * again before the bridge is done; then the helpdesk takes writes again. Returns once the agent's
 * reply is in the app. `agentInTheUsersSecond`: the helpdesk's clock holds the second the user
 * commented in, as if the agent had answered within it (the helpdesk tells time to the second);
 * else the agent answers in a later second.
 */
async function lateStatusWrite(rig: BridgeRig, { agentInTheUsersSecond }: { agentInTheUsersSecond: boolean }) {
  const opened = await openTicket(rig);
  const { id, ticketId } = opened;
  await solved(rig, id, ticketId);
  if (agentInTheUsersSecond) {
    await rig.env.sleep(1_100); // the solve's second is over: the held one is the user's only
    helpdeskClock.holdSecond();
  }
  try {
    rig.helpdesk.fault(['comment write'], { kind: 'drop-after-write', times: 1 });
    const outage = rig.helpdesk.fault(['comment write', 'status write'], { kind: 'error', status: 503 });
    await rig.connect.userComments(id, 'Still offline this morning.');
    await eventually(() => expect(rig.helpdesk.texts(ticketId)).toContain('Still offline this morning.'));
    await rig.env.sleep(1_100); // the agent reads it in the helpdesk: a later second, as a clock that runs tells
    await rig.helpdesk.agentReplies(ticketId, 'Reset it remotely, it reports again.', { status: 'solved' });
    outage.remove();
    await eventually(() => expect(rig.connect.ticket(id)!.comments.map((c) => c.message)).toContain('Reset it remotely, it reports again.'), {
      timeoutMs: 60_000,
    });
  } finally {
    helpdeskClock.release();
  }
  return opened;
}

/** The helpdesks' clock: the real one, or the start of one second, held (every change then falls in it, whatever the load). */
const helpdeskClock = {
  held: null as Date | null,
  now: (): Date => helpdeskClock.held ?? new Date(),
  holdSecond(): void {
    helpdeskClock.held = new Date(Math.floor(Date.now() / 1000) * 1000);
  },
  release(): void {
    helpdeskClock.held = null;
  },
};

describe.each(HELPDESKS)('issue 10: read both sides, decide once, write only what is still true, on %s', (crm) => {
  const rig = rigFor(crm);

  test('2. the SOLVED timer reads before it closes: a lost "not resolved" still reaches the helpdesk', async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    await solved(rig(), id, ticketId);
    // The user answers "not resolved" just before the timer fires, and that webhook is lost.
    await withoutConnectWebhooks(rig(), () => rig().connect.userRejectsResolution(id, 'Still cold in the kitchen.'));
    await rig().env.sleep(SETTINGS.solvedAutoCloseAfterMs + 2_000);

    await eventually(() => expect(rig().helpdesk.texts(ticketId)).toContain('Still cold in the kitchen.'));
    expect(rig().helpdesk.status(ticketId)).toBe('open');
    expect(rig().connect.ticket(id)!.status).toBe('PENDING');
    const state = await rig().state(id);
    expect(state).toMatchObject({ status: 'OPEN', completed: false, solvedTimerDeadline: null });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // Then the user confirms after all: the run completes (a whole path for the replay fixture).
    await rig().connect.userConfirmsResolved(id);
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordOn(rig(), 'not-resolved-read-by-the-timer', handle);
  });

  test('3. a transient 404 on the source is not a deletion: the ticket lives on and syncs', async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    // A misrouted load balancer: the ticket reads as 404 for a moment, as a user comment arrives.
    const notFound = rig().connect.fault({ kind: 'error', status: 404, match: 'GET /tickets/:id', forMs: 1_500 });
    await rig().connect.userComments(id, 'Any news?');
    await eventually(() => expect(notFound.hits).toBeGreaterThan(0));
    await rig().env.sleep(2_000);

    await eventually(() => expect(rig().helpdesk.texts(ticketId)).toContain('Any news?'), { timeoutMs: 20_000 });
    expect(rig().helpdesk.status(ticketId)).not.toBe('solved');
    expect(rig().helpdesk.messages(ticketId).filter((c) => !c.public)).toEqual([]); // no "deleted" note
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  test('5. a 4xx on the SOLVED timer path is recorded and retried, never a failed workflow', async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    await solved(rig(), id, ticketId);
    const refused = rig().connect.fault({ kind: 'error', status: 400, match: 'PUT /tickets/:id', times: 1 });
    await eventually(() => expect(refused.hits).toBe(1), { timeoutMs: 20_000 });
    // Not failed: still running, or already completed (an event, such as the helpdesk's webhook for
    // the close, may bring the next sync before the back-off ends: seen on Freshdesk).
    expect(['RUNNING', 'COMPLETED']).toContain((await handle.describe()).status.name);
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'CLOSED', completed: true });
    expect(rig().connect.ticket(id)!.status).toBe('CLOSED');
    expect(rig().helpdesk.status(ticketId)).toBe('closed');
    expect(final.timeline.map((e: { detail: string }) => e.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/^setSourceStatus: bad-request/)]));
    await recordOn(rig(), 'solved-timer-closes-after-a-refused-write', handle);
  });

  test('7. a comment whose write landed but whose activity then failed is not posted again by the next sync', async () => {
    const { id, ticketId } = await openTicket(rig());
    // The write lands, its answer is lost; the retry's "did it land?" read is refused (403),
    // so the activity fails for good and the sync is retried later with a fresh activity.
    rig().helpdesk.fault(['comment write'], { kind: 'drop-after-write', times: 1 });
    rig().helpdesk.fault(['comments read'], { kind: 'error', status: 403, times: 1 });
    await rig().connect.userComments(id, 'Meter photo attached.');
    await eventually(async () => expect((await rig().state(id)).counts.userCommentsToCrm).toBe(1), { timeoutMs: 30_000 });
    await rig().env.sleep(2_000);
    expect(rig().helpdesk.texts(ticketId).filter((text) => text === 'Meter photo attached.')).toHaveLength(1);
  });

  // Found by CI (the operator-updates timeline on Freshdesk, 2 runs in 3): Freshdesk has no "new",
  // so the ticket the bridge creates as new is open there. When the first read after the create
  // already carried the agent's reply (the create's own webhook came late, or was lost), that
  // open read as an agent's move and the app went to OPEN, not to PENDING as for any other reply.
  test("13. an agent's first reply, read together with what the helpdesk made of the create, leaves the app PENDING", async () => {
    const helpdeskSim = rig().freshdesk ?? rig().zendesk;
    const url = helpdeskSim.webhookUrl;
    helpdeskSim.webhookUrl = undefined; // the create's own webhook is lost
    const { id, ticketId, handle } = await openTicket(rig()).finally(() => (helpdeskSim.webhookUrl = url));
    await rig().helpdesk.agentReplies(ticketId, 'Refund issued today.');
    await eventually(() => expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toContain('Refund issued today.'));
    await eventually(() => expect(rig().connect.ticket(id)!.status).toBe('PENDING'));
    expect((await rig().state(id)).status).toBe('PENDING');
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    if (crm === 'freshdesk') await recordHistory('created-status-kept', handle);
  });

  test('12. a 3 MB conversation syncs to the end: no read result nears the 2 MB payload limit', async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    // 48 messages of 64 KB (Zendesk's comment size) arrive while the webhooks are lost (no
    // trailing space: Freshdesk renders a note's text from its HTML, trimmed).
    const bodies = Array.from({ length: 48 }, (_, i) => `${String(i).padStart(2, '0')} ${'meter log '.repeat(6_550).trimEnd()}`);
    await withoutConnectWebhooks(rig(), async () => {
      for (const body of bodies) await rig().connect.userComments(id, body);
    });
    await rig().connect.userComments(id, 'That is all of it.');
    const expected = ['No heat since Sunday.', ...bodies, 'That is all of it.'];
    await eventually(() => expect(rig().helpdesk.texts(ticketId)).toEqual(expected), { timeoutMs: 90_000, intervalMs: 500 });

    // The way back reads that 3 MB helpdesk ticket too.
    await rig().helpdesk.agentReplies(ticketId, 'Thanks, reading it all now.');
    await eventually(() => expect(rig().connect.ticket(id)!.comments.filter((c) => c.author === 'SUPPORT').map((c) => c.message)).toEqual(['Thanks, reading it all now.']), {
      timeoutMs: 30_000,
    });
    const history = await handle.fetchHistory();
    const largest = Math.max(...history.events!.map((e) => (e.activityTaskCompletedEventAttributes?.result?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0)));
    expect(largest).toBeLessThan(512 * 1024);
  }, 180_000);

  test("1. the user's confirmation is final: an agent's reply and pending set meanwhile do not reopen it", async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    await solved(rig(), id, ticketId);
    // The user confirms, and that webhook is late (lost here). Meanwhile the agent replies and sets
    // pending: the bridge hears of that first, and reads both sides.
    await withoutConnectWebhooks(rig(), () => rig().connect.userSetsStatus(id, 'CLOSED'));
    await rig().helpdesk.agentReplies(ticketId, 'One more thing: restart the meter.', { status: 'pending' });
    await eventually(() => expect(rig().helpdesk.status(ticketId)).toBe('closed'), { timeoutMs: 30_000 });
    expect(rig().connect.ticket(id)!.status).toBe('CLOSED');
    // The reply could not reach a closed ticket: the agents are told so, in an internal note.
    expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).not.toContain('One more thing: restart the meter.');
    const notes = rig().helpdesk.messages(ticketId).filter((c) => !c.public).map((c) => c.text);
    expect(notes).toEqual([expect.stringMatching(/^This reply \(comment \d+\) did not reach the user: they had already closed the ticket/)]);
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', sourceStatus: 'CLOSED', crmStatus: 'closed', completed: true });
  });

  test('4. a new run adopts the CRM ticket of a terminated one: only what is missing is sent', async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    await rig().connect.userComments(id, 'First photo.');
    await eventually(() => expect(rig().helpdesk.texts(ticketId)).toContain('First photo.'));
    await rig().helpdesk.agentReplies(ticketId, 'Got the photo, thanks.');
    await eventually(() => expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toContain('Got the photo, thanks.'));
    await eventually(() => expect(rig().helpdesk.texts(ticketId)).toContain('First photo.'));
    // The ticket's workflow is terminated (an operator, or a run that failed); meanwhile both
    // sides move on without it.
    await handle.terminate('scenario 4');
    await withoutConnectWebhooks(rig(), () => rig().connect.userComments(id, 'Second photo.'));
    await rig().helpdesk.agentReplies(ticketId, 'Looks like a loose cable.');
    // The operator's recovery: `resync` starts a new run with empty memory, which adopts the
    // helpdesk ticket (the ticket's next webhook would do the same).
    const res = await fetch(`${rig().api.url}/tickets/connect/${id}/resync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig().apiConfig.opsApiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'terminated by mistake' }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: true, message: expect.stringMatching(/was terminated: a new run started, adopting/) });
    await eventually(() => expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toContain('Looks like a loose cable.'));
    await rig().connect.userComments(id, 'Third photo.');
    await eventually(() =>
      expect(rig().helpdesk.texts(ticketId)).toEqual([
        'No heat since Sunday.',
        'First photo.',
        'Got the photo, thanks.',
        'Looks like a loose cable.',
        'Second photo.', // sent by the new run, after adopting
        'Third photo.',
      ]),
    );
    await eventually(() =>
      expect(rig().connect.ticket(id)!.comments.filter((c) => c.author === 'SUPPORT').map((c) => c.message)).toEqual([
        'Got the photo, thanks.',
        'Looks like a loose cable.',
      ]),
    );
    await rig().env.sleep(2_000);
    // Each comment exactly once on each side.
    const zdBodies = rig().helpdesk.texts(ticketId);
    expect(new Set(zdBodies).size).toBe(zdBodies.length);
    const appBodies = rig().connect.ticket(id)!.comments.map((c) => c.message);
    expect(new Set(appBodies).size).toBe(appBodies.length);
    const adoptedState = await rig().state(id);
    expect(adoptedState.timeline.map((e) => e.detail)).toContainEqual(
      expect.stringMatching(new RegExp(`^adopted ${rig().helpdesk.name} ticket ${ticketId}: 1 comment\\(s\\) already in ${rig().helpdesk.name}, 1 already in the app`)),
    );
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    await recordOn(rig(), 'adopted-after-a-terminated-run', handle);
  });

  test('4. a ticket closed on both sides while no run watched completes without writing anything', async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    await rig().connect.userComments(id, 'It works again.');
    await eventually(() => expect(rig().helpdesk.texts(ticketId)).toContain('It works again.'));
    await rig().helpdesk.agentReplies(ticketId, 'Glad to hear it.');
    await eventually(() => expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toContain('Glad to hear it.'));
    const firstRunId = (await handle.describe()).runId;
    await handle.terminate('scenario 4, closed');
    await rig().helpdesk.agentAssigns(ticketId, rig().helpdesk.agentId);
    await rig().helpdesk.agentSetsStatus(ticketId, 'closed');
    const writesBefore = rig().helpdesk.requests().filter((r) => r.method !== 'GET').length;
    const appWritesBefore = rig().connect.requests().filter((r) => r.method !== 'GET').length;
    // The user closes it too; that webhook starts a new run.
    await rig().connect.userSetsStatus(id, 'CLOSED');
    const next = rig().env.client.workflow.getHandle(`ticket/connect/${id}`);
    await eventually(async () => expect((await next.describe()).runId).not.toBe(firstRunId));
    expect(await next.result()).toMatchObject({ status: 'CLOSED', completed: true });
    expect(rig().helpdesk.requests().filter((r) => r.method !== 'GET').length).toBe(writesBefore);
    expect(rig().connect.requests().filter((r) => r.method !== 'GET').length).toBe(appWritesBefore);
  });

  test('1. a reply that landed before the user closed is delivered: no echo, no "did not reach" note', async () => {
    // Found by the fault suite's interleaved track: the retry's closed-ticket check ran before its
    // "did my first attempt land?" check.
    const { id, ticketId } = await openTicket(rig());
    const reply = 'Which app version do you use?';
    // The post of the reply lands in the app, its answer is lost; the retry waits ≥ 1 s.
    const drop = rig().connect.fault({ kind: 'drop-after-write', match: 'POST /tickets/:id/comment', times: 1 });
    await rig().helpdesk.agentReplies(ticketId, reply);
    await eventually(() => expect(drop.hits).toBe(1), { intervalMs: 5 });
    // The user sees the reply and closes the ticket before the bridge's retry.
    await rig().connect.userConfirmsResolved(id);
    await eventually(() => expect(rig().helpdesk.status(ticketId)).toBe('closed'), { timeoutMs: 60_000 });
    expect(rig().connect.ticket(id)!.comments.filter((c) => c.message === reply)).toHaveLength(1);
    expect(rig().helpdesk.messages(ticketId).filter((c) => !c.public)).toEqual([]);
  });

  // Zendesk only: a 409 update collision is Zendesk's `safe_update`; Freshdesk has no conditional write (its substitute: test/adapters/freshdesk-crm.test.ts).
  (crm === 'zendesk' ? test : test.skip)("8. a conflict on the close is news: the ticket is read again and closed, not taken as closed", async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    await solved(rig(), id, ticketId);
    // Zendesk refuses the close once as an update collision (someone touched the ticket).
    rig().helpdesk.fault(['status write'], { kind: 'error', status: 409, times: 1 });
    await rig().connect.userConfirmsResolved(id);
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    expect(rig().helpdesk.status(ticketId)).toBe('closed');
    expect((await rig().state(id)).timeline.map((e) => e.detail)).toContain('Zendesk changed since it was read: reading both sides again');
  });

  /**
   * The user writes first, but that webhook is lost; the agent then replies and sets pending.
   * `slowApp`: the app takes 1.2 s to take the reply, so it lands in a later second than the
   * agent's change (`own-write-not-the-users-1`).
   */
  async function olderUserCommentThenAgentPending(slowApp: boolean) {
    // Zendesk reopens a ticket whose requester comments, by its own rule; a note through
    // Freshdesk's API changes no status, so there the ticket stays pending.
    const helpdeskAfter = crm === 'zendesk' ? 'open' : 'pending';
    const { id, ticketId, handle } = await openTicket(rig());
    await withoutConnectWebhooks(rig(), () => rig().connect.userComments(id, 'It is cold again.'));
    await rig().env.sleep(1_100); // the helpdesks' versions have one-second resolution
    if (slowApp) rig().connect.fault({ kind: 'latency', match: 'POST /tickets/:id/comment', delayMs: 1_200, times: 1 });
    await rig().helpdesk.agentReplies(ticketId, 'Try the reset button.', { status: 'pending' });
    // One decision from both reads: the agent's later pending wins, and the user's comment is
    // written to the helpdesk (which Zendesk reopens by its own rule for a requester's comment).
    await eventually(async () => {
      expect(rig().helpdesk.texts(ticketId)).toContain('It is cold again.');
      expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toContain('Try the reset button.');
      expect(rig().helpdesk.status(ticketId)).toBe(helpdeskAfter);
      expect((await rig().state(id)).sourceStatus).toBe('PENDING');
    });
    // The event of Zendesk's reopening is the bridge's own write (dropped at the door): the state
    // knows it from the write's answer, so the sides are known as they are.
    await eventually(async () => expect((await rig().state(id)).crmStatus).toBe(helpdeskAfter));
    expect(rig().connect.ticket(id)!.status).toBe('PENDING');
    return { id, handle };
  }

  test("an older user comment written after the agent's newer pending: the agent's pending wins, and the bridge knows what the helpdesk made of the comment", async () => {
    await olderUserCommentThenAgentPending(false);
  });

  test("the same with a slow app, whose copy of the reply lands a second after the agent's pending: the reply's own time is not taken for the user's", async () => {
    const { id, handle } = await olderUserCommentThenAgentPending(true);
    // The path it guards: the reply posted, its status write met the user's change, both read again.
    expect((await rig().state(id)).timeline.map((e) => e.detail)).toContain('app changed since it was read: reading both sides again');
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    if (crm === 'zendesk') await recordHistory('slow-reply-not-the-users-change', handle);
  });

  test("10. a public reply written in the helpdesk with the bridge's own API user reaches the app", async () => {
    const { id, ticketId } = await openTicket(rig());
    await rig().helpdesk.agentReplies(ticketId, 'Sent from the admin account.', { asBridgeUser: true });
    await eventually(() =>
      expect(rig().connect.ticket(id)!.comments.map((c) => [c.author, c.message])).toEqual([['SUPPORT', 'Sent from the admin account.']]),
    );
  });
});

describe.each(HELPDESKS)('issue 10: a late status write, on %s', (crm) => {
  // The SOLVED timer out of the way: the agent's solve is what must stand at the end.
  const rig = rigFor(crm, { workflowSettings: { solvedAutoCloseAfterMs: 60_000 } });

  test("8. a status write decided before an outage does not undo the agent's newer change after it", async () => {
    // Formerly test/faults/known-bugs/late-status-write-overrides-agent (found by the fault suite).
    const { id, ticketId, handle } = await lateStatusWrite(rig(), { agentInTheUsersSecond: false });
    await eventually(async () => expect((await rig().state(id)).status).toBe('SOLVED'), { timeoutMs: 30_000 });
    // Whatever the sync decided has landed by now: the later human action (the agent's) stands.
    await rig().env.sleep(3_000);
    expect(rig().helpdesk.status(ticketId)).toBe('solved');
    expect(rig().connect.ticket(id)!.status).toBe('SOLVED');
    expect(rig().helpdesk.texts(ticketId).filter((text) => text === 'Still offline this morning.')).toHaveLength(1);
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    await recordOn(rig(), 'agent-change-wins-over-a-late-status-write', handle);
  });

  // Freshdesk's note and its status are two writes, so the reopen the user's comment asks for has
  // not landed when the agent solves; the conflict is seen and both sides are read again. The
  // user's comment (its time in ms, from the app) and the agent's reply (the helpdesk's, to the
  // second) then fall in one second: the helpdesk wins that tie (same-second-to-helpdesk-1).
  // Zendesk writes the comment and the reopen in one conditional PUT.
  test("8. …and when the agent answers in the same second (as the helpdesk tells time) as the user's comment", async () => {
    const { id, ticketId, handle } = await lateStatusWrite(rig(), { agentInTheUsersSecond: true });
    await rig().env.sleep(5_000);
    expect(rig().helpdesk.status(ticketId)).toBe('solved');
    expect(rig().connect.ticket(id)!.status).toBe('SOLVED');
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    if (crm === 'freshdesk') await recordHistory('same-second-goes-to-the-helpdesk', handle);
  });
});

describe.each(HELPDESKS)('issue 10: continue-as-new with updates in flight, on %s', (crm) => {
  // Every sync ends with continue-as-new due.
  const rig = rigFor(crm, { workflowSettings: { continueAsNewAfterEvents: 1 } });

  test('6. a resync arriving during the last sync before continue-as-new completes, and the ticket carries on', async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    // A slow helpdesk write keeps the next sync busy while the update arrives (rules 1.2 decide a
    // user's message without reading the helpdesk first: its write is the request to slow down).
    rig().helpdesk.fault(['comment write'], { kind: 'latency', delayMs: 2_000, times: 1 });
    await rig().connect.userComments(id, 'Still nothing.');
    await rig().env.sleep(500);
    const update = handle.executeUpdate(resyncUpdate, { args: [{ reason: 'during a sync' }] });
    const outcome = await Promise.race([update.then(() => 'done'), rig().env.sleep(20_000).then(() => 'stuck')]);
    expect(outcome).toBe('done');
    await rig().helpdesk.agentReplies(ticketId, 'On it.');
    await eventually(() => expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toContain('On it.'));
    // The run that took the update: it answered it, then ended in continue-as-new.
    if (process.env.RECORD_HISTORIES) {
      for await (const run of rig().env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
        const runHandle = rig().env.client.workflow.getHandle(handle.workflowId, run.runId);
        const events = (await runHandle.fetchHistory()).events!;
        if (events.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes) && events.at(-1)!.workflowExecutionContinuedAsNewEventAttributes) {
          await recordOn(rig(), 'continue-as-new-after-an-update', runHandle);
        }
      }
    }
  });

  // Zendesk only: Freshdesk's events carry no facts to tell apart later (each is a read at once).
  (crm === 'zendesk' ? test : test.skip)('7. helpdesk events not yet told apart when a run continues as new are handed over as a read of the helpdesk', async () => {
    // Rules 1.2 keep a helpdesk event with the pending work until the next sync starts. Carried
    // as such into the next run, a worker rolled back to older code would not know it.
    const { id, ticketId, handle } = await openTicket(rig());
    rig().connect.fault({ kind: 'latency', delayMs: 2_000, match: 'POST /tickets/:id/comment', times: 1 });
    await rig().helpdesk.agentReplies(ticketId, 'Checking the logs.');
    await rig().env.sleep(800); // the reply's copy to the app is under way, slowly
    await rig().helpdesk.agentReplies(ticketId, 'Found it.');
    await eventually(() => expect(rig().connect.ticket(id)!.comments.map((c) => c.message)).toEqual(['Checking the logs.', 'Found it.']));
    let handedOver = 0;
    for await (const run of rig().env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      const runHandle = rig().env.client.workflow.getHandle(handle.workflowId, run.runId);
      const history = await runHandle.fetchHistory();
      const next = history.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes;
      if (!next) continue;
      const [carried] = next.input!.payloads!.map((p) => defaultPayloadConverter.fromPayload<TicketWorkflowInput>(p).carried as { pending: { crm: boolean; crmChanges?: unknown[] } });
      expect(carried!.pending.crmChanges ?? []).toEqual([]);
      if (patchIdsIn(history).includes(PATCHES.foldCrmEventsAtNewRun)) {
        expect(carried!.pending.crm).toBe(true);
        handedOver++;
        if (handedOver === 1) await recordOn(rig(), 'crm-events-handed-over-as-a-read', runHandle);
      }
    }
    expect(handedOver).toBeGreaterThan(0);
  });
});

/** A platform teammate (the platform's ids are uuids) that WHITELABEL_ASSIGNEES maps to the simulator's agent. */
const TEAMMATE = '6f1c2b8e-5d0a-4c47-9a3e-2b7d9e4f1a60';

describe.each(HELPDESKS)('issue 10: white-label, on %s', (crm) => {
  const rig = rigFor(crm, { whitelabelAssignees: (zendesk, freshdesk) => ({ [TEAMMATE]: String((freshdesk ?? zendesk).agent.id) }) });

  test('an assignment on the platform reaches the helpdesk (recorded for replay)', async () => {
    const wl = rig().whitelabel;
    const { ticket } = await wl.clientCreatesTicket({ title: 'Export fails', text: 'The CSV export never finishes.' });
    const ticketId = await rig().helpdesk.ticketFor(ticket.id, 'whitelabel');
    await wl.assign(ticket.id, TEAMMATE);
    await eventually(() => expect(rig().helpdesk.assignee(ticketId)).toBe(rig().helpdesk.agentId));
    await wl.assign(ticket.id, null);
    await eventually(() => expect(rig().helpdesk.assignee(ticketId)).toBeNull());
    const handle = rig().env.client.workflow.getHandle(`ticket/whitelabel/${ticket.id}`);
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    await recordOn(rig(), 'whitelabel-assignee', handle);
  });

  test("9. an agent's reply to a ticket with no client reply yet does not reopen it", async () => {
    const wl = rig().whitelabel;
    // The platform's example ticket: every reply on it is an agent's (no client reply yet).
    const ticket = SEED_TICKET_CREATED.data.ticket;
    wl.loadTickets([ticket]);
    await wl.sendEvents([SEED_TICKET_CREATED]);
    const ticketId = await rig().helpdesk.ticketFor(ticket.id, 'whitelabel');
    await eventually(async () => expect((await rig().stateOf('whitelabel', ticket.id)).crmTicketId).toBe(String(ticketId)));
    await rig().helpdesk.agentReplies(ticketId, 'Which invoice number?', { status: 'pending' });
    await eventually(() => expect(wl.ticket(ticket.id)!.replies.map((r) => r.text)).toContain('Which invoice number?'));
    await rig().env.sleep(3_000); // the platform's event for the bridge's own write comes back meanwhile
    expect(rig().helpdesk.status(ticketId)).toBe('pending');
    expect((await rig().stateOf('whitelabel', ticket.id)).status).toBe('PENDING');
    const handle = rig().env.client.workflow.getHandle(`ticket/whitelabel/${ticket.id}`);
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordOn(rig(), 'whitelabel-agent-reply-before-any-client-reply', handle);
  });

  test("a late event of the bridge's own reply does not reopen the ticket it then solved", async () => {
    // Formerly test/faults/known-bugs/late-own-write-event-reopens (found by the fault suite).
    const wl = rig().whitelabel;
    const { ticket } = await wl.clientCreatesTicket({ title: 'Billing page blank', text: 'The billing settings page stays blank.' });
    const ticketId = await rig().helpdesk.ticketFor(ticket.id, 'whitelabel');
    await rig().helpdesk.agentAssigns(ticketId, rig().helpdesk.agentId);
    // The platform is slow to close tickets: the close lands in a later second than the reply.
    wl.fault({ kind: 'latency', match: 'PUT /tickets/:id', delayMs: 1_500, times: 1 });
    wl.webhooks.hold();
    await rig().helpdesk.agentReplies(ticketId, 'Cleared the cache, it loads now.', { status: 'solved' });
    await eventually(
      async () => {
        expect(wl.ticket(ticket.id)!.is_open).toBe(false);
        expect((await rig().stateOf('whitelabel', ticket.id)).status).toBe('SOLVED');
      },
      { timeoutMs: 30_000 },
    );
    // Only the reply's event arrives (late); the close's event is still on its way.
    const [replyEvent] = wl.webhooks.pending();
    expect(replyEvent).toBeDefined();
    await wl.webhooks.send(replyEvent!);
    await rig().env.sleep(3_000);
    expect(rig().helpdesk.status(ticketId)).toBe('solved');
    expect((await rig().stateOf('whitelabel', ticket.id)).status).toBe('SOLVED');
    await wl.webhooks.release();
  });
});

describe.each(HELPDESKS)('issue 10: the reconciler, on %s', (crm) => {
  const rig = rigFor(crm, { reconcileIntervalMs: 1_000 });

  test('3. the reconciler does not take a transient 404 for a deletion either', async () => {
    const { id, ticketId, handle } = await openTicket(rig());
    // Long enough for several reconcile rounds to read the 404.
    const notFound = rig().connect.fault({ kind: 'error', status: 404, match: 'GET /tickets/:id', forMs: 3_000 });
    await eventually(() => expect(notFound.hits).toBeGreaterThanOrEqual(2), { timeoutMs: 10_000 });
    await rig().env.sleep(3_000);
    await rig().connect.userComments(id, 'Still there?');
    await eventually(() => expect(rig().helpdesk.texts(ticketId)).toContain('Still there?'));
    expect(rig().helpdesk.status(ticketId)).not.toBe('solved');
    expect((await rig().state(id)).completed).toBe(false);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  test('3. a round in which many tickets read as 404 at once stops, and says so', async () => {
    const tickets = [];
    for (let i = 0; i < 6; i++) tickets.push(await openTicket(rig()));
    const notFound = rig().connect.fault({ kind: 'error', status: 404, match: 'GET /tickets/:id', forMs: 4_000 });
    const reconciler = rig().env.client.workflow.getHandle(RECONCILER_WORKFLOW_ID);
    const halted = await eventually(
      async () => {
        const summaries = await roundSummaries(reconciler);
        const round = summaries.find((r) => r.haltedOnMassNotFound);
        expect(round).toBeDefined();
        return round!;
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    );
    expect(halted.haltedOnMassNotFound).toMatch(/^\d+ of \d+ tickets read as 404 in one round/);
    expect(halted.missing).toBeGreaterThanOrEqual(5);
    await eventually(() => expect(notFound.hits).toBeGreaterThan(0));
    await rig().env.sleep(5_000);
    for (const { id, ticketId } of tickets) {
      expect((await rig().state(id)).completed).toBe(false);
      expect(rig().helpdesk.status(ticketId)).not.toBe('solved');
    }
  });
});

/** The results of the reconciler's rounds in its current run. */
async function roundSummaries(handle: WorkflowHandle): Promise<ReconcileSummary[]> {
  const history = await handle.fetchHistory();
  return history.events!.flatMap((e) => {
    const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    return payload ? [defaultPayloadConverter.fromPayload<ReconcileSummary>(payload)] : [];
  });
}

