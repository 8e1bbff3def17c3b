/**
 * The mapping end to end (MAPPING_FILE, docs/mapping.md): real tickets opened on the Connect and
 * white-label simulators reach the Zendesk simulator through the real API, workflows and
 * activities, with the custom fields, tags, priority, group, brand and agent their mapping gives
 * them, each tenant routed to its own brand and group. Without a mapping the create request is
 * exactly what it always was.
 */
import { randomUUID } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { parseMapping, type TicketMapping } from '../../src/mapping';
import type { ZendeskSimulator } from '../../src/simulators/zendesk';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { closeUpdate, resyncUpdate } from '../../src/workflows/definitions';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { recordHistory } from '../support/histories';

jest.setTimeout(120_000);

function checked(file: unknown): TicketMapping {
  const parsed = parseMapping(JSON.stringify(file));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.mapping;
}

/** Every payload of a history (its JSON form, payloads in base64) as text. */
function payloadTexts(historyJson: string): string {
  const texts: string[] = [];
  JSON.parse(historyJson, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') texts.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return texts.join('\n');
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

/** A rig on the two-tenant mapping; `north` is the north tenant's assignee pool. */
async function startTwoTenantRig(): Promise<{ rig: BridgeRig; north: number[] }> {
  let north: number[] = [];
  const rig = await startBridgeRig({
    mapping: (zendesk) => {
      const mapping = twoTenants(zendesk);
      north = mapping.connect!.assignee!.table!.north as number[];
      return mapping;
    },
  });
  return { rig, north };
}

describe('a mapping applied when the bridge creates the Zendesk ticket', () => {
  let rig: BridgeRig;
  let north: number[];
  beforeAll(async () => {
    ({ rig, north } = await startTwoTenantRig());
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

describe('a mapped source field that changes later (mapped-field-changes-1)', () => {
  let rig: BridgeRig;
  let north: number[];
  beforeAll(async () => {
    ({ rig, north } = await startTwoTenantRig());
  });
  afterAll(() => rig?.teardown());

  /** The bridge's writes to one Zendesk ticket after its create (comments, statuses and fields are all PUTs; agents act in the simulator, not over HTTP). */
  const writesTo = (zdId: number) => rig.zendesk.requests('PUT /tickets/:id.json').filter((r) => r.path.endsWith(`/tickets/${zdId}.json`));

  test("a ticket moved to another tenant, with an alert raised: its brand, group, priority and tenant tag follow in one conditional write; the agents' tag, the assignee and the other fields stay; a notification without a change writes nothing", async () => {
    const id = `map-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Heat pump alarm', description: 'It beeps.', tenantId: 'north', userId: 'user-private-7731', houseId: 'house-12' });
    const zd = await rig.zendeskTicketFor(id);
    expect(zd).toMatchObject({ brand_id: 101, group_id: 201, priority: 'normal', tags: ['ticket-bridge', 'source-connect', 'from_app', 'tenant_north'] });
    const assignee = zd.assignee_id;
    expect(north).toContain(assignee);
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(zd.id)));
    const handle = rig.client.workflow.getHandle(ticketWorkflowId('connect', id));
    // An agent tags the ticket by hand (Zendesk sends no event for it: the bridge does not know).
    await rig.zendesk.agentAddsTags(zd.id, ['vip']);
    const before = writesTo(zd.id).length;

    await rig.connect.platformChangesFields(id, { tenantId: 'south', alertId: 'alert-9' });
    await eventually(() => expect(rig.zendesk.ticket(zd.id)).toMatchObject({ brand_id: 102, group_id: 202, priority: 'urgent' }));
    const after = rig.zendesk.ticket(zd.id)!;
    expect(after.tags).toEqual(['ticket-bridge', 'source-connect', 'from_app', 'vip', 'tenant_south']);
    expect(after.assignee_id).toBe(assignee);
    expect(after.custom_fields).toEqual(zd.custom_fields);
    const writes = writesTo(zd.id).slice(before);
    expect(writes).toHaveLength(1);
    const sent = (writes[0]!.body as { ticket: Record<string, unknown> }).ticket;
    // Only what changed, tags one by one, conditional on the version the bridge had just read.
    expect(sent).toEqual({
      priority: 'urgent',
      group_id: 202,
      brand_id: 102,
      additional_tags: ['tenant_south'],
      remove_tags: ['tenant_north'],
      safe_update: true,
      updated_stamp: expect.any(String),
    });
    await eventually(async () => expect((await rig.state(id)).timeline.map((t) => t.detail)).toContain('mapped fields → Zendesk: priority, group, brand, tags'));
    // Logged like the create's mapping: the personal rule's value never.
    const logs = rig.workerLogLines.join('\n');
    expect(logs).toContain('mapped fields updated');
    expect(logs).not.toContain('user-private-7731');

    // A notification that changes nothing the mapping reads: read, and nothing written.
    const { notifications } = (await rig.state(id)).counts;
    await rig.connect.platformChangesFields(id, { equipmentId: 'eq-4' });
    await rig.connect.sendWebhook({ type: 'UPDATE', ticketId: id });
    await eventually(async () => expect((await rig.state(id)).counts.notifications).toBe(notifications + 2));
    // The update answers after a sync that started after it: the notifications' work is done by then.
    const state = await handle.executeUpdate(resyncUpdate, { args: [{ reason: 'the notifications are through' }] });
    expect(state.lastError).toBeNull();
    expect(writesTo(zd.id).slice(before)).toHaveLength(1);
    expect(rig.zendesk.ticket(zd.id)!.tags).toEqual(['ticket-bridge', 'source-connect', 'from_app', 'vip', 'tenant_south']);
    // No mapped value in the workflow's history: digests only. (The Connect user id is there as
    // the requester's id, as it always was; the mapped values are not.)
    const payloads = payloadTexts(historyToJSON(await handle.fetchHistory()));
    expect(payloads).toContain('"mapped":{"digest":');
    for (const value of ['house-12', 'tenant_south', 'tenant_north', '"south"', 'alert-9']) expect(payloads).not.toContain(value);

    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    expect(await handle.result()).toMatchObject({ status: 'CLOSED', completed: true });
    await recordHistory('mapped-field-changed-once', handle);
  });

  test("an agent's change between the bridge's read and its field write is news, not an error: Zendesk refuses the stale write, the bridge reads again and writes once more, the agent's change kept", async () => {
    const id = `map-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Meter', description: 'No reading.', tenantId: 'north' });
    const zd = await rig.zendeskTicketFor(id);
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(zd.id)));
    const before = writesTo(zd.id).length;
    // The bridge's field write is held on its way in; meanwhile an agent tags the ticket.
    const held = rig.zendesk.fault({ match: 'PUT /tickets/:id.json', kind: 'latency', delayMs: 1_500, times: 1 });
    await rig.connect.platformChangesFields(id, { tenantId: 'south' });
    await eventually(() => expect(held.hits).toBe(1));
    await rig.zendesk.agentAddsTags(zd.id, ['escalated']);
    await eventually(() => expect(writesTo(zd.id).slice(before).map((w) => w.status)).toEqual([409, 200]));
    expect(rig.zendesk.ticket(zd.id)).toMatchObject({ brand_id: 102, group_id: 202, tags: ['ticket-bridge', 'source-connect', 'from_app', 'escalated', 'tenant_south'] });
    const state = await rig.state(id);
    expect(state.lastError).toBeNull();
    expect(state.timeline.map((t) => t.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/changed since it was read: reading both sides again/), 'mapped fields → Zendesk: group, brand, tags']));
  });

  test('a ticket whose mapped fields the bridge does not know (adopted, or linked before the patch) is not rewritten by its first sync; the next change is written', async () => {
    const id = `map-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Meter', description: 'No reading.', tenantId: 'north', houseId: 'house-12' });
    const zd = await rig.zendeskTicketFor(id);
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(zd.id)));
    // A new run with empty memory adopts the Zendesk ticket: what it was mapped with is not known.
    await rig.client.workflow.getHandle(ticketWorkflowId('connect', id)).terminate('a run without the digests');
    const before = writesTo(zd.id).length;
    await rig.connect.platformChangesFields(id, { tenantId: 'south' });
    await eventually(async () => expect((await rig.state(id)).timeline.map((t) => t.detail)).toContain('mapped fields taken as Zendesk has them (not known before)'));
    expect(rig.zendesk.ticket(zd.id)).toMatchObject({ brand_id: 101, group_id: 201, priority: 'normal' });
    expect(writesTo(zd.id).slice(before)).toHaveLength(0);

    // From there on, a change is followed: only what it changes.
    await rig.connect.platformChangesFields(id, { alertId: 'alert-2' });
    await eventually(() => expect(rig.zendesk.ticket(zd.id)).toMatchObject({ brand_id: 101, group_id: 201, priority: 'urgent' }));
    const writes = writesTo(zd.id).slice(before);
    expect(writes.map((w) => Object.keys((w.body as { ticket: object }).ticket))).toEqual([['priority', 'safe_update', 'updated_stamp']]);
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
