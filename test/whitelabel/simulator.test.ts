/**
 * The white-label simulator as the platform: the events its people's actions and the bridge's
 * API writes produce, their envelope (checked with the bridge's own schema, so a drift between
 * the two sides shows), and their signatures (checked with the bridge's verifier).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { whitelabelEventSchema } from '../../src/adapters/whitelabel/schemas';
import { WhitelabelSource } from '../../src/adapters/whitelabel/whitelabel-source';
import { verifyWhitelabelSignature } from '../../src/api/webhooks/whitelabel-signature';
import type { WhitelabelEventPayload } from '../../src/simulators/whitelabel/events';
import { SEED_EVENTS } from '../../src/simulators/whitelabel/seed-events';
import type { SigningOptions } from '../../src/simulators/whitelabel/signing';
import { WhitelabelSimulator } from '../../src/simulators/whitelabel/whitelabel-simulator';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  event: WhitelabelEventPayload;
}

/** A bare receiver that records what the platform sends and answers 200. */
async function receiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ headers: req.headers, raw, event: JSON.parse(raw.toString('utf8')) as WhitelabelEventPayload });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SECRET = 'sim-secret-0123456789abcdef';

describe('WhitelabelSimulator events', () => {
  let sim: WhitelabelSimulator;
  let hook: Awaited<ReturnType<typeof receiver>>;

  async function start(signing: SigningOptions = { secret: SECRET }, notifyOn: 'user' | 'all' = 'all'): Promise<void> {
    hook = await receiver();
    sim = await WhitelabelSimulator.start({ webhookUrl: hook.url, signing, notifyOn });
  }
  afterEach(async () => {
    await sim.stop();
    await hook.close();
  });

  const types = () => hook.received.map((r) => r.event.event_type);

  it("sends created, updated (with the reply), assigned and resolved for the people's actions", async () => {
    await start();
    const { ticket } = await sim.clientCreatesTicket({ title: 'Help', text: 'My app crashes' });
    const { reply } = await sim.clientReplies(ticket.id, 'Still crashing');
    await sim.teammateReplies(ticket.id, 'On it');
    await sim.assign(ticket.id, 'b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac');
    await sim.resolve(ticket.id);

    expect(types()).toEqual([
      'whitelabel_ticket_created',
      'whitelabel_ticket_updated',
      'whitelabel_ticket_updated',
      'whitelabel_ticket_assigned',
      'whitelabel_ticket_resolved',
    ]);
    for (const { event } of hook.received) expect(whitelabelEventSchema.safeParse(event).success).toBe(true);
    const [created, clientReply, , assigned, resolved] = hook.received.map((r) => r.event);
    expect(created!.data.ticket.replies.map((r) => [r.text, r.is_client_reply])).toEqual([['My app crashes', true]]);
    expect(clientReply!.data.reply).toEqual(reply);
    expect(clientReply!.data.ticket.replies.at(-1)).toEqual(reply);
    expect(assigned!.data.ticket.teammate_id).toBe('b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac');
    expect(resolved!.data.ticket.is_open).toBe(false);
    // Each event is a snapshot of its moment, not a live view of the ticket.
    expect(created!.data.ticket.replies).toHaveLength(1);
    expect(new Set(hook.received.map((r) => r.event.event_id)).size).toBe(5);
    for (const { event } of hook.received) expect(event.event_id).toMatch(/^whev_[0-9a-z]{17}$/);
  });

  it("with notifyOn 'all', the bridge's own API writes send events too", async () => {
    await start();
    const { ticket } = await sim.clientCreatesTicket({ title: 'Help', text: 'Hi' });
    const source = new WhitelabelSource({ baseUrl: sim.url, apiKey: sim.apiKey });
    const { commentId } = await source.postSupportComment(ticket.id, 'Hello from the helpdesk', { check: false, afterCommentId: null, excludeIds: [] });
    await source.setStatus(ticket.id, 'SOLVED');
    await source.setStatus(ticket.id, 'SOLVED'); // no change: no event
    await source.setStatus(ticket.id, 'OPEN'); // reopening: the platform documents no event
    expect(types()).toEqual(['whitelabel_ticket_created', 'whitelabel_ticket_updated', 'whitelabel_ticket_resolved']);
    expect(hook.received[1]!.event.data.reply).toMatchObject({ id: commentId, is_client_reply: false });
  });

  it("with notifyOn 'user', API writes send nothing", async () => {
    await start({ secret: SECRET }, 'user');
    const { ticket } = await sim.clientCreatesTicket({ title: 'Help', text: 'Hi' });
    const source = new WhitelabelSource({ baseUrl: sim.url, apiKey: sim.apiKey });
    await source.postSupportComment(ticket.id, 'Hello', { check: false, afterCommentId: null, excludeIds: [] });
    await source.setStatus(ticket.id, 'SOLVED');
    expect(types()).toEqual(['whitelabel_ticket_created']);
  });

  it.each<[string, SigningOptions, 'timestamp.body' | 'body']>([
    ['the default header and "<t>.<body>"', { secret: SECRET }, 'timestamp.body'],
    ['a custom header and the body alone', { secret: SECRET, header: 'X-Other-Sig', recipe: 'body' }, 'body'],
  ])('signs with %s, as the bridge verifies it', async (_label, signing, recipe) => {
    await start(signing);
    await sim.sendEvents(SEED_EVENTS.slice(0, 1));
    const [{ headers, raw, event }] = hook.received as [Received];
    const header = headers[(signing.header ?? 'X-Whitelabel-Signature').toLowerCase()] as string;
    expect(header).toMatch(/^t=\d{10},s=[0-9a-f]{64}$/);
    expect(verifyWhitelabelSignature({ secret: SECRET, recipe, header, rawBody: raw })).toMatchObject({ ok: true });
    const otherRecipe = recipe === 'body' ? 'timestamp.body' : 'body';
    expect(verifyWhitelabelSignature({ secret: SECRET, recipe: otherRecipe, header, rawBody: raw })).toEqual({ ok: false, reason: 'mismatch' });
    // The fixture goes out exactly as written.
    expect(raw.toString('utf8')).toBe(JSON.stringify(SEED_EVENTS[0]));
    expect(event).toEqual(SEED_EVENTS[0]);
  });

  it('sends duplicates and reversed order on request', async () => {
    await start();
    await sim.sendEvents(SEED_EVENTS, { order: 'reverse', times: 2 });
    const ids = SEED_EVENTS.map((e) => e.event_id).reverse();
    expect(hook.received.map((r) => r.event.event_id)).toEqual(ids.flatMap((id) => [id, id]));
  });

  it('loads the seed tickets (newest snapshot per ticket) when sending the seed events', async () => {
    await start();
    await sim.sendSeedEvents();
    expect(sim.tickets().map((t) => [t.id, t.updated_at]).sort()).toEqual(
      [
        ['46b1408f-190d-4ecc-8b65-302e4378497e', 1671477774],
        ['8dc1869d-0a0b-4c78-b40c-5b25bfa337eb', 1671476296],
        ['fbaddbf8-e290-4fa4-a3ed-fbb4837dabe1', 1671474890],
      ].sort(),
    );
    expect(hook.received).toHaveLength(4);
  });
});
