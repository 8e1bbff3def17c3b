/**
 * Found by the fault suite's edges track (`zd-deleted`): after an admin deleted the Zendesk
 * ticket, the bridge closes the app's ticket and the workflow completes, as docs/sync-rules.md
 * says. But the next notification for that ticket (here the app's own notification of the
 * bridge's close, which Connect sends for API writes; any late duplicate does the same) starts a
 * new run that never ends: it has no Zendesk ticket, so it creates one with the idempotency key
 * every run of the ticket uses (`<workflowId>/create`); Zendesk replays the first create's answer
 * (for 2 hours), i.e. the deleted ticket, whose comments then read 404. The sync fails
 * (`ensureCrmTicket: not-found`) and is retried on the failed-sync back-off, for good: status
 * NEW, nothing in `parked`, a ticket stuck without saying why.
 *
 * A `test.failing` while the bug stands: it states what should happen. Once fixed, it fails —
 * then move it, as a plain `test`, beside test/bridge/edges.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '../../harness';
import { startBridgeRig, type BridgeRig } from '../../support/bridge-rig';

jest.setTimeout(120_000);

const SETTINGS = { solvedAutoCloseAfterMs: 60_000, failedSyncRetryMs: 1_000, sourceGoneAfterMs: 4_000, refusedWriteRetryMs: 300 };

describe('known bug: news after a Zendesk ticket deleted by an admin', () => {
  let rig: BridgeRig;
  beforeAll(async () => {
    rig = await startBridgeRig({ workflowSettings: SETTINGS });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  test.failing('a notification after the close starts a run that ends, and no Zendesk ticket comes back', async () => {
    const id = `kb-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Heating off', description: 'No heat since Sunday.' });
    const zd = await rig.zendeskTicketFor(id);
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(zd.id)));
    rig.zendesk.adminDeletesTicket(zd.id);
    await rig.connect.userComments(id, 'Is anyone there?');
    expect(await rig.result(id)).toMatchObject({ status: 'CLOSED', completed: true });
    expect(rig.connect.ticket(id)!.status).toBe('CLOSED');

    // The app's notification of the close (Connect notifies API writes too), or any late duplicate.
    await rig.connect.sendWebhook({ type: 'UPDATE', ticketId: id });
    await eventually(
      async () => {
        const runs: string[] = [];
        for await (const run of rig.env.client.workflow.list({ query: `WorkflowId = "ticket/connect/${id}"` })) runs.push(run.status.name);
        expect(runs).toEqual(['COMPLETED', 'COMPLETED']);
      },
      { timeoutMs: 20_000 },
    );
    expect(rig.zendesk.tickets().filter((t) => t.external_id === `connect:${id}`)).toEqual([]);
  });
});
