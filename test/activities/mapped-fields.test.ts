/**
 * The activities' side of later mapped-field changes (docs/mapping.md, "When a source field
 * changes"), over the real Connect and Zendesk adapters and simulators: the sync's read carries
 * the mapping's digests at no extra request, the create answers the same digests, and the update
 * writes only when something changed. A helpdesk without `updateFields` gets no digests at all.
 */
import { type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { ConnectSource } from '../../src/adapters/connect';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import type { TicketMapping } from '../../src/mapping';
import type { CrmPort } from '../../src/ports/crm';
import { ConnectSimulator } from '../../src/simulators/connect';
import { ZendeskSimulator } from '../../src/simulators/zendesk';
import { checkedMapping } from '../support/mapping';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment({ attempt: 1 }, { logger: silent }).run(fn, ...args);
const WINDOW = { cursor: null, ownIds: [], maxBytes: Number.POSITIVE_INFINITY };

const mapping = checkedMapping({
  version: 1,
  connect: {
    customFields: [{ id: 5001, from: 'houseId' }],
    tags: [{ from: 'tenantId', prefix: 'tenant_' }],
    brand: { from: 'tenantId', lookup: { north: 101, south: 102 } },
  },
});

describe('mapped-field activities over the real adapters', () => {
  let connect: ConnectSimulator;
  let zendesk: ZendeskSimulator;
  let crm: ZendeskCrm;
  const activitiesWith = (over: { mapping?: TicketMapping; crm?: CrmPort } = {}) =>
    createActivities({ sources: { connect: new ConnectSource({ baseUrl: connect.url, apiKey: 'k' }), whitelabel: undefined }, crm: over.crm ?? crm, ...(over.mapping && { mapping: over.mapping }) });

  beforeEach(async () => {
    connect = await ConnectSimulator.start({ apiKey: 'k' });
    zendesk = await ZendeskSimulator.start({ apiToken: 't', echoApiWrites: false });
    crm = new ZendeskCrm({ baseUrl: zendesk.apiUrl, email: 'bridge@example.test', apiToken: 't' });
  });
  afterEach(async () => {
    await connect.stop();
    await zendesk.stop();
  });

  async function created(activities: ReturnType<typeof createActivities>) {
    const { ticket } = await connect.userCreatesTicket({ title: 't', description: 'd', tenantId: 'north', houseId: 'house-12' });
    const externalId = `connect:${ticket.id}`;
    const requester = { externalId: 'u', name: null, email: null };
    const zd = await run(activities.ensureCrmTicket, { externalId, subject: 't', description: 'd', requester, status: 'new', tags: [], idempotencyKey: 'k1' });
    return { id: ticket.id, zd };
  }

  it("the sync's read carries the digests the create answered, from the same one request", async () => {
    const activities = activitiesWith({ mapping });
    const { id, zd } = await created(activities);
    expect(zd.mapped?.digest).toMatch(/^[0-9a-f]{16}$/);
    const gets = connect.requests('GET /tickets/:id').length;
    const read = await run(activities.readSourceTicket, { source: 'connect', ticketId: id, window: WINDOW });
    expect(connect.requests('GET /tickets/:id')).toHaveLength(gets + 1);
    expect(read?.mapped).toEqual(zd.mapped);

    await connect.platformChangesFields(id, { tenantId: 'south' });
    const changed = await run(activities.readSourceTicket, { source: 'connect', ticketId: id, window: WINDOW });
    expect(changed?.mapped?.digest).not.toBe(zd.mapped!.digest);
  });

  it('an update with nothing changed writes nothing; one with a change writes it and answers the new digests and version', async () => {
    const activities = activitiesWith({ mapping });
    const { id, zd } = await created(activities);
    const input = { source: 'connect' as const, ticketId: id, crmTicketId: zd.id, known: zd.mapped!, version: zd.updatedAt ?? null };
    expect(await run(activities.updateCrmMappedFields, input)).toEqual({ mapped: zd.mapped, written: [], version: input.version });
    expect(zendesk.requests('PUT /tickets/:id.json')).toHaveLength(0);

    await connect.platformChangesFields(id, { tenantId: 'south' });
    const result = await run(activities.updateCrmMappedFields, input);
    expect(result.written).toEqual(['brand', 'tags']);
    expect(result.version).toBe(zendesk.ticket(zd.id)!.updated_at);
    expect(zendesk.ticket(zd.id)).toMatchObject({ brand_id: 102, tags: ['tenant_south'], custom_fields: [{ id: 5001, value: 'house-12' }] });
    expect(zendesk.requests('PUT /tickets/:id.json')).toHaveLength(1);
  });

  it('without a mapping, or with a helpdesk that takes no mapped fields: no digests, and an update is refused for good', async () => {
    const plain = activitiesWith();
    const { id } = await created(plain);
    expect(await run(plain.readSourceTicket, { source: 'connect', ticketId: id, window: WINDOW })).not.toHaveProperty('mapped');

    // A helpdesk port without `updateFields` (Freshdesk's): the same calls, nothing about fields.
    const noFields: CrmPort = {
      kind: 'nofields',
      bridgeUserId: () => crm.bridgeUserId(),
      findTicketByExternalId: (e) => crm.findTicketByExternalId(e),
      createTicket: (t) => crm.createTicket(t),
      getTicketVersions: (ids) => crm.getTicketVersions(ids),
      getTicket: (t, o) => crm.getTicket(t, o),
      addComment: (...a) => crm.addComment(...a),
      setStatus: (...a) => crm.setStatus(...a),
      setAssignee: (...a) => crm.setAssignee(...a),
    };
    const unfollowed = activitiesWith({ mapping, crm: noFields });
    const read = await run(unfollowed.readSourceTicket, { source: 'connect', ticketId: id, window: WINDOW });
    expect(read).not.toHaveProperty('mapped');
    const refused = await run(unfollowed.updateCrmMappedFields, { source: 'connect', ticketId: id, crmTicketId: '1', known: { digest: 'x', targets: {}, tags: [] }, version: null }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ type: 'unprocessable', nonRetryable: true });
  });
});
