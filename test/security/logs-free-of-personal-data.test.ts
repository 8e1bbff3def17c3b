/**
 * No personal data and no secret in any log line. The whole bridge runs (API and worker, both
 * loggers captured at debug level) while tickets full of names, e-mails and message text go
 * through it, by every door: Connect and white-label tickets through their lifecycles, Zendesk
 * webhooks (their event payloads carry the ticket's subject and description), the ops API, the
 * codec server, and a series of refused requests whose bodies, query strings and headers are
 * stuffed with the same personal data. Then every captured line is searched.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { defaultPayloadConverter } from '@temporalio/common';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { eventually as eventuallyWithin } from '../harness';
import { rawRequest, type RawRequest } from '../hostile/support/raw-http';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { zendeskHeaders } from '../api/helpers';
import { encryptionWith } from './keys';

jest.setTimeout(180_000);

/** Under a loaded CI machine (several rigs, 2 cores) a sync can take seconds: allow 30. */
const eventually = <T>(assertion: () => Promise<T> | T) => eventuallyWithin(assertion, { timeoutMs: 30_000 });

const PEOPLE = {
  name: 'Émilie du Châtelet',
  email: 'emilie.chatelet@principia.example',
  otherName: 'Ramanujan Srinivasa',
  otherEmail: 'srinivasa.r@taxicab.example',
};
const TEXTS = {
  title: `Smart meter for ${PEOPLE.name} shows zero`,
  description: `Since Tuesday the display is blank. Call ${PEOPLE.email} or 07700 900461.`,
  userReply: 'The meter cupboard code is 4417, please hurry',
  agentReply: 'We have booked a visit at 14 Rue de Varenne',
  wlText: `Hello, ${PEOPLE.otherName} here, my balance looks wrong`,
  wlReply: 'Account number 12345678 sort code 12-34-56',
};
const NEEDLES = [
  PEOPLE.name,
  'Châtelet',
  'Chatelet',
  PEOPLE.email,
  'principia.example',
  PEOPLE.otherName,
  'Ramanujan',
  PEOPLE.otherEmail,
  'taxicab.example',
  '07700 900461',
  'Rue de Varenne',
  ...Object.values(TEXTS),
];

describe('logs hold no personal data and no secrets', () => {
  let rig: BridgeRig;
  let port: number;

  beforeAll(async () => {
    rig = await startBridgeRig({ payloadEncryption: encryptionWith('log-test') });
    port = Number(new URL(rig.api.url).port);
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  const send = async (request: RawRequest) => {
    const res = await rawRequest(port, request);
    if (res.kind !== 'response') throw new Error(`no response: ${res.reason}`);
    return res.status;
  };

  test('every door, valid and refused, with personal data everywhere', async () => {
    // --- Connect: a whole lifecycle.
    const connectId = `log-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id: connectId, title: TEXTS.title, description: TEXTS.description, userId: PEOPLE.email });
    const zd = await eventually(() => {
      const t = rig.zendesk.ticketByExternalId(`connect:${connectId}`);
      if (!t) throw new Error('no Zendesk ticket yet');
      return t;
    });
    // The agent answers once the workflow has linked the Zendesk ticket (see encrypted-history).
    await eventually(async () => expect((await rig.state(connectId)).crmTicketId).toBe(String(zd.id)));
    await rig.zendesk.agentReplies(zd.id, TEXTS.agentReply);
    await eventually(() => expect(rig.connect.ticket(connectId)!.comments.map((c) => c.message)).toContain(TEXTS.agentReply));
    await rig.connect.userComments(connectId, TEXTS.userReply);
    // The user's reply reopens the Zendesk ticket; solve only once that sync is done.
    await eventually(() => {
      expect(rig.zendesk.comments(zd.id).map((c) => c.body)).toContain(TEXTS.userReply);
      expect(rig.zendesk.ticket(zd.id)!.status).toBe('open');
    });
    await rig.zendesk.agentSetsStatus(zd.id, 'solved');
    await eventually(async () => expect((await rig.state(connectId)).status).toBe('SOLVED'));
    await rig.connect.userConfirmsResolved(connectId);
    expect(await rig.result(connectId)).toMatchObject({ status: 'CLOSED' });

    // --- White-label: the events themselves carry the person and the text.
    const { ticket } = await rig.whitelabel.clientCreatesTicket({
      title: TEXTS.title,
      text: TEXTS.wlText,
      client: { id: randomUUID(), name: PEOPLE.otherName, email: PEOPLE.otherEmail },
    });
    await rig.whitelabel.clientReplies(ticket.id, TEXTS.wlReply);
    await eventually(() => {
      const t = rig.zendesk.ticketByExternalId(`whitelabel:${ticket.id}`);
      expect(t && rig.zendesk.comments(t.id).map((c) => c.body)).toContain(TEXTS.wlReply);
    });

    // --- The ops API and the codec server with the bridge's own data.
    const ops: Array<[string, string]> = [['Authorization', `Bearer ${rig.apiConfig.opsApiToken}`]];
    expect(await send({ method: 'GET', target: `/tickets/connect/${connectId}`, headers: ops })).toBe(200);
    expect(await send({ method: 'GET', target: '/tickets?status=CLOSED', headers: ops })).toBe(200);
    const history = await rig.env.client.workflow.getHandle(ticketWorkflowId('whitelabel', ticket.id)).fetchHistory();
    const encrypted = history.events!.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []);
    const asJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    });
    const codecHeaders: Array<[string, string]> = [
      ['Authorization', `Bearer ${rig.apiConfig.codecAuthToken}`],
      ['Content-Type', 'application/json'],
    ];
    expect(await send({ method: 'POST', target: '/codec/decode', headers: codecHeaders, body: JSON.stringify({ payloads: encrypted.map(asJson) }) })).toBe(200);
    const plain = asJson(defaultPayloadConverter.toPayload({ name: PEOPLE.name, email: PEOPLE.email }));
    expect(await send({ method: 'POST', target: '/codec/encode', headers: codecHeaders, body: JSON.stringify({ payloads: [plain] }) })).toBe(200);

    // --- Refused requests stuffed with the same personal data.
    const pii = JSON.stringify({ type: PEOPLE.name, ticketId: PEOPLE.email, description: TEXTS.description, name: PEOPLE.name });
    const connectUrl = `/webhooks/connect?auth_token=${rig.apiConfig.connectWebhookToken}`;
    const json: Array<[string, string]> = [['Content-Type', 'application/json']];
    const refusals: Array<[RawRequest, number]> = [
      [{ method: 'POST', target: connectUrl, headers: json, body: pii }, 400],
      [{ method: 'POST', target: connectUrl, headers: json, body: `{"name":"${PEOPLE.name}", "email": "${PEOPLE.email}"` }, 400],
      // Webhook bodies are never inflated: refused from the header (issue 23).
      [{ method: 'POST', target: connectUrl, headers: [...json, ['Content-Encoding', 'gzip']], body: `${PEOPLE.name} ${PEOPLE.email}` }, 415],
      [{ method: 'POST', target: connectUrl, headers: [...json, ['Content-Encoding', 'gzip']], body: gzipSync(Buffer.alloc(400_000, `${PEOPLE.email} `)) }, 415],
      [{ method: 'POST', target: connectUrl, headers: [['Content-Type', 'text/plain']], body: pii }, 415],
      [{ method: 'POST', target: `/webhooks/connect?auth_token=${encodeURIComponent(PEOPLE.email)}&name=${encodeURIComponent(PEOPLE.name)}`, headers: json, body: pii }, 401],
      [{ method: 'POST', target: '/webhooks/zendesk', headers: json, body: pii }, 401],
      [{ method: 'POST', target: '/webhooks/zendesk', headers: Object.entries(zendeskHeaders(`{"subject":"${TEXTS.title}"`, { secret: rig.apiConfig.zendeskWebhookSecret })), body: `{"subject":"${TEXTS.title}"` }, 400],
      [{ method: 'POST', target: '/webhooks/zendesk', headers: Object.entries(zendeskHeaders(pii, { secret: rig.apiConfig.zendeskWebhookSecret })), body: pii }, 400],
      [{ method: 'POST', target: '/webhooks/whitelabel', headers: [...json, ['X-Whitelabel-Signature', `t=1,s=${'0'.repeat(64)}`]], body: pii }, 401],
      [{ method: 'GET', target: `/tickets/connect/${encodeURIComponent(PEOPLE.email)}`, headers: ops }, 400],
      [{ method: 'GET', target: `/tickets/connect/%E0%A4%A${encodeURIComponent(PEOPLE.name)}`, headers: ops }, 400],
      [{ method: 'GET', target: `/tickets?status=${encodeURIComponent(PEOPLE.name)}`, headers: ops }, 400],
      [{ method: 'POST', target: `/tickets/connect/${connectId}/close`, headers: [...ops, ...json], body: JSON.stringify({ reason: TEXTS.description, name: PEOPLE.name }) }, 400],
      [{ method: 'GET', target: `/tickets/connect/${connectId}`, headers: [['Authorization', `Bearer ${PEOPLE.email}`]] }, 401],
      [{ method: 'POST', target: '/codec/decode', headers: codecHeaders, body: JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: Buffer.from(TEXTS.description).toString('base64') }] }) }, 400],
      [{ method: 'POST', target: '/codec/decode', headers: codecHeaders, body: `{"payloads":"${PEOPLE.name}"}` }, 400],
      [{ method: 'POST', target: '/codec/decode', headers: [...json, ['Origin', `https://${PEOPLE.email}`], ...ops], body: '{"payloads":[]}' }, 403],
      [{ method: 'POST', target: `/${encodeURIComponent(PEOPLE.name)}`, headers: json, body: pii }, 404],
      [{ method: 'GET', target: '/healthz', headers: [['X-User', PEOPLE.email]] }, 200],
      [{ method: 'RAW', target: '', rawBytes: Buffer.from(`POST /webhooks/connect HTTP/1.1\r\nHost: x\r\nX-Name: ${PEOPLE.email}\u0000\r\n\r\n`, 'latin1') }, 400],
    ];
    for (const [request, status] of refusals) expect([request.target || 'raw', await send(request)]).toEqual([request.target || 'raw', status]);

    // --- The search. Not vacuous: both loggers wrote plenty, including refusals and activities.
    const apiLog = rig.logLines.join('');
    const workerLog = rig.workerLogLines.join('');
    expect(rig.logLines.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(20);
    expect(rig.logLines.some((l) => l.includes('"status":401'))).toBe(true);
    expect(rig.workerLogLines.length).toBeGreaterThan(5);
    for (const [name, log] of [['api', apiLog], ['worker', workerLog]] as const) {
      const lower = log.toLowerCase();
      const found = NEEDLES.filter((n) => lower.includes(n.toLowerCase()) || log.includes(JSON.stringify(n).slice(1, -1)));
      expect({ log: name, found }).toEqual({ log: name, found: [] });
      const secrets = [rig.apiConfig.connectWebhookToken, rig.apiConfig.zendeskWebhookSecret, rig.apiConfig.whitelabelWebhookSecret, rig.apiConfig.opsApiToken];
      expect({ log: name, secrets: secrets.filter((s) => log.includes(s)) }).toEqual({ log: name, secrets: [] });
    }
  });
});
