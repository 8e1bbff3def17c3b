/**
 * The CRM port's contract, one suite run against each helpdesk adapter and its simulator over
 * loopback HTTP (issue 20): whatever the helpdesk, the workflow may count on these. What each
 * helpdesk does differently to keep them (Zendesk's idempotency key and `safe_update`,
 * Freshdesk's landed-copy checks and read-compare-write) is the adapters' business.
 */
import { FreshdeskCrm } from '../../src/adapters/freshdesk';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import type { CrmPort, NewCrmTicket } from '../../src/ports/crm';
import { IntegrationError } from '../../src/ports/errors';
import type { FaultSpec } from '../../src/simulators/common/faults';
import { FreshdeskSimulator } from '../../src/simulators/freshdesk';
import { ZendeskSimulator } from '../../src/simulators/zendesk';

/** What the suite needs of a helpdesk beyond the port: its simulator's people and faults. */
interface Helpdesk {
  crm: CrmPort;
  agentReplies(ticketId: string, body: string): Promise<void>;
  agentSolves(ticketId: string): Promise<void>;
  /** A fault on the create, on the write of a requester's comment, or on a status write. */
  fault(on: 'create' | 'comment' | 'status', kind: FaultSpec['kind']): void;
  ticketsWith(externalId: string): number;
  /** Lets the helpdesk's clock move past the version just read (Freshdesk's is to the second). */
  tick(): void;
  stop(): Promise<void>;
}

const HELPDESKS: Array<[string, () => Promise<Helpdesk>]> = [
  [
    'Zendesk',
    async () => {
      const sim = await ZendeskSimulator.start({ apiToken: 'zd-token', echoApiWrites: false });
      const routes = { create: 'POST /tickets.json', comment: 'PUT /tickets/:id.json', status: 'PUT /tickets/:id.json' };
      return {
        crm: new ZendeskCrm({ baseUrl: sim.apiUrl, email: 'bridge@example.test', apiToken: 'zd-token', timeoutMs: 1000 }),
        agentReplies: async (id, body) => void (await sim.agentReplies(id, body)),
        agentSolves: async (id) => void (await sim.agentSetsStatus(id, 'solved')),
        fault: (on, kind) => void sim.fault({ match: routes[on], kind, times: 1 }),
        ticketsWith: (externalId) => sim.tickets().filter((t) => t.external_id === externalId).length,
        tick: () => undefined,
        stop: () => sim.stop(),
      };
    },
  ],
  [
    'Freshdesk',
    async () => {
      const clock = { ms: Date.now() };
      // Search lags a minute: the port's promises must not lean on it.
      const sim = await FreshdeskSimulator.start({ apiKey: 'fd-key', echoApiWrites: false, searchLagMs: 60_000, now: () => new Date(clock.ms) });
      const routes = { create: 'POST /tickets', comment: 'POST /tickets/:id/notes', status: 'PUT /tickets/:id' };
      return {
        crm: new FreshdeskCrm({ baseUrl: sim.apiUrl, apiKey: 'fd-key', externalIdField: sim.externalIdField, timeoutMs: 1000 }),
        agentReplies: async (id, body) => void (await sim.agentReplies(id, body)),
        agentSolves: async (id) => void (await sim.agentSetsStatus(id, 4)),
        fault: (on, kind) => void sim.fault({ match: routes[on], kind, times: 1 }),
        ticketsWith: (externalId) => sim.tickets().filter((t) => t.custom_fields[sim.externalIdField] === externalId).length,
        tick: () => void (clock.ms += 1000),
        stop: () => sim.stop(),
      };
    },
  ],
];

describe.each(HELPDESKS)('the CRM port on %s', (_name, start) => {
  let desk: Helpdesk;
  let crm: CrmPort;
  beforeEach(async () => {
    desk = await start();
    crm = desk.crm;
  });
  afterEach(() => desk.stop());

  const ticket = (externalId = 'connect:C-1'): NewCrmTicket => ({
    externalId,
    subject: 'No power',
    description: 'Since 8am',
    requester: { externalId: 'user-1', name: null, email: 'user-1@example.test' },
    status: 'new',
    tags: ['ticket-bridge'],
    idempotencyKey: `create/${externalId}`,
  });
  const once = { check: false, afterCommentId: null, excludeIds: [] } as const;
  const retried = { check: true, afterCommentId: null, excludeIds: [] } as const;
  const fails = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e instanceof IntegrationError ? e.kind : 'not an IntegrationError'));

  // Its author differs (Zendesk: the API user who created it; Freshdesk: the requester): the workflow reads neither.
  it('creates a ticket whose first comment is the public description', async () => {
    const created = await crm.createTicket(ticket());
    expect(created).toMatchObject({ externalId: 'connect:C-1', assigneeId: null, updatedAt: expect.any(String) });
    expect(['new', 'open']).toContain(created.status);
    expect(created.comments).toEqual([expect.objectContaining({ body: 'Since 8am', public: true })]);
  });

  it('a create retried after its answer was lost makes one ticket', async () => {
    desk.fault('create', 'drop-after-write');
    expect(await fails(crm.createTicket(ticket()))).toBe('network');
    const again = await crm.createTicket(ticket());
    expect(desk.ticketsWith('connect:C-1')).toBe(1);
    expect((await crm.getTicket(again.id))?.externalId).toBe('connect:C-1');
  });

  it("writes a user's message as a public comment by the requester, and the bridge's note as a private one by its user", async () => {
    const created = await crm.createTicket(ticket());
    await crm.addComment(created.id, { body: 'Still dark', public: true, author: { as: 'requester' } }, once);
    await crm.addComment(created.id, { body: 'Checked the grid', public: false, author: { as: 'bridge' } }, once);
    const read = (await crm.getTicket(created.id))!;
    expect(read.comments.slice(1).map((c) => [c.body, c.public, c.authorId])).toEqual([
      ['Still dark', true, created.requesterId],
      ['Checked the grid', false, await crm.bridgeUserId()],
    ]);
  });

  it('a comment retried after its answer was lost is found, not written twice', async () => {
    const created = await crm.createTicket(ticket());
    desk.fault('comment', 'drop-after-write');
    const comment = { body: 'Twice?', public: true, author: { as: 'requester' as const } };
    expect(await fails(crm.addComment(created.id, comment, once))).toBe('network');
    const again = await crm.addComment(created.id, comment, retried);
    expect(again.alreadyPresent).toBe(true);
    expect((await crm.getTicket(created.id))!.comments.filter((c) => c.body === 'Twice?')).toHaveLength(1);
  });

  it("reads an agent's reply as a public comment by neither the requester nor the bridge", async () => {
    const created = await crm.createTicket(ticket());
    await desk.agentReplies(created.id, 'On our way');
    const reply = (await crm.getTicket(created.id))!.comments.at(-1)!;
    expect(reply).toMatchObject({ body: 'On our way', public: true });
    expect([created.requesterId, await crm.bridgeUserId()]).not.toContain(reply.authorId);
  });

  it('a conditional write after someone else changed the ticket is a write-conflict, and writes nothing', async () => {
    const created = await crm.createTicket(ticket());
    desk.tick();
    await desk.agentReplies(created.id, 'Agent first');
    const condition = { version: created.updatedAt!, status: created.status, afterCommentId: created.comments[0]!.id, excludeIds: [] };
    expect(await fails(crm.setStatus(created.id, 'solved', condition))).toBe('write-conflict');
    expect(await fails(crm.addComment(created.id, { body: 'late', public: true, author: { as: 'requester' } }, once, { version: created.updatedAt! }))).toBe('write-conflict');
    const read = (await crm.getTicket(created.id))!;
    expect(read.status).not.toBe('solved');
    expect(read.comments.map((c) => c.body)).toEqual(['Since 8am', 'Agent first']);
  });

  it('sets the status, and a status already there is done without a conflict', async () => {
    const created = await crm.createTicket(ticket());
    await desk.agentSolves(created.id);
    const read = (await crm.getTicket(created.id))!;
    expect(read.status).toBe('solved');
    await crm.setStatus(created.id, 'solved', { version: created.updatedAt!, status: created.status, afterCommentId: null, excludeIds: [] });
    await crm.setStatus(created.id, 'closed');
    expect((await crm.getTicket(created.id))!.status).toBe('closed');
  });

  it('answers no version for a status found already there: the version read is not its own write', async () => {
    // A status write whose answer was lost is retried and finds its status landed. The ticket's
    // version then may carry changes made after that write (an agent's reply in the meantime):
    // taken as the write's own answer, they would be known without ever being read.
    const created = await crm.createTicket(ticket());
    const condition = { version: created.updatedAt!, status: created.status, afterCommentId: created.comments[0]!.id, excludeIds: [] };
    desk.tick();
    desk.fault('status', 'drop-after-write');
    await expect(crm.setStatus(created.id, 'pending', condition)).rejects.toBeInstanceOf(IntegrationError);
    desk.tick();
    await desk.agentReplies(created.id, 'Meanwhile');
    // The activity's retry: the same write, on the same condition.
    expect(await crm.setStatus(created.id, 'pending', condition)).toEqual({ version: null });
    expect((await crm.getTicket(created.id))!.status).toBe('pending');
  });

  it('answers null for a ticket it does not have, and leaves it out of the versions', async () => {
    const created = await crm.createTicket(ticket());
    expect(await crm.getTicket('999999')).toBeNull();
    const versions = await crm.getTicketVersions([created.id, '999999']);
    expect([...versions.keys()]).toEqual([created.id]);
  });
});
