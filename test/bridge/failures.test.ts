/**
 * The bridge when its remotes misbehave: outages, rate limits, writes whose response is lost,
 * permanent 4xx answers, and platforms that echo the bridge's own writes back as webhooks.
 * The promise under test: nothing is lost, nothing is written twice, nothing echoes.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(120_000);

describe('the bridge through failures', () => {
  let rig: BridgeRig;

  beforeAll(async () => {
    // A short back-off for syncs that failed for good, so a real server does not need minutes.
    rig = await startBridgeRig({ workflowSettings: { failedSyncRetryMs: 2_000, refusedWriteRetryMs: 2_000 } });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  async function openTicket() {
    const id = `f-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'No hot water', description: 'Since Monday.' });
    const zd = await rig.zendeskTicketFor(id);
    return { id, zd };
  }
  const supportComments = (id: string) => rig.connect.ticket(id)!.comments.filter((c) => c.author === 'SUPPORT').map((c) => c.message);
  const zendeskBodies = (zdId: number) => rig.zendesk.comments(zdId).map((c) => c.body);

  /**
   * Real retries take real time: the policy waits 1, 2, 4, 8, 16 s… between attempts, so five
   * failed attempts cost about 31 s before the sixth succeeds.
   */
  const afterRetries = { timeoutMs: 60_000, intervalMs: 250 };

  test('Connect down (503) for a while, then back: the agent reply arrives, exactly once', async () => {
    const { id, zd } = await openTicket();
    const outage = rig.connect.fault({ kind: 'error', status: 503, match: 'POST /tickets/:id/comment', times: 4 });
    await rig.zendesk.agentReplies(zd.id, 'A technician is on the way.');
    await eventually(() => expect(supportComments(id)).toEqual(['A technician is on the way.']), afterRetries);
    expect(outage.hits).toBe(4);
    // The status is a write of its own, after the comment's.
    await eventually(() => expect(rig.connect.ticket(id)!.status).toBe('PENDING'));
  });

  test('Zendesk down (500, dropped connections) for a while, then back: the user comment arrives, exactly once', async () => {
    const { id, zd } = await openTicket();
    const errors = rig.zendesk.fault({ kind: 'error', status: 500, match: 'PUT /tickets/:id.json', times: 3 });
    const drops = rig.zendesk.fault({ kind: 'drop', match: 'PUT /tickets/:id.json', times: 2 });
    await rig.connect.userComments(id, 'Still cold.');
    await eventually(() => expect(zendeskBodies(zd.id)).toEqual(['Since Monday.', 'Still cold.']), afterRetries);
    expect(errors.hits + drops.hits).toBe(5);
  });

  test("429 with Retry-After: the retry waits as long as Zendesk asked", async () => {
    const { id, zd } = await openTicket();
    const retryAfterSeconds = 2;
    rig.zendesk.fault({ kind: 'rate-limit', retryAfter: retryAfterSeconds, match: 'PUT /tickets/:id.json', times: 1 });
    await rig.connect.userComments(id, 'Any news?');
    await eventually(() => expect(zendeskBodies(zd.id)).toEqual(['Since Monday.', 'Any news?']), afterRetries);

    // The history holds the successful attempt: attempt 2, started no sooner than Retry-After.
    const history = await rig.env.client.workflow.getHandle(`ticket/connect/${id}`).fetchHistory();
    const events = history.events!;
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'addCrmComment',
    )!;
    const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId!.toString())!;
    expect(started.activityTaskStartedEventAttributes!.attempt).toBe(2);
    const waitedMs = eventMs(started) - eventMs(scheduled);
    expect(waitedMs).toBeGreaterThanOrEqual(retryAfterSeconds * 1000);
  });

  test('a write that landed but whose response was lost is not written twice (both sides)', async () => {
    const { id, zd } = await openTicket();
    const connectDrop = rig.connect.fault({ kind: 'drop-after-write', match: 'POST /tickets/:id/comment', times: 1 });
    await rig.zendesk.agentReplies(zd.id, 'Please restart the boiler.');
    await eventually(() => expect(connectDrop.hits).toBe(1), afterRetries);
    await eventually(() => expect(rig.connect.ticket(id)!.status).toBe('PENDING'));
    expect(supportComments(id)).toEqual(['Please restart the boiler.']);

    const zendeskDrop = rig.zendesk.fault({ kind: 'drop-after-write', match: 'PUT /tickets/:id.json', times: 1 });
    await rig.connect.userComments(id, 'Restarted, nothing.');
    await eventually(() => expect(zendeskDrop.hits).toBe(1), afterRetries);
    await eventually(() => expect(rig.zendesk.ticket(zd.id)!.status).toBe('open'));
    expect(zendeskBodies(zd.id).filter((b) => b === 'Restarted, nothing.')).toHaveLength(1);
  });

  test('a non-retryable 404 is recorded in the state (last error, parked) and retried later, not lost', async () => {
    const { id, zd } = await openTicket();
    // Until removed: faults match routes, not tickets, so a count could be used up by another ticket.
    const notFound = rig.connect.fault({ kind: 'error', status: 404, match: 'POST /tickets/:id/comment' });
    try {
      await rig.zendesk.agentReplies(zd.id, 'Found the cause.');
      const failed = await eventually(async () => {
        const state = await rig.state(id);
        expect(state.lastError).toMatchObject({ operation: 'postSourceComment', type: 'not-found' });
        expect(state.parked).toEqual([expect.objectContaining({ what: expect.stringMatching(/^CRM comment \d+ → source$/), reason: expect.stringMatching(/^refused \(not-found\)/) })]);
        return state;
      });
      expect(failed.lastError!.message).not.toMatch(/Found the cause/); // no message text in errors
      expect(JSON.stringify(failed.parked)).not.toMatch(/Found the cause/);
      expect(supportComments(id)).toEqual([]);
    } finally {
      notFound.remove();
    }
    await eventually(() => expect(supportComments(id)).toEqual(['Found the cause.']), { timeoutMs: 20_000 });
    await eventually(async () => expect((await rig.state(id)).parked).toEqual([]));
  });

  test('echoes: a Connect platform that notifies on the bridge\'s own writes causes no extra writes', async () => {
    rig.connect.notifyOn = 'all';
    try {
      const { id, zd } = await openTicket();
      await rig.zendesk.agentReplies(zd.id, 'First answer.');
      await eventually(() => expect(rig.connect.ticket(id)!.status).toBe('PENDING'));
      await rig.connect.userComments(id, 'Thanks, one more question.');
      await eventually(() => expect(zendeskBodies(zd.id)).toContain('Thanks, one more question.'));
      await rig.zendesk.agentReplies(zd.id, 'Second answer.');
      await eventually(() => expect(supportComments(id)).toEqual(['First answer.', 'Second answer.']));
      // Let every echo (Zendesk echoes API writes too) settle, then count.
      await rig.env.sleep('2s');
      expect(supportComments(id)).toEqual(['First answer.', 'Second answer.']);
      expect(zendeskBodies(zd.id)).toEqual([
        'Since Monday.',
        'First answer.',
        'Thanks, one more question.',
        'Second answer.',
      ]);
      const state = await rig.state(id);
      expect(state.counts).toMatchObject({ userCommentsToCrm: 1, agentRepliesToSource: 2 });
    } finally {
      rig.connect.notifyOn = 'user';
    }
  });

  test('an agent reply posted while the bridge is still creating the Zendesk ticket is not lost', async () => {
    const id = `f-${randomUUID().slice(0, 8)}`;
    // The create lands but its answer is lost, so the activity is still creating (its retry, a
    // second later, finds the ticket by external id): reply in that window.
    const lost = rig.zendesk.fault({ kind: 'drop-after-write', match: 'POST /tickets.json', times: 1 });
    await rig.connect.userCreatesTicket({ id, title: 'Router blinking', description: 'Red light.' });
    const zd = await eventually(() => {
      const ticket = rig.zendesk.ticketByExternalId(`connect:${id}`);
      if (!ticket) throw new Error('no Zendesk ticket yet');
      return ticket;
    }, { intervalMs: 10 });
    await rig.zendesk.agentReplies(zd.id, 'Unplug it for ten seconds.');
    await eventually(() => expect(supportComments(id)).toEqual(['Unplug it for ten seconds.']));
    expect(lost.hits).toBe(1);
    expect(rig.zendesk.tickets().filter((t) => t.external_id === `connect:${id}`)).toHaveLength(1);
  });
});

function eventMs(event: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }): number {
  const seconds = Number(event.eventTime!.seconds ?? 0);
  return seconds * 1000 + Math.floor((event.eventTime!.nanos ?? 0) / 1e6);
}
