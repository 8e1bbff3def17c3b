/**
 * The mapping end to end (MAPPING_FILE, docs/mapping.md): real tickets opened on the Connect and
 * white-label simulators reach the Zendesk simulator through the real API, workflows and
 * activities, with the custom fields, tags, priority, group, brand and agent their mapping gives
 * them, each tenant routed to its own brand and group. Without a mapping the create request is
 * exactly what it always was.
 */
import { randomUUID } from 'node:crypto';
import { parseMapping, type TicketMapping } from '../../src/mapping';
import type { ZendeskSimulator } from '../../src/simulators/zendesk';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(120_000);

function checked(file: unknown): TicketMapping {
  const parsed = parseMapping(JSON.stringify(file));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.mapping;
}

/** Two tenants, each with its own brand, group and pool of agents (the simulator's). */
function twoTenants(zendesk: ZendeskSimulator): TicketMapping {
  const north = [zendesk.addAgent('North One', 'n1@example.test').id, zendesk.addAgent('North Two', 'n2@example.test').id];
  return checked({
    version: 1,
    lookups: {
      brandByTenant: { north: 101, south: 102 },
      // 999999 is nobody in this Zendesk: it refuses the create (422).
      poolByTenant: { north, broken: [999999] },
    },
    connect: {
      customFields: [
        { id: 5001, from: 'houseId' },
        { id: 5002, from: 'contractId' },
        { id: 5003, from: 'userId', personal: true },
        { id: 5004, value: 'clevergy-app' },
      ],
      tags: [{ value: 'from_app' }, { from: 'tenantId', prefix: 'tenant_' }],
      priority: { from: 'alertId', whenSet: 'urgent', default: 'normal' },
      brand: { from: 'tenantId', lookup: 'brandByTenant' },
      group: { from: 'tenantId', lookup: { north: 201, south: 202 }, default: 200 },
      form: { value: 301 },
      assignee: { from: 'tenantId', lookup: 'poolByTenant' },
    },
    whitelabel: {
      customFields: [{ id: 6001, from: 'category' }, { id: 6002, from: 'language' }],
      tags: [{ from: 'category', prefix: 'cat_' }],
      group: { from: 'category', lookup: { billing: 210 }, default: 211 },
    },
  });
}

describe('a mapping applied when the bridge creates the Zendesk ticket', () => {
  let rig: BridgeRig;
  let north: number[];
  beforeAll(async () => {
    rig = await startBridgeRig({
      mapping: (zendesk) => {
        const mapping = twoTenants(zendesk);
        north = mapping.connect!.assignee!.table!.north as number[];
        return mapping;
      },
    });
  });
  afterAll(() => rig?.teardown());

  test("a Connect ticket's fields and tenant become custom fields, tags, priority, brand, group, form and an agent of its tenant's pool", async () => {
    const id = `map-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({
      id,
      title: 'Heat pump alarm',
      description: 'It beeps.',
      tenantId: 'north',
      userId: 'user-private-7731',
      houseId: 'house-12',
      contractId: 'contract-9',
      alertId: 'alert-3',
    });
    const zd = await rig.zendeskTicketFor(id);
    expect(zd.custom_fields).toEqual([
      { id: 5001, value: 'house-12' },
      { id: 5002, value: 'contract-9' },
      { id: 5003, value: 'user-private-7731' },
      { id: 5004, value: 'clevergy-app' },
    ]);
    expect(zd.tags).toEqual(['ticket-bridge', 'source-connect', 'from_app', 'tenant_north']);
    expect(zd).toMatchObject({ priority: 'urgent', brand_id: 101, group_id: 201, ticket_form_id: 301 });
    expect(north).toContain(zd.assignee_id);
    // The workflow goes on as before: linked, nothing failed.
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(zd.id)));
    expect((await rig.state(id)).lastError).toBeNull();

    // The value of a rule marked personal is in Zendesk, never in a log line; the others are.
    const logs = rig.workerLogLines.join('\n');
    expect(logs).toContain('mapping applied');
    expect(logs).toContain('house-12');
    expect(logs).not.toContain('user-private-7731');
  });

  test('each tenant gets its own brand and group; a tenant without a table entry gets the default group and no brand, an unset field its default', async () => {
    const south = `map-${randomUUID().slice(0, 8)}`;
    const other = `map-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id: south, title: 'Bill', description: 'Too high.', tenantId: 'south' });
    await rig.connect.userCreatesTicket({ id: other, title: 'Bill', description: 'Too high.', tenantId: 'elsewhere' });
    const [zdSouth, zdOther] = [await rig.zendeskTicketFor(south), await rig.zendeskTicketFor(other)];
    expect(zdSouth).toMatchObject({ brand_id: 102, group_id: 202, priority: 'normal', tags: ['ticket-bridge', 'source-connect', 'from_app', 'tenant_south'] });
    // No pool for the tenant: unassigned, as without a mapping.
    expect(zdSouth.assignee_id).toBeNull();
    expect(zdOther.brand_id).toBeUndefined();
    expect(zdOther).toMatchObject({ group_id: 200, tags: ['ticket-bridge', 'source-connect', 'from_app', 'tenant_elsewhere'] });
  });

  test('a mapping Zendesk refuses (an assignee it does not have) leaves the ticket created, without the mapped fields', async () => {
    const id = `map-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Bill', description: 'Too high.', tenantId: 'broken' });
    const zd = await rig.zendeskTicketFor(id);
    expect(zd.tags).toEqual(['ticket-bridge', 'source-connect']);
    expect(zd).toMatchObject({ assignee_id: null });
    expect(zd.brand_id).toBeUndefined();
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(zd.id)));
    const creates = rig.zendesk.requests('POST /tickets.json').filter((r) => (r.body as { ticket: { external_id: string } }).ticket.external_id === `connect:${id}`);
    expect(creates.map((r) => r.status)).toEqual([422, 201]);
    expect(rig.workerLogLines.join('\n')).toContain('mapping refused by Zendesk');
  });

  test("a white-label ticket's category and language become custom fields, a tag and its group", async () => {
    const { ticket } = await rig.whitelabel.clientCreatesTicket({ title: 'Invoice', text: 'Wrong amount', category: 'billing', language: 'es' });
    const zd = await rig.zendeskTicketFor(ticket.id, 'whitelabel');
    expect(zd.custom_fields).toEqual([
      { id: 6001, value: 'billing' },
      { id: 6002, value: 'es' },
    ]);
    expect(zd).toMatchObject({ group_id: 210, tags: ['ticket-bridge', 'source-whitelabel', 'cat_billing'] });
    expect(zd.brand_id).toBeUndefined();
  });
});

describe('without a mapping', () => {
  let rig: BridgeRig;
  beforeAll(async () => {
    rig = await startBridgeRig();
  });
  afterAll(() => rig?.teardown());

  test('the create request carries exactly the fields it always did', async () => {
    const id = `plain-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Heating off', description: 'No heat.', tenantId: 'north', houseId: 'house-12' });
    const zd = await rig.zendeskTicketFor(id);
    const creates = rig.zendesk.requests('POST /tickets.json').filter((r) => (r.body as { ticket: { external_id: string } }).ticket.external_id === `connect:${id}`);
    expect(creates).toHaveLength(1);
    expect(Object.keys((creates[0]!.body as { ticket: object }).ticket)).toEqual(['subject', 'comment', 'requester', 'external_id', 'status', 'tags']);
    expect(zd.tags).toEqual(['ticket-bridge', 'source-connect']);
    expect(zd.custom_fields).toBeUndefined();
  });
});
