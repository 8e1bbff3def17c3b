import { FreshdeskSimulator } from '../../src/simulators/freshdesk';
import { startReceiver, type Receiver } from './receiver';

/** The Freshdesk simulator's agents, as the end-to-end suites drive them. */
describe('Freshdesk simulator: agents', () => {
  let sim: FreshdeskSimulator;
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await startReceiver(202);
    sim = await FreshdeskSimulator.start({ webhookUrl: `${receiver.url}/webhooks/freshdesk?token=t` });
  });
  afterEach(async () => {
    await sim.stop();
    await receiver.close();
  });

  const newTicket = async () => {
    const res = await fetch(`${sim.apiUrl}/tickets`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${sim.apiKey}:X`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'No power', description: 'Since 8am', email: 'user@example.test', status: 2 }),
    });
    expect(res.status).toBe(201);
    await sim.webhooks.idle();
    receiver.received.length = 0;
    return (await res.json()) as { id: number };
  };

  test('"send and set as": a reply and a status in one action, one automation webhook', async () => {
    const { id } = await newTicket();
    const { webhooks } = await sim.agentReplies(id, 'Fixed on our side.', { status: 4 });
    expect(webhooks.map((w) => w.status)).toEqual([202]);
    expect(receiver.received.map((r) => r.body)).toEqual([{ ticket_id: String(id), external_id: '', event: 'updated' }]);
    const ticket = sim.ticket(id)!;
    expect(ticket.status).toBe(4);
    expect(sim.conversations(id).map((c) => [c.body_text, c.private, c.user_id])).toEqual([['Fixed on our side.', false, sim.agent.id]]);
  });

  test('a status the account does not have is refused, and nothing is written', async () => {
    const { id } = await newTicket();
    await expect(sim.agentReplies(id, 'Waiting on the vendor.', { status: 9 })).rejects.toThrow(/status/);
    expect(sim.conversations(id)).toEqual([]);
    expect(sim.ticket(id)!.status).toBe(2);
    expect(receiver.received).toEqual([]);
  });
});
