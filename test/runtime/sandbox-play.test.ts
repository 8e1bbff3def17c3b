/**
 * The sandbox's play routes as a person meets them, without a bridge: plain-worded 400s (unknown
 * fields named, never dropped), 404 for an unknown ticket, 409 for what the ticket's state does
 * not allow, the agent addressing a ticket by its app id, both sides of a deleted ticket, and the
 * route's request lines kept at debug. The bridge's part is played by hand through the sandbox's
 * ports, as the worker would.
 */
import { API_ROUTERS } from '../../src/api/app';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { FakeGateway, type RunningApi, startApi } from '../api/helpers';

jest.setTimeout(30_000);

const WAIT_MS = 300;

let sandbox: Sandbox;
let api: RunningApi;

beforeAll(async () => {
  sandbox = await startSandbox({ waitMs: WAIT_MS });
  api = await startApi({ gateway: new FakeGateway(), routers: [...API_ROUTERS, () => sandbox.router], extraRouteDocs: sandbox.routeDocs });
});
afterAll(async () => {
  await api.close();
  await sandbox.stop();
});

/** As `curl -s -XPOST URL -d '…'` sends it: form-encoded, by curl's default. */
const curl = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api.url}${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as any };
};

/** The bridge's part: the Zendesk ticket of an app ticket, created as the worker creates it. */
const bridgeCreatesZendeskTicket = (ticketId: string) =>
  sandbox.ports.crm.createTicket({
    externalId: `connect:${ticketId}`,
    subject: 'Meter',
    description: 'Doubled.',
    requester: { externalId: 'user-1', name: 'App user', email: null },
    status: 'open',
    tags: [],
    idempotencyKey: `create-${ticketId}`,
  });

describe('bodies', () => {
  it('are JSON whatever the Content-Type, answered with a final newline', async () => {
    const created = await curl('POST', '/sandbox/user/tickets', { title: 'Meter', description: 'Doubled.' });
    expect(created.status).toBe(200);
    expect(created.text).toMatch(/^\{"ticketId":"T-\d+"\}\n$/);
  });

  it('are refused in plain words, naming each field', async () => {
    const res = await curl('POST', '/sandbox/user/tickets', { title: '' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: 'invalid_request',
      issues: [
        { path: 'title', message: 'must not be empty' },
        { path: 'description', message: 'is required' },
      ],
    });
    const status = await curl('POST', '/sandbox/agent/tickets/1/status', { status: 'done' });
    expect(status.json.issues).toEqual([{ path: 'status', message: 'must be one of "open", "pending", "hold", "solved", "closed"' }]);
  });

  it('with an unknown field are refused, not stripped: "not resolved" details go in `details`', async () => {
    const { ticket } = await sandbox.connect.userCreatesTicket({ title: 'Meter', description: 'Doubled.' });
    const res = await curl('POST', `/sandbox/user/tickets/${ticket.id}/resolution`, { resolved: false, message: 'Still broken' });
    expect(res.status).toBe(400);
    expect(res.json.issues).toEqual([{ path: 'message', message: 'is not a field here: what is still wrong goes in details (with resolved: false)' }]);
    const other = await curl('POST', `/sandbox/user/tickets/${ticket.id}/comments`, { text: 'hi' });
    expect(other.json.issues).toEqual([
      { path: 'message', message: 'is required' },
      { path: 'text', message: 'is not a field of this request (it takes message)' },
    ]);
    expect((await curl('POST', `/sandbox/user/tickets/${ticket.id}/resolution`, { resolved: true, details: 'x' })).json.issues).toEqual([
      { path: 'details', message: 'goes with resolved: false only' },
    ]);
  });
});

describe('the end user', () => {
  it('gets 404 for a ticket the app does not have', async () => {
    for (const [method, path, body] of [
      ['POST', '/sandbox/user/tickets/T-9/comments', { message: 'x' }],
      ['POST', '/sandbox/user/tickets/T-9/resolution', { resolved: true }],
      ['DELETE', '/sandbox/user/tickets/T-9', undefined],
      ['GET', '/sandbox/tickets/T-9', undefined],
    ] as const) {
      const res = await curl(method, path, body);
      expect({ path, status: res.status, error: res.json.error }).toEqual({ path, status: 404, error: 'not_found' });
    }
  });

  it('gets 409 commenting on a CLOSED ticket', async () => {
    const { ticket } = await sandbox.connect.userCreatesTicket({ title: 'Meter', description: 'Doubled.' });
    await sandbox.connect.userSetsStatus(ticket.id, 'CLOSED');
    const res = await curl('POST', `/sandbox/user/tickets/${ticket.id}/comments`, { message: 'Hello?' });
    expect(res).toMatchObject({ status: 409, json: { error: 'conflict', message: `ticket ${ticket.id} is CLOSED: the app takes no more comments on it` } });
  });

  it('answers "was it resolved?" only on a SOLVED ticket (waiting for it a moment); a "no" on an OPEN one changes nothing', async () => {
    const { ticket } = await sandbox.connect.userCreatesTicket({ title: 'Meter', description: 'Doubled.' });
    const started = Date.now();
    const res = await curl('POST', `/sandbox/user/tickets/${ticket.id}/resolution`, { resolved: false, details: 'Still doubled.' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS);
    expect(res.status).toBe(409);
    expect(res.json.message).toMatch(/is NEW, not SOLVED: .*POST \/sandbox\/agent\/tickets\/T-\d+\/status \{"status":"solved"\}/);
    expect(sandbox.connect.ticket(ticket.id)).toMatchObject({ status: 'NEW', comments: [] });

    // The bridge brings the agent's "solved" while the route waits.
    setTimeout(() => void sandbox.connect.userSetsStatus(ticket.id, 'SOLVED'), WAIT_MS / 3);
    const no = await curl('POST', `/sandbox/user/tickets/${ticket.id}/resolution`, { resolved: false, details: 'Still doubled.' });
    expect(no).toMatchObject({ status: 200, json: { ticketId: ticket.id, status: 'PENDING' } });
    expect(sandbox.connect.ticket(ticket.id)!.comments.map((c) => c.message)).toEqual(['Still doubled.']);
  });

  it('sees the Zendesk side of a ticket it deleted', async () => {
    const { ticket } = await sandbox.connect.userCreatesTicket({ title: 'Meter', description: 'Doubled.' });
    const zd = await bridgeCreatesZendeskTicket(ticket.id);
    expect((await curl('DELETE', `/sandbox/user/tickets/${ticket.id}`)).json).toEqual({ ticketId: ticket.id, deleted: true });
    const view = await curl('GET', `/sandbox/tickets/${ticket.id}`);
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({
      app: { id: ticket.id, deleted: true },
      zendesk: { id: Number(zd.id), status: 'open', comments: [{ author: 'bridge', public: true, body: 'Doubled.' }] },
    });
  });
});

describe('the agent', () => {
  it('names a ticket by its app id: waits for the bridge to create it in Zendesk, 404 when it does not', async () => {
    const { ticket } = await sandbox.connect.userCreatesTicket({ title: 'Meter', description: 'Doubled.' });
    const early = await curl('POST', `/sandbox/agent/tickets/${ticket.id}/replies`, { body: 'Hello' });
    expect(early).toMatchObject({ status: 404, json: { message: expect.stringContaining(`the bridge has not created the Zendesk ticket of ${ticket.id} yet`) } });
    expect((await curl('POST', '/sandbox/agent/tickets/T-404/replies', { body: 'Hello' })).json.message).toMatch(/^no ticket T-404 in the app or on the white-label platform/);

    setTimeout(() => void bridgeCreatesZendeskTicket(ticket.id), WAIT_MS / 3);
    const reply = await curl('POST', `/sandbox/agent/tickets/${ticket.id}/replies`, { body: 'We are on it.' });
    expect(reply.status).toBe(200);
    const note = await curl('POST', `/sandbox/agent/tickets/${reply.json.zendeskTicketId}/replies`, { body: 'Swap the meter.', public: false });
    expect(note.json).toMatchObject({ public: false });
    expect((await curl('GET', `/sandbox/tickets/${ticket.id}`)).json.zendesk.comments.map((c: { author: string; public: boolean }) => [c.author, c.public])).toEqual([
      ['bridge', true],
      ['agent', true],
      ['agent', false],
    ]);
  });

  it('gets 409 on a closed Zendesk ticket, and for a status the ticket already has', async () => {
    const { ticket } = await sandbox.connect.userCreatesTicket({ title: 'Meter', description: 'Doubled.' });
    const zd = await bridgeCreatesZendeskTicket(ticket.id);
    expect((await curl('POST', `/sandbox/agent/tickets/${zd.id}/status`, { status: 'solved' })).status).toBe(200);
    expect(await curl('POST', `/sandbox/agent/tickets/${zd.id}/status`, { status: 'solved' })).toMatchObject({
      status: 409,
      json: { error: 'conflict', message: `Zendesk ticket ${zd.id} (${zd.id}) is already solved` },
    });
    expect((await curl('POST', `/sandbox/agent/tickets/${zd.id}/status`, { status: 'closed' })).status).toBe(200);
    expect(await curl('POST', `/sandbox/agent/tickets/${ticket.id}/replies`, { body: 'Late' })).toMatchObject({
      status: 409,
      json: { message: `Zendesk ticket ${zd.id} (${ticket.id}) is closed: closed tickets take no more changes` },
    });
    expect((await curl('POST', '/sandbox/agent/tickets/999999/replies', { body: 'x' })).status).toBe(404);
  });
});

describe('the white-label platform', () => {
  it('gives its tickets the next sandbox id, takes client and teammate replies, and 404s an unknown ticket', async () => {
    const id = sandbox.tourIds().platformTicket;
    const created = await curl('POST', '/sandbox/whitelabel/tickets', { title: 'Billing', text: 'My invoice is wrong.' });
    expect(created.json.ticketId).toBe(id);
    expect(id).toMatch(/^00000000-0000-4000-8000-\d{12}$/);
    expect(sandbox.tourIds().platformTicket).not.toBe(id);
    expect((await curl('POST', `/sandbox/whitelabel/tickets/${id}/teammate-replies`, { text: 'Looking into it.' })).status).toBe(200);
    expect((await curl('POST', `/sandbox/whitelabel/tickets/${id}/assign`, {})).json.teammateId).toBe('b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac');
    expect((await curl('GET', `/sandbox/whitelabel/tickets/${id}`)).json.platform.replies).toEqual([
      { client: true, text: 'My invoice is wrong.' },
      { client: false, text: 'Looking into it.' },
    ]);
    const unknown = '11111111-1111-4111-8111-111111111111';
    for (const path of [`/sandbox/whitelabel/tickets/${unknown}/replies`, `/sandbox/whitelabel/tickets/${unknown}/teammate-replies`]) {
      expect((await curl('POST', path, { text: 'x' })).status).toBe(404);
    }
    expect((await curl('POST', `/sandbox/whitelabel/tickets/${unknown}/resolve`)).status).toBe(404);
  });
});

it('logs its own request lines at debug, the rest as usual', async () => {
  await curl('POST', '/sandbox/user/tickets', { title: 'Meter', description: 'Doubled.' });
  await curl('POST', '/sandbox/user/tickets/T-9/comments', { message: 'x' });
  await fetch(`${api.url}/healthz`);
  const lines = api.logs.requestLines();
  const sandboxLines = lines.filter((l) => String(l.route).startsWith('/sandbox/'));
  expect(sandboxLines.length).toBeGreaterThan(2);
  expect(new Set(sandboxLines.map((l) => l.level))).toEqual(new Set(['debug']));
  expect(lines.find((l) => l.route === '/healthz')).toMatchObject({ level: 'info' });
});
