/**
 * Hostile input against the three webhooks (`npm run test:hostile`): thousands of generated
 * requests with bad, missing, stale or replayed credentials, malformed or hostile bodies, odd
 * media types and encodings, junk query strings and header values. Each must be refused with a
 * 4xx JSON error naming the problem; the server never crashes, Object.prototype is never
 * polluted, and no ticket workflow is started or signalled (see ./support/target.ts).
 */
import fc from 'fast-check';
import { zendeskSignature } from '../../src/api/auth';
import { whitelabelSignature } from '../../src/api/webhooks/whitelabel-signature';
import { whitelabelEventSchema } from '../../src/adapters/whitelabel/schemas';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { attack, type HostileCase } from './support/attack';
import {
  contentType,
  headerName,
  hostileHeaderValue,
  oneHeaderValue,
  invalidUtf8,
  junkQuery,
  malformedJsonText,
  nastyJson,
  nastyString,
  pct,
  pollutionText,
  randomBytes,
} from './support/arbitraries';
import type { RawRequest } from './support/raw-http';
import { SECRETS, startTarget, type Target, WHITELABEL_HEADER } from './support/target';
import { Tally } from './support/verdict';

jest.setTimeout(240_000);

const RUNS = { connect: 2_500, zendesk: 2_500, whitelabel: 2_500 };

// --- bodies ---------------------------------------------------------------------------------

const validTicketId = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}$/);
const validConnect = fc.record({ type: fc.constantFrom('CREATE', 'UPDATE', 'DELETE'), ticketId: validTicketId });
/** Close to valid: each field right, wrong, missing or hostile. */
const nearConnect = fc
  .record(
    {
      type: fc.oneof(fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'create', 'CREATE ', 'Create', 'DESTROY', ''), nastyJson),
      ticketId: fc.oneof(validTicketId, nastyString, nastyJson, fc.constantFrom(-1, 1.5, 2 ** 53, '../1', '1/2', ' 1', '.1', 'a'.repeat(129))),
      extra: nastyJson,
    },
    { requiredKeys: [] },
  )
  .map((r) => JSON.stringify(r));

const anyBodyText: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: nearConnect.map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: nastyJson.map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
  { weight: 2, arbitrary: pollutionText.map((t) => Buffer.from(t)) },
  { weight: 3, arbitrary: malformedJsonText.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: invalidUtf8 },
  { weight: 1, arbitrary: randomBytes },
);

const BASE64_SIG_LIKE = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a).toString('base64'));

function parseJson(bytes: Buffer, stripBom: boolean): { ok: true; json: unknown } | { ok: false } {
  try {
    const text = bytes.toString('utf8');
    return { ok: true, json: JSON.parse(stripBom ? text.replace(/^\ufeff/, '') : text) };
  } catch {
    return { ok: false };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const TICKET_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Would the Connect route accept this body (a JSON request)? Over-approximates: such cases are not sent as hostile. */
function connectAccepts(bytes: Buffer): boolean {
  const parsed = parseJson(bytes, true);
  if (!parsed.ok || !isObject(parsed.json)) return false;
  const { type, ticketId } = parsed.json;
  const idOk = (typeof ticketId === 'string' && TICKET_ID.test(ticketId)) || (typeof ticketId === 'number' && Number.isInteger(ticketId) && ticketId >= 0);
  return ['CREATE', 'UPDATE', 'DELETE'].includes(type as string) && idOk;
}

const crmId = (v: unknown) => (typeof v === 'string' && /^\d{1,20}$/.test(v.trim())) || (typeof v === 'number' && Number.isInteger(v) && v > 0);
const extId = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.length <= 255);

/** Would the Zendesk route accept this (authentic) body? Over-approximates. */
function zendeskAccepts(bytes: Buffer): boolean {
  const parsed = parseJson(bytes, false);
  if (!parsed.ok || !isObject(parsed.json)) return false;
  const json = parsed.json;
  if (typeof json.type === 'string' && json.type.startsWith('zen:event-type:')) {
    if (!json.type.startsWith('zen:event-type:ticket.')) return true;
    return typeof json.id === 'string' && json.id.length >= 1 && json.id.length <= 200 && isObject(json.detail) && crmId(json.detail.id) && extId(json.detail.external_id);
  }
  return crmId(json.ticket_id) && extId(json.external_id);
}

/** The white-label route's own schema decides (its envelope is large; the check here is that rejects never reach Temporal). */
function whitelabelAccepts(bytes: Buffer): boolean {
  const parsed = parseJson(bytes, false);
  return parsed.ok && whitelabelEventSchema.safeParse(parsed.json).success;
}

const nearZendesk = fc
  .record(
    {
      type: fc.oneof(fc.constantFrom('zen:event-type:ticket.comment_added', 'zen:event-type:ticket.', 'zen:event-type:', 'zen:event-type:TICKET.x', 'ticket.comment_added'), nastyJson),
      id: fc.oneof(fc.uuid(), nastyJson, fc.constant('')),
      subject: nastyJson,
      detail: fc.oneof(
        fc.record({ id: fc.oneof(fc.constantFrom('35436', '0', '-1', '1.5', '١٢٣', ' 42 ', '9'.repeat(21), 'abc'), nastyJson), external_id: fc.oneof(fc.constant('connect:42'), nastyJson, fc.constant('x'.repeat(256))) }, { requiredKeys: [] }),
        nastyJson,
      ),
      ticket_id: fc.oneof(fc.constantFrom('35436', '', ' ', '1e5', '0x1F', '-7', '9'.repeat(21), 0, -3, 1.5), nastyJson),
      external_id: fc.oneof(fc.constant('connect:42'), nastyJson),
    },
    { requiredKeys: [] },
  )
  .map((r) => Buffer.from(JSON.stringify(r)));

// --- requests -------------------------------------------------------------------------------

type Extra = [string, Buffer] | null;
const extraHeader: fc.Arbitrary<Extra> = fc.option(fc.tuple(headerName, hostileHeaderValue), { freq: 4 });
/** For requests with valid credentials: hostile, but no request splitting (see oneHeaderValue). */
const safeExtraHeader: fc.Arbitrary<Extra> = fc.option(fc.tuple(headerName, oneHeaderValue), { freq: 4 });
const withExtra = (headers: Array<[string, string | Buffer]>, extra: Extra) => (extra ? [...headers, extra] : headers);
const BAD_METHODS = fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'CONNECT', 'FOO', 'post');

function post(target: string, headers: Array<[string, string | Buffer]>, body: Buffer, method = 'POST'): RawRequest {
  return { method, target, headers, body };
}

// Connect: `?auth_token=` is the credential.
const connectTarget = (query: string) => `/webhooks/connect${query ? `?${query}` : ''}`;
const goodToken = `auth_token=${SECRETS.connect}`;
const badTokenQuery = fc.oneof(
  fc.constant(''),
  nastyString.map((s) => `auth_token=${pct(s)}`),
  fc.constantFrom(
    `auth_token=${SECRETS.connect.slice(0, -1)}`,
    `auth_token=${SECRETS.connect}x`,
    `auth_token=${SECRETS.connect.toUpperCase()}`,
    `auth_token[]=${SECRETS.connect}`,
    `auth_token[x]=${SECRETS.connect}`,
    `auth_token=${SECRETS.connect}&auth_token=${SECRETS.connect}`,
    `AUTH_TOKEN=${SECRETS.connect}`,
    `auth_token=%20${SECRETS.connect}`,
    `auth_token=${SECRETS.connect}%00`,
    `auth_token=${SECRETS.connect}%ZZ`,
    `auth%5Ftoken=${SECRETS.connect}x`,
    'auth_token=',
    'auth_token',
  ),
).filter((q) => q !== goodToken);

const connectCases: fc.Arbitrary<HostileCase> = fc.oneof(
  // A wrong or missing token: refused whatever comes with it, valid bodies included.
  {
    weight: 30,
    arbitrary: fc
      .tuple(badTokenQuery, fc.option(junkQuery), contentType, fc.oneof(anyBodyText, validConnect.map((b) => Buffer.from(JSON.stringify(b)))), extraHeader, fc.option(fc.constant(SECRETS.connect)))
      .map(([query, junk, ctype, body, extra, bearer]): HostileCase => ({
        request: post(
          connectTarget([query, junk].filter(Boolean).join('&')),
          withExtra([...(ctype === null ? [] : [['Content-Type', ctype] as [string, string]]), ...(bearer ? [['Authorization', `Bearer ${bearer}`] as [string, string]] : [])], extra),
          body,
        ),
        expect: 'reject',
      })),
  },
  // The right token, a body that is not a valid notification.
  {
    weight: 45,
    arbitrary: fc
      .tuple(fc.option(junkQuery), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-16'), anyBodyText, safeExtraHeader)
      .filter(([, , body]) => !connectAccepts(body))
      .map(([junk, ctype, body, extra]): HostileCase => ({
        request: post(connectTarget([goodToken, junk].filter(Boolean).join('&')), withExtra([['Content-Type', ctype]], extra), body),
        expect: 'reject',
      })),
  },
  // The right token and a valid body, but not sent as JSON, or "compressed" when it is not.
  {
    weight: 15,
    arbitrary: fc
      .tuple(
        validConnect,
        fc.oneof(
          fc.record({ ctype: fc.constantFrom(null, '', 'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/vnd.api+json', '/', 'application/json; charset=latin1', 'application/json; charset=ebcdic', 'application/json, text/plain'), encoding: fc.constant(null) }),
          fc.record({ ctype: fc.constant('application/json'), encoding: fc.constantFrom('gzip', 'deflate', 'br', 'x-gzip', 'gzip, gzip', 'zstd', 'compress') }),
        ),
      )
      .map(([body, { ctype, encoding }]): HostileCase => ({
        request: post(
          connectTarget(goodToken),
          [...(ctype === null ? [] : [['Content-Type', ctype] as [string, string]]), ...(encoding ? [['Content-Encoding', encoding] as [string, string]] : [])],
          Buffer.from(JSON.stringify(body)),
        ),
        expect: 'reject',
      })),
  },
  // The right everything but the method.
  {
    weight: 5,
    arbitrary: fc.tuple(BAD_METHODS, validConnect).map(([method, body]): HostileCase => ({
      request: post(connectTarget(goodToken), [['Content-Type', 'application/json']], Buffer.from(JSON.stringify(body)), method),
      expect: 'reject',
    })),
  },
);

// Zendesk: HMAC over timestamp + raw body.
type SigMode = 'none' | 'no-signature' | 'no-timestamp' | 'random' | 'wrong-secret' | 'other-body' | 'stale' | 'future' | 'garbage';
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function zendeskHeaders(mode: SigMode | 'valid', body: Buffer, junk: { text: string; ms: number; random: string }): Array<[string, string]> {
  const now = Date.now();
  const ts = isoSeconds(now);
  const sign = (secret: string, t: string, b: Buffer) => zendeskSignature(secret, t, b);
  const both = (sig: string, t: string): Array<[string, string]> => [
    ['X-Zendesk-Webhook-Signature', sig],
    ['X-Zendesk-Webhook-Signature-Timestamp', t],
  ];
  switch (mode) {
    case 'valid':
      return both(sign(SECRETS.zendesk, ts, body), ts);
    case 'none':
      return [];
    case 'no-signature':
      return [['X-Zendesk-Webhook-Signature-Timestamp', ts]];
    case 'no-timestamp':
      return [['X-Zendesk-Webhook-Signature', sign(SECRETS.zendesk, ts, body)]];
    case 'random':
      return both(junk.random, ts);
    case 'wrong-secret':
      return both(sign(`${SECRETS.zendesk}x`, ts, body), ts);
    case 'other-body':
      // A captured signature replayed on a different body.
      return both(sign(SECRETS.zendesk, ts, Buffer.concat([body, Buffer.from(' ')])), ts);
    case 'stale': {
      // A captured request replayed after the 5-minute window: correctly signed, too old.
      const t = isoSeconds(now - 6 * 60_000 - junk.ms);
      return both(sign(SECRETS.zendesk, t, body), t);
    }
    case 'future': {
      const t = isoSeconds(now + 6 * 60_000 + junk.ms);
      return both(sign(SECRETS.zendesk, t, body), t);
    }
    case 'garbage':
      return both(junk.text.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, '?') || '?', junk.text.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, '?') || '?');
  }
}

const sigJunk = fc.record({ text: nastyString.filter((s) => s.length < 300), ms: fc.integer({ min: 0, max: 30 * 86_400_000 }), random: BASE64_SIG_LIKE });
const validZendeskBody = fc.oneof(
  fc.record({ ticket_id: fc.integer({ min: 1, max: 1e9 }).map(String), external_id: fc.constant('connect:hostile-1') }),
  fc.record({ type: fc.constant('zen:event-type:ticket.comment_added'), id: fc.uuid(), detail: fc.record({ id: fc.constant('35436'), external_id: fc.constant('connect:hostile-1') }) }),
).map((b) => Buffer.from(JSON.stringify(b)));

const zendeskCases: fc.Arbitrary<HostileCase> = fc.oneof(
  {
    weight: 40,
    arbitrary: fc
      .tuple(
        fc.constantFrom<SigMode>('none', 'no-signature', 'no-timestamp', 'random', 'wrong-secret', 'other-body', 'stale', 'stale', 'future', 'garbage'),
        fc.oneof(anyBodyText, nearZendesk, validZendeskBody),
        sigJunk,
        contentType,
        extraHeader,
      )
      .map(([mode, body, junk, ctype, extra]): HostileCase => ({
        request: post('/webhooks/zendesk', withExtra([...(ctype === null ? [] : [['Content-Type', ctype] as [string, string]]), ...zendeskHeaders(mode, body, junk)], extra), body),
        expect: 'reject',
      })),
  },
  {
    weight: 45,
    arbitrary: fc
      .tuple(fc.oneof(anyBodyText, nearZendesk), sigJunk, fc.option(junkQuery), safeExtraHeader)
      .filter(([body]) => !zendeskAccepts(body))
      .map(([body, junk, query, extra]): HostileCase => ({
        request: post(`/webhooks/zendesk${query ? `?${query}` : ''}`, withExtra([['Content-Type', 'application/json'], ...zendeskHeaders('valid', body, junk)], extra), body),
        expect: 'reject',
      })),
  },
  {
    weight: 10,
    arbitrary: fc.tuple(validZendeskBody, sigJunk, fc.constantFrom('gzip', 'deflate', 'br', 'x-gzip', 'zstd')).map(([body, junk, encoding]): HostileCase => ({
      request: post('/webhooks/zendesk', [['Content-Type', 'application/json'], ['Content-Encoding', encoding], ...zendeskHeaders('valid', body, junk)], body),
      expect: 'reject',
    })),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(BAD_METHODS, validZendeskBody, sigJunk).map(([method, body, junk]): HostileCase => ({
      request: post('/webhooks/zendesk', [['Content-Type', 'application/json'], ...zendeskHeaders('valid', body, junk)], body, method),
      expect: 'reject',
    })),
  },
);

// White-label: `t=<unix seconds>,s=<hex HMAC(t + "." + body)>`.
function whitelabelHeader(mode: SigMode | 'valid' | 'malformed', body: Buffer, junk: { text: string; ms: number; random: string }): Array<[string, string]> {
  const now = Math.floor(Date.now() / 1000);
  const sign = (secret: string, t: number, b: Buffer) => `t=${t},s=${whitelabelSignature(secret, 'timestamp.body', String(t), b)}`;
  switch (mode) {
    case 'valid':
      return [[WHITELABEL_HEADER, sign(SECRETS.whitelabel, now, body)]];
    case 'none':
    case 'no-timestamp':
      return mode === 'none' ? [] : [[WHITELABEL_HEADER, `s=${whitelabelSignature(SECRETS.whitelabel, 'timestamp.body', String(now), body)}`]];
    case 'no-signature':
      return [[WHITELABEL_HEADER, `t=${now}`]];
    case 'random':
      return [[WHITELABEL_HEADER, `t=${now},s=${Buffer.from(junk.random, 'base64').toString('hex')}`]];
    case 'wrong-secret':
      return [[WHITELABEL_HEADER, sign(`${SECRETS.whitelabel}x`, now, body)]];
    case 'other-body':
      return [[WHITELABEL_HEADER, sign(SECRETS.whitelabel, now, Buffer.concat([body, Buffer.from('\n')]))]];
    case 'stale':
      return [[WHITELABEL_HEADER, sign(SECRETS.whitelabel, now - 360 - Math.floor(junk.ms / 1000), body)]];
    case 'future':
      return [[WHITELABEL_HEADER, sign(SECRETS.whitelabel, now + 360 + Math.floor(junk.ms / 1000), body)]];
    case 'malformed':
      return [[WHITELABEL_HEADER, `t=${now},t=${now},s=${whitelabelSignature(SECRETS.whitelabel, 'timestamp.body', String(now), body)}`]];
    case 'garbage':
      return [[WHITELABEL_HEADER, junk.text.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, '?') || '?']];
  }
}

const wlTicket = fc.record(
  {
    id: fc.oneof(fc.uuid(), nastyJson),
    title: fc.oneof(fc.string(), nastyJson),
    client: fc.oneof(fc.record({ id: fc.uuid(), name: fc.string(), email: fc.emailAddress() }), nastyJson),
    replies: fc.oneof(fc.array(fc.record({ id: fc.uuid(), text: fc.string(), is_client: fc.boolean(), created_at: fc.nat() }), { maxLength: 3 }), nastyJson),
    is_open: fc.oneof(fc.boolean(), nastyJson),
    created_at: fc.oneof(fc.nat(), nastyJson),
    updated_at: fc.oneof(fc.nat(), nastyJson),
    assignee_id: fc.oneof(fc.constant(null), fc.uuid(), nastyJson),
  },
  { requiredKeys: [] },
);
const nearWhitelabel = fc
  .record(
    {
      event_id: fc.oneof(fc.uuid(), nastyJson),
      event_type: fc.oneof(fc.constantFrom('whitelabel_ticket_created', 'whitelabel_ticket_updated', 'whitelabel_ticket_assigned', 'whitelabel_ticket_resolved', 'whitelabel_ticket_deleted', 'ticket_created'), nastyJson),
      created_at: fc.oneof(fc.nat(), nastyJson),
      data: fc.oneof(fc.record({ ticket: wlTicket }), nastyJson),
    },
    { requiredKeys: [] },
  )
  .map((r) => Buffer.from(JSON.stringify(r)));

const whitelabelCases: fc.Arbitrary<HostileCase> = fc.oneof(
  {
    weight: 40,
    arbitrary: fc
      .tuple(
        fc.constantFrom<SigMode | 'malformed'>('none', 'no-signature', 'no-timestamp', 'random', 'wrong-secret', 'other-body', 'stale', 'stale', 'future', 'garbage', 'malformed'),
        fc.oneof(anyBodyText, nearWhitelabel),
        sigJunk,
        extraHeader,
      )
      .map(([mode, body, junk, extra]): HostileCase => ({
        request: post('/webhooks/whitelabel', withExtra([['Content-Type', 'application/json'], ...whitelabelHeader(mode, body, junk)], extra), body),
        expect: 'reject',
      })),
  },
  {
    weight: 50,
    arbitrary: fc
      .tuple(fc.oneof(anyBodyText, nearWhitelabel), sigJunk, fc.option(junkQuery), safeExtraHeader)
      .filter(([body]) => !whitelabelAccepts(body))
      .map(([body, junk, query, extra]): HostileCase => ({
        request: post(`/webhooks/whitelabel${query ? `?${query}` : ''}`, withExtra([['Content-Type', 'application/json'], ...whitelabelHeader('valid', body, junk)], extra), body),
        expect: 'reject',
      })),
  },
  {
    weight: 10,
    arbitrary: fc.tuple(BAD_METHODS, nearWhitelabel, sigJunk).map(([method, body, junk]): HostileCase => ({
      request: post('/webhooks/whitelabel', [['Content-Type', 'application/json'], ...whitelabelHeader('valid', body, junk)], body, method),
      expect: 'reject',
    })),
  },
);

// --- the run --------------------------------------------------------------------------------

describe('hostile input: webhooks', () => {
  let target: Target;
  const tally = new Tally();

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    process.stdout.write(`\n${tally.table('Hostile input — webhooks')}\n\n`);
    tally.save('webhooks');
    await target?.stop();
  });

  test(`POST /webhooks/connect: ${RUNS.connect} cases`, async () => {
    await attack(target, tally, 'POST /webhooks/connect', connectCases, (c) => c, RUNS.connect);
  });

  test(`POST /webhooks/zendesk: ${RUNS.zendesk} cases`, async () => {
    await attack(target, tally, 'POST /webhooks/zendesk', zendeskCases, (c) => c, RUNS.zendesk);
  });

  test(`POST /webhooks/whitelabel: ${RUNS.whitelabel} cases`, async () => {
    await attack(target, tally, 'POST /webhooks/whitelabel', whitelabelCases, (c) => c, RUNS.whitelabel);
  });

  test('nothing reached Temporal, nothing leaked, and the controls prove the checks can see a workflow', async () => {
    expect(target.calls).toEqual({ start: 0, signal: 0, signalWithStart: 0, update: 0 });
    expect(await target.ticketWorkflowIds()).toEqual([]);
    expect(target.processErrors).toEqual([]);
    // Secrets never logged, not even while thousands of wrong ones were tried.
    const logs = target.logLines.join('');
    for (const secret of Object.values(SECRETS)) expect(logs).not.toContain(secret);

    // Positive controls: one authentic notification per webhook (with pollution keys in it).
    const control = `hostile-control-${Date.now()}`;
    const connectBody = Buffer.from(`{"type":"CREATE","ticketId":"${control}","__proto__":{"polluted":"yes"}}`);
    const { rawRequest } = await import('./support/raw-http');
    const connect = await rawRequest(target.port, post(connectTarget(goodToken), [['Content-Type', 'application/json']], connectBody));
    expect(connect.kind === 'response' && connect.status).toBe(202);
    const zdBody = Buffer.from(`{"ticket_id":"424242","external_id":"connect:${control}"}`);
    const zd = await rawRequest(target.port, post('/webhooks/zendesk', [['Content-Type', 'application/json'], ...zendeskHeaders('valid', zdBody, { text: '', ms: 0, random: '' })], zdBody));
    expect(zd.kind === 'response' && zd.status).toBe(202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(target.calls.signalWithStart).toBe(1);
    expect(target.calls.signal).toBe(1);
    expect(await target.ticketWorkflowIds()).toEqual([ticketWorkflowId('connect', control)]);

    const total = tally.total();
    expect(total.cases).toBeGreaterThanOrEqual(Math.round(7_500 * Number(process.env.HOSTILE_SCALE ?? '1')));
    expect(total.rejected4xx).toBe(total.cases);
  });
});
