/**
 * Sync rules 1.2, a lean ticket (issue 18), end to end through the production assembly on the real
 * Temporal dev server with the simulators: one write per side per decision, no Zendesk read
 * before a write Zendesk itself checks, and Zendesk events told apart once the answers of the
 * writes they may echo are in. Each test also shows that the shortcut never costs correctness: a
 * change the bridge did not know of is news, read and decided once.
 */
import { temporal } from '@temporalio/proto';
import type { BridgeRig } from '../support/bridge-rig';
import { closeUpdate } from '../../src/workflows/definitions';
import { eventually } from '../harness';
import { openConnectTicket, rigPerSuite } from '../support/bridge-rig';
import { recordHistory } from '../support/histories';

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
    const { id, zd } = await openConnectTicket(rig(), 'lean');
    // From the create's answer on (the create itself reads the new ticket's first comment).
    const mark = rig().zendesk.requests().length;
    await eventually(async () => expect((await rig().state(id)).timeline.map((t) => t.detail)).toContainEqual(expect.stringMatching(/^Zendesk: the event of the bridge's own write( \(comment \d+\))?, nothing to read$/)));
    await rig().env.sleep(1_000);
    expect(zendeskRequestsOf(rig(), zd.id, mark).filter((r) => r.startsWith('GET GET /tickets/:id'))).toEqual([]);
    const history = await rig().env.client.workflow.getHandle(`ticket/connect/${id}`).fetchHistory();
    const failed = (history.events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed).toEqual([]);
  });
});
