/**
 * A long conversation: the workflow continues as new when its history grows, carrying its state,
 * and nothing is lost or repeated across runs. Run with no workflow cache (every task replays
 * the whole history), which is how a worker restart looks to a ticket.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(180_000);

describe('a long-lived ticket, uncached worker', () => {
  let rig: BridgeRig;

  beforeAll(async () => {
    rig = await startBridgeRig({
      workflowSettings: { continueAsNewAfterEvents: 120 },
      workerOverrides: { maxCachedWorkflows: 0 },
    });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  test('continues as new with its state, and every message crosses exactly once', async () => {
    const id = `l-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Heat pump noisy', description: 'Loud at night.' });
    const zd = await rig.zendeskTicketFor(id);
    const rounds = 8;
    for (let i = 1; i <= rounds; i++) {
      await rig.zendesk.agentReplies(zd.id, `agent ${i}`);
      await eventually(() => expect(rig.connect.ticket(id)!.comments.at(-1)?.message).toBe(`agent ${i}`));
      await rig.connect.userComments(id, `user ${i}`);
      await eventually(() => expect(rig.zendesk.comments(zd.id).at(-1)?.body).toBe(`user ${i}`));
    }

    // Several runs of one workflow id: the earlier ones continued as new, the last one runs.
    const runs = await runsOf(id);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW')).toHaveLength(runs.length - 1);

    const state = await rig.state(id);
    expect(state.counts).toMatchObject({ userCommentsToCrm: rounds, agentRepliesToSource: rounds });
    const expectedConnect = Array.from({ length: rounds }, (_, k) => [`agent ${k + 1}`, `user ${k + 1}`]).flat();
    expect(rig.connect.ticket(id)!.comments.map((c) => c.message)).toEqual(expectedConnect);
    expect(rig.zendesk.comments(zd.id).map((c) => c.body)).toEqual(['Loud at night.', ...expectedConnect]);
  });

  async function runsOf(id: string) {
    const runs = [];
    for await (const w of rig.env.client.workflow.list({ query: `WorkflowId = "ticket/connect/${id}"` })) runs.push(w);
    return runs;
  }
});
