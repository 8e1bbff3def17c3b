/**
 * The bridge end to end on Freshdesk (`CRM=freshdesk`, issue 20): the Connect and Freshdesk
 * simulators send their webhooks to the real API, which signals real ticket workflows on the
 * Temporal harness, whose activities call the simulators back over HTTP through the Freshdesk
 * adapter made from a configuration, as production makes it.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(120_000);

describe('Connect ⇄ Freshdesk through one workflow per ticket', () => {
  let rig: BridgeRig;

  beforeAll(async () => {
    rig = await startBridgeRig({ crm: 'freshdesk', workflowSettings: { solvedAutoCloseAfterMs: 60_000 } });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  const freshdesk = () => rig.freshdesk!;
  const connectComments = (id: string) => rig.connect.ticket(id)!.comments.map((c) => [c.author, c.message]);

  test("the guide's flow on Freshdesk: created → user comment → agent reply → resolved → user confirms → closed", async () => {
    const id = `t-${randomUUID().slice(0, 8)}`;
    const created = await rig.connect.userCreatesTicket({ id, title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
    expect(created.webhooks.map((w) => w.status)).toEqual([202]);
    const fd = await eventually(() => {
      const ticket = freshdesk().ticketByExternalId(`connect:${id}`);
      if (!ticket) throw new Error('no Freshdesk ticket yet');
      return ticket;
    });
    expect(fd).toMatchObject({ subject: 'Meter reading looks wrong', description_text: 'My reading doubled overnight.', status: 2, tags: expect.arrayContaining(['ticket-bridge']) });
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(fd.id)));

    // The user writes from the app: an incoming public note by the requester.
    await rig.connect.userComments(id, 'Here it is: 10432 kWh');
    await eventually(() => {
      const notes = freshdesk().conversations(fd.id);
      expect(notes.map((c) => [c.body_text, c.incoming, c.private, c.user_id])).toEqual([['Here it is: 10432 kWh', true, false, fd.requester_id]]);
    });

    // The agent replies in Freshdesk: the reply reaches the app, which waits for the user.
    const reply = await freshdesk().agentReplies(fd.id, 'Thanks, we are checking the meter.');
    expect(reply.webhooks.map((w) => w.status)).toEqual([202]);
    await eventually(() => {
      expect(connectComments(id)).toEqual([
        ['USER', 'Here it is: 10432 kWh'],
        ['SUPPORT', 'Thanks, we are checking the meter.'],
      ]);
      expect(rig.connect.ticket(id)!.status).toBe('PENDING');
    });

    // A private note stays in Freshdesk.
    await freshdesk().agentAddsNote(fd.id, 'Legacy tariff, check the billing run');

    // The agent resolves (4): the app shows SOLVED, the auto-close timer runs.
    await freshdesk().agentSetsStatus(fd.id, 4);
    await eventually(async () => {
      expect(rig.connect.ticket(id)!.status).toBe('SOLVED');
      expect((await rig.state(id)).solvedTimerDeadline).not.toBeNull();
    });

    // The user confirms: closed (5) in Freshdesk, CLOSED in the app, the workflow completes.
    await rig.connect.userConfirmsResolved(id);
    const final = await rig.result(id);
    expect(final).toMatchObject({ status: 'CLOSED', completed: true, crmTicketId: String(fd.id) });
    expect(freshdesk().ticket(fd.id)!.status).toBe(5);
    expect(rig.connect.ticket(id)!.status).toBe('CLOSED');

    // Nothing lost, doubled or echoed; one ticket; the note never left Freshdesk.
    expect(connectComments(id)).toEqual([
      ['USER', 'Here it is: 10432 kWh'],
      ['SUPPORT', 'Thanks, we are checking the meter.'],
    ]);
    expect(freshdesk().conversations(fd.id).map((c) => [c.body_text, c.private])).toEqual([
      ['Here it is: 10432 kWh', false],
      ['Thanks, we are checking the meter.', false],
      ['Legacy tariff, check the billing run', true],
    ]);
    expect(freshdesk().tickets().filter((t) => t.custom_fields[freshdesk().externalIdField] === `connect:${id}`)).toHaveLength(1);
    expect(final.counts).toMatchObject({ userCommentsToCrm: 1, agentRepliesToSource: 1 });
    // Every activity attempt succeeded the first time: no conflict, no retry, on this calm path.
    const attempts = rig.workerLogLines.map((l) => JSON.parse(l) as { msg: string; outcome?: string }).filter((r) => r.msg === 'activity attempt');
    expect(attempts.length).toBeGreaterThan(5);
    expect(attempts.filter((r) => r.outcome !== 'completed')).toEqual([]);
    // Every automation webhook was taken (echoes of the bridge's own writes included).
    expect(freshdesk().webhooks.deliveries.every((d) => d.status === 202)).toBe(true);
  });
});
