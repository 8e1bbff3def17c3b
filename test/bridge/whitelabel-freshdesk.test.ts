/**
 * The white-label source end to end on Freshdesk (`CRM=freshdesk`, issue 20): signed platform
 * events to the real API, real ticket workflows on the Temporal harness, the Freshdesk adapter
 * made from a configuration. A client's ticket and reply reach Freshdesk, the teammate's
 * assignment becomes the mapped agent, an agent's reply reaches the platform without an echo.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(120_000);

const TEAMMATE = '7f0c0e2a-1b2c-4d3e-8f40-5a6b7c8d9e0f';

describe('white-label ⇄ Freshdesk', () => {
  let rig: BridgeRig;
  let agentId: number;

  beforeAll(async () => {
    rig = await startBridgeRig({
      crm: 'freshdesk',
      whitelabelAssignees: (_zendesk, freshdesk) => {
        agentId = freshdesk!.agent.id;
        return { [TEAMMATE]: String(agentId) };
      },
    });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  test("a client's ticket and reply reach Freshdesk, the assignment too; an agent's reply reaches the platform and is not echoed back", async () => {
    const fd = () => rig.freshdesk!;
    const id = randomUUID();
    const { webhooks } = await rig.whitelabel.clientCreatesTicket({ id, title: 'Billing settings', text: 'I cannot change my billing address' });
    expect(webhooks.map((w) => w.status)).toEqual([202]);
    const ticket = await eventually(() => {
      const t = fd().ticketByExternalId(`whitelabel:${id}`);
      if (!t) throw new Error('no Freshdesk ticket yet');
      return t;
    });
    expect(ticket).toMatchObject({ subject: 'Billing settings', description_text: 'I cannot change my billing address' });

    await rig.whitelabel.assign(id, TEAMMATE);
    await eventually(() => expect(fd().ticket(ticket.id)!.responder_id).toBe(agentId));

    await rig.whitelabel.clientReplies(id, 'Still failing today');
    await eventually(() =>
      expect(fd().conversations(ticket.id).map((c) => [c.body_text, c.incoming, c.private, c.user_id])).toEqual([['Still failing today', true, false, ticket.requester_id]]),
    );

    await fd().agentReplies(ticket.id, 'Fixed: please try again now.');
    await eventually(() => expect(rig.whitelabel.ticket(id)!.replies.at(-1)).toMatchObject({ text: 'Fixed: please try again now.', is_client_reply: false }));
    // The platform's event for that reply (and Freshdesk's for the bridge's own writes) changed nothing.
    await eventually(async () => expect((await rig.stateOf('whitelabel', id)).counts).toMatchObject({ userCommentsToCrm: 1, agentRepliesToSource: 1 }));
    await rig.env.sleep(500);
    expect(fd().conversations(ticket.id).map((c) => c.body_text)).toEqual(['Still failing today', 'Fixed: please try again now.']);
    expect(rig.whitelabel.ticket(id)!.replies.filter((r) => r.text === 'Fixed: please try again now.')).toHaveLength(1);
    expect(await rig.stateOf('whitelabel', id)).toMatchObject({ status: 'PENDING', lastError: null });
  });
});
