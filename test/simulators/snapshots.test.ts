import { ConnectSimulator, connectSnapshotSchema } from '../../src/simulators/connect';
import { WhitelabelSimulator, whitelabelSnapshotSchema } from '../../src/simulators/whitelabel';
import { ZendeskSimulator, zendeskSnapshotSchema } from '../../src/simulators/zendesk';
import { startReceiver, type Receiver } from './receiver';

/** Snapshots go through JSON and the schema, as they do through the sandbox's state file. */
const viaJson = <T>(schema: { parse(v: unknown): T }, snapshot: T): T => schema.parse(JSON.parse(JSON.stringify(snapshot)));

/** A simulator's snapshot and restore, and what tells its owner of a change. */
describe('simulator snapshots', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  const keep = <S extends { stop(): Promise<void> }>(sim: S): S => {
    stops.push(() => sim.stop());
    return sim;
  };

  it('Connect: every write through the API is told, reads are not, and a restored simulator serves the same tickets', async () => {
    let changes = 0;
    const sim = keep(await ConnectSimulator.start({ apiKey: 'k', onChange: () => changes++ }));
    const call = (s: ConnectSimulator, method: string, path: string, body?: unknown) =>
      fetch(s.url + path, { method, headers: { 'clevergy-api-key': 'k', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const { ticket } = await sim.userCreatesTicket({ title: 'No power', description: 'Since 8am' });
    const comment = (await (await call(sim, 'POST', `/tickets/${ticket.id}/comment`, { message: 'On it' })).json()) as { id: number };
    const { url } = (await (await call(sim, 'POST', `/comments/${comment.id}/attachment-upload-url`, { fileName: 'a.png' })).json()) as { url: string };
    const counted = changes;
    expect((await fetch(url, { method: 'PUT', body: 'png' })).status).toBe(200);
    expect(changes).toBe(counted + 1);
    await call(sim, 'GET', `/tickets/${ticket.id}`);
    expect(changes).toBe(counted + 1);

    const restored = keep(await ConnectSimulator.start({ apiKey: 'k', snapshot: viaJson(connectSnapshotSchema, sim.toSnapshot()) }));
    // The same ticket, but for the origin in its attachments' download URLs (a new port).
    const read = async (s: ConnectSimulator): Promise<unknown> => JSON.parse((await (await call(s, 'GET', `/tickets/${ticket.id}`)).text()).replaceAll(s.url, 'ORIGIN'));
    expect(await read(restored)).toEqual(await read(sim));
    expect(restored.ticket(ticket.id)!.comments[0]!.attachments).toEqual(['a.png']);
    // And the file's bytes, through the URL the restored API lists.
    const [fileUrl] = ((await (await call(restored, 'GET', `/tickets/${ticket.id}`)).json()) as { comments: { attachments: string[] }[] }).comments[0]!.attachments;
    expect(await (await fetch(fileUrl!)).text()).toBe('png');
    expect(restored.toSnapshot()).toEqual(sim.toSnapshot());
  });

  describe('Zendesk', () => {
    const auth = (email: string) => `Basic ${Buffer.from(`${email}/token:tok`).toString('base64')}`;
    const me = (sim: ZendeskSimulator, email: string) => fetch(`${sim.apiUrl}/users/me.json`, { headers: { authorization: auth(email) } });

    it('keeps its bridge user and agent; the configured e-mail still decides how the API user signs in', async () => {
      const sim = keep(await ZendeskSimulator.start({ apiToken: 'tok', bridgeEmail: 'old@example.test' }));
      const snapshot = viaJson(zendeskSnapshotSchema, sim.toSnapshot());
      const restored = keep(await ZendeskSimulator.start({ apiToken: 'tok', bridgeEmail: 'new@example.test', snapshot }));
      expect(restored.bridgeUser.id).toBe(sim.bridgeUser.id);
      expect(restored.agent.id).toBe(sim.agent.id);
      expect((await me(restored, 'old@example.test')).status).toBe(401);
      const res = await me(restored, 'new@example.test');
      expect(((await res.json()) as { user: { id: number } }).user.id).toBe(sim.bridgeUser.id);
      // Nobody new was added for them.
      expect(restored.addAgent('Another', 'another@example.test').id).toBe(sim.bridgeUser.id + 2);
    });

    it('remembers idempotent creates until they expire', async () => {
      let now = Date.parse('2024-05-01T10:00:00Z');
      const sim = keep(await ZendeskSimulator.start({ apiToken: 'tok', now: () => new Date(now) }));
      const create = (s: ZendeskSimulator, key: string) =>
        fetch(`${s.apiUrl}/tickets.json`, {
          method: 'POST',
          headers: { authorization: auth('bridge@example.test'), 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ ticket: { subject: 's', comment: { body: 'b' } } }),
        });
      await create(sim, 'early');
      now += 90 * 60_000;
      await create(sim, 'late');
      now += 60 * 60_000; // 'early' is 2.5 h old: expired.
      const snapshot = viaJson(zendeskSnapshotSchema, sim.toSnapshot());
      expect(snapshot.idempotency.map((e) => e.key)).toEqual(['late']);
      const restored = keep(await ZendeskSimulator.start({ apiToken: 'tok', now: () => new Date(now), snapshot }));
      const replay = await create(restored, 'late');
      expect(replay.headers.get('x-idempotency-lookup')).toBe('hit');
      expect(restored.tickets()).toHaveLength(2);
    });

    it('refuses a snapshot whose agent is not an agent', async () => {
      const sim = keep(await ZendeskSimulator.start());
      const snapshot = sim.toSnapshot();
      const endUser = { id: snapshot.store.next.user, name: 'u', email: null, role: 'end-user' as const };
      const bad = { ...snapshot, agentId: endUser.id, store: { ...snapshot.store, users: [...snapshot.store.users, endUser], next: { ...snapshot.store.next, user: endUser.id + 1 } } };
      expect(zendeskSnapshotSchema.safeParse(bad).error?.issues.map((i) => i.path.join('.'))).toEqual(['agentId']);
    });
  });

  describe('white-label', () => {
    let receiver: Receiver;
    beforeEach(async () => {
      receiver = await startReceiver(200);
    });
    afterEach(() => receiver.close());

    it('keeps its endpoint id and tickets; API replies are told', async () => {
      let changes = 0;
      const sim = keep(await WhitelabelSimulator.start({ signing: { secret: 's' }, endpointId: 'ep-1', onChange: () => changes++ }));
      const { ticket } = await sim.clientCreatesTicket({ title: 'Billing', text: 'Wrong invoice' });
      const counted = changes;
      const res = await fetch(`${sim.url}/tickets/${ticket.id}/replies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Looking into it' }),
      });
      expect(res.status).toBe(201);
      expect(changes).toBeGreaterThan(counted);

      const snapshot = viaJson(whitelabelSnapshotSchema, sim.toSnapshot());
      const restored = keep(await WhitelabelSimulator.start({ signing: { secret: 's' }, webhookUrl: `${receiver.url}/wh`, snapshot }));
      expect(restored.tickets()).toEqual(sim.tickets());
      await restored.clientReplies(ticket.id, 'Thanks');
      expect(receiver.received.map((r) => (r.body as { endpoint_id: string }).endpoint_id)).toEqual(['ep-1']);
    });
  });
});
