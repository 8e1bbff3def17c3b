/**
 * Hostile input against everything that is not a webhook (`npm run test:hostile`): the ops API
 * (ticket state, listing, resync/close updates), health and readiness, the codec server, the
 * metrics, unknown routes, and malformed HTTP itself. Same rules as the webhooks: a 4xx JSON
 * error naming the problem (or, for a merely odd but legitimate request, the normal answer), no
 * 5xx, no crash, no prototype pollution, no workflow started, signalled or updated.
 */
import { parse as parseQuery } from 'node:querystring';
import fc from 'fast-check';
import { defaultPayloadConverter } from '@temporalio/common';
import { closeBody, idempotencyKey, listTicketsQuery, resyncBody } from '../../src/api/ops/schemas';
import { EncryptionCodec } from '../../src/security/codec/encryption-codec';
import { attack, type HostileCase } from './support/attack';
import {
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
import { rawRequest, type RawRequest } from './support/raw-http';
import { apiConfig, SECRETS, startTarget, type Target, UI_ORIGIN } from './support/target';
import { Tally } from './support/verdict';

jest.setTimeout(240_000);

const RUNS = {
  ticket: 1_200,
  list: 600,
  resync: 400,
  close: 400,
  healthz: 400,
  readyz: 300,
  openapi: 200,
  codecEncode: 700,
  codecDecode: 900,
  metrics: 300,
  other: 300,
  protocol: 500,
};

type Headers = Array<[string, string | Buffer]>;
const req = (method: string, target: string, headers: Headers = [], body?: Buffer | string): RawRequest => ({ method, target, headers, body });
const bearer = (token: string): [string, string] => ['Authorization', `Bearer ${token}`];
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Authorization headers that must not open a door guarded by `token`. */
function badAuth(token: string, alsoWrong: string[]): fc.Arbitrary<Headers> {
  return fc.oneof(
    fc.constant<Headers>([]),
    fc.constantFrom<Headers>(
      [bearer(`${token}x`)],
      [bearer(token.slice(0, -1))],
      [['Authorization', `Basic ${b64(`ops:${token}`)}`]],
      [['Authorization', token]],
      [['Authorization', 'Bearer']],
      [['Authorization', 'Bearer ']],
      [['Authorization', `Token ${token}`]],
      [['Authorization', `Bearer ${token} ${token}`]],
      [['Authorization', `Bearer\t${token}`]],
      [['Authorization', `Bearer ${token}\u0000`]],
      [['X-Authorization', `Bearer ${token}`]],
      [['Cookie', `token=${token}`]],
      ...alsoWrong.map((t): Headers => [bearer(t)]),
    ),
    nastyString.filter((s) => s.length < 8_000 && s !== token).map((s): Headers => [['Authorization', Buffer.from(`Bearer ${s}`, 'utf8')]]),
  );
}

const extraHeader = fc.option(fc.tuple(headerName, hostileHeaderValue), { freq: 4 });
/** For requests with valid credentials: hostile, but no request splitting (see oneHeaderValue). */
const safeExtraHeader = fc.option(fc.tuple(headerName, oneHeaderValue), { freq: 4 });
const withExtra = (headers: Headers, extra: [string, Buffer] | null): Headers => (extra ? [...headers, extra] : headers);

const validSource = fc.constantFrom('connect', 'whitelabel');
const validId = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,30}$/);
/** Path segments that are not a valid source or ticket id, raw or percent-encoded (broken escapes too). */
const badSegment = fc.oneof(
  nastyString.filter((s) => s.length > 0 && s.length < 3_000).map(pct),
  fc.constantFrom('%', '%ZZ', '%E0%A4%A', '%00', '%2F', '..', '%2E%2E', 'CONNECT', 'zendesk', ' ', '%20', 'a%2Fb', 'x'.repeat(129), '__proto__', 'constructor'),
);
const TICKET_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
function decodes(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
const segmentValid = (source: string, id: string) => {
  const s = decodes(source);
  const i = decodes(id);
  return (s === 'connect' || s === 'whitelabel') && i !== null && TICKET_ID.test(i);
};
/** A path whose source or ticket id is wrong. */
const badTicketPath = fc
  .tuple(fc.oneof(validSource, badSegment), fc.oneof(validId, badSegment))
  .filter(([s, i]) => !segmentValid(s, i));

const bodyBytes: fc.Arbitrary<Buffer> = fc.oneof(
  nastyJson.map((v) => Buffer.from(JSON.stringify(v) ?? '')),
  pollutionText.map((t) => Buffer.from(t)),
  malformedJsonText.map((t) => Buffer.from(t)),
  invalidUtf8,
  randomBytes,
  fc.record({ reason: fc.oneof(nastyString, nastyJson) }, { requiredKeys: [] }).map((r) => Buffer.from(JSON.stringify(r))),
);

function parsesAs(bytes: Buffer, schema: { safeParse(v: unknown): { success: boolean } }): boolean {
  try {
    return schema.safeParse(JSON.parse(bytes.toString('utf8').replace(/^\ufeff/, ''))).success;
  } catch {
    return false;
  }
}

// --- GET /tickets/:source/:ticketId ---------------------------------------------------------

const ticketCases: fc.Arbitrary<HostileCase> = fc.oneof(
  {
    weight: 40,
    arbitrary: fc
      .tuple(badAuth(SECRETS.ops, [SECRETS.codec, SECRETS.metrics, SECRETS.connect, SECRETS.zendesk]), validSource, fc.oneof(validId, badSegment), fc.option(junkQuery), extraHeader)
      .map(([auth, s, id, q, extra]): HostileCase => ({ request: req('GET', `/tickets/${s}/${id}${q ? `?${q}` : ''}`, withExtra(auth, extra)), expect: 'reject' })),
  },
  {
    weight: 45,
    arbitrary: fc.tuple(badTicketPath, fc.option(junkQuery), safeExtraHeader).map(([[s, id], q, extra]): HostileCase => ({
      request: req('GET', `/tickets/${s}/${id}${q ? `?${q}` : ''}`, withExtra([bearer(SECRETS.ops)], extra)),
      expect: 'reject',
    })),
  },
  // Valid, but no such ticket: 404 (Temporal is asked, read-only).
  {
    weight: 15,
    arbitrary: fc.tuple(validSource, validId).map(([s, id]): HostileCase => ({ request: req('GET', `/tickets/${s}/${id}`, [bearer(SECRETS.ops)]), expect: 'reject' })),
  },
);

// --- GET /tickets (listing) -----------------------------------------------------------------

const listCases: fc.Arbitrary<HostileCase> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.tuple(badAuth(SECRETS.ops, [SECRETS.metrics, SECRETS.codec]), fc.option(junkQuery)).map(([auth, q]): HostileCase => ({ request: req('GET', `/tickets${q ? `?${q}` : ''}`, auth), expect: 'reject' })),
  },
  {
    weight: 70,
    arbitrary: fc
      .oneof(
        junkQuery.filter((q) => q.length > 0),
        fc.tuple(fc.constantFrom('status', 'source', 'pageSize', 'pageToken'), nastyString.filter((s) => s.length < 3_000)).map(([k, v]) => `${k}=${pct(v)}`),
        fc.constantFrom('status=OPEN,BOGUS', 'status=', 'status=open', 'source=zendesk', 'pageSize=0', 'pageSize=201', 'pageSize=-1', 'pageSize=1e2', 'pageSize=10&pageSize=20', 'status[]=OPEN', 'pageToken=', 'pageToken=!!', `pageToken=${'A'.repeat(5_000)}`, 'status=OPEN&bogus=1', 'STATUS=OPEN'),
        // Well-formed page tokens that no listing ever issued: refused by Temporal, must still be a 400.
        fc.base64String({ minLength: 4, maxLength: 200 }).map((t) => `pageToken=${t.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') || 'AA'}`),
      )
      .filter((q) => !listingAccepts(q))
      .map((q): HostileCase => ({ request: req('GET', `/tickets?${q}`, [bearer(SECRETS.ops)]), expect: 'reject' })),
  },
);

/** A query the listing would run (known parameters, valid values, no page token): a legitimate 200, not sent. */
function listingAccepts(query: string): boolean {
  const parsed = parseQuery(query);
  const keys = Object.keys(parsed);
  if (keys.includes('pageToken')) return false;
  return keys.every((k) => ['status', 'source', 'pageSize'].includes(k) && typeof parsed[k] === 'string') && listTicketsQuery.safeParse(parsed).success;
}

// --- POST /tickets/:source/:ticketId/resync and /close --------------------------------------

function updateCases(action: 'resync' | 'close'): fc.Arbitrary<HostileCase> {
  const schema = action === 'resync' ? resyncBody : closeBody;
  const goodBody = action === 'resync' ? '{"reason":"operator check"}' : '{"reason":"duplicate ticket"}';
  return fc.oneof(
    {
      weight: 30,
      arbitrary: fc.tuple(badAuth(SECRETS.ops, [SECRETS.metrics, SECRETS.codec]), validSource, validId).map(([auth, s, id]): HostileCase => ({
        request: req('POST', `/tickets/${s}/${id}/${action}`, [...auth, ['Content-Type', 'application/json']], goodBody),
        expect: 'reject',
      })),
    },
    {
      weight: 20,
      arbitrary: badTicketPath.map(([s, id]): HostileCase => ({
        request: req('POST', `/tickets/${s}/${id}/${action}`, [bearer(SECRETS.ops), ['Content-Type', 'application/json']], goodBody),
        expect: 'reject',
      })),
    },
    {
      weight: 35,
      arbitrary: fc
        .tuple(validSource, validId, bodyBytes, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', null), safeExtraHeader)
        // Accepted: a body the schema takes, declared JSON or not declared at all (an operator's bare curl).
        .filter(([, , body, ctype]) => !((ctype === null || ctype.startsWith('application/json')) && parsesAs(body, schema)) && body.length > 0)
        .map(([s, id, body, ctype, extra]): HostileCase => ({
          request: req('POST', `/tickets/${s}/${id}/${action}`, withExtra([bearer(SECRETS.ops), ...(ctype ? [['Content-Type', ctype] as [string, string]] : [])], extra), body),
          expect: 'reject',
        })),
    },
    {
      weight: 15,
      arbitrary: fc
        // Keys with CR/LF would split the header (the malformed-HTTP family covers that).
        // HTTP strips spaces and tabs around a header value: " 0" arrives as "0", a valid key.
        .tuple(validSource, validId, nastyString.filter((s) => s.length < 4_000 && !/[\r\n]/.test(s) && !idempotencyKey.safeParse(s.replace(/^[ \t]+|[ \t]+$/g, '')).success))
        .map(([s, id, key]): HostileCase => ({
          request: req('POST', `/tickets/${s}/${id}/${action}`, [bearer(SECRETS.ops), ['Content-Type', 'application/json'], ['Idempotency-Key', Buffer.from(key, 'utf8')]], goodBody),
          expect: 'reject',
        })),
    },
  );
}

// --- /healthz, /readyz and the public /openapi.json -------------------------------------------------------------------

function probeCases(path: string): fc.Arbitrary<HostileCase> {
  return fc.oneof(
    // Odd but legitimate: junk query strings and headers are ignored (or the header is malformed HTTP: a 400).
    {
      weight: 50,
      arbitrary: fc.tuple(fc.option(junkQuery), extraHeader).map(([q, extra]): HostileCase => ({
        request: req('GET', `${path}${q ? `?${q}` : ''}`, withExtra([], extra)),
        expect: extra ? 'either' : 'ok',
      })),
    },
    {
      weight: 40,
      arbitrary: fc.tuple(fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'get'), fc.option(bodyBytes)).map(([method, body]): HostileCase => ({
        request: req(method, path, body ? [['Content-Type', 'application/json']] : [], body ?? undefined),
        expect: 'reject',
      })),
    },
    { weight: 10, arbitrary: fc.constant<HostileCase>({ request: req('HEAD', path), expect: 'ok' }) },
  );
}

// --- the codec server -----------------------------------------------------------------------

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const ENCRYPTED_B64 = b64('binary/encrypted');

/** Would the codec route accept this body (200)? Over-approximates. */
function codecAccepts(bytes: Buffer, operation: 'encode' | 'decode'): boolean {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8').replace(/^\ufeff/, ''));
  } catch {
    return false;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const payloads = (json as { payloads?: unknown }).payloads;
  if (!Array.isArray(payloads) || payloads.length > 1000) return false;
  return payloads.every((p) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return false;
    const { metadata, data } = p as { metadata?: unknown; data?: unknown };
    if (data !== undefined && data !== null && !(typeof data === 'string' && BASE64.test(data))) return false;
    if (metadata === undefined || metadata === null) return operation === 'encode';
    if (typeof metadata !== 'object' || Array.isArray(metadata)) return false;
    const entries = Object.entries(metadata).filter(([k]) => k !== '__proto__');
    if (!entries.every(([, v]) => typeof v === 'string' && BASE64.test(v))) return false;
    // Decoding succeeds only for a real ciphertext (never generated here): with encryption
    // required, a payload that is not encrypted is refused too.
    return operation === 'encode';
  });
}

const realCodec = new EncryptionCodec((apiConfig.payloadEncryption as { keyring: ConstructorParameters<typeof EncryptionCodec>[0] }).keyring);
const realCiphertext = fc.constant(null).map(() => {
  const payload = realCodec.encryptOne(defaultPayloadConverter.toPayload({ name: 'Ada Lovelace', text: 'hostile' }));
  return { metadata: Object.fromEntries(Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(payload.data!).toString('base64') };
});

const payloadJson = fc.record(
  {
    metadata: fc.oneof(
      fc.dictionary(fc.oneof(fc.constantFrom('encoding', 'encryption-key-id', 'encryption-cipher', '__proto__', 'constructor'), fc.string({ maxLength: 10 })), fc.oneof(fc.base64String({ maxLength: 40 }), fc.constant(ENCRYPTED_B64), nastyJson), { maxKeys: 4 }),
      fc.record({ encoding: fc.constant(ENCRYPTED_B64), 'encryption-key-id': fc.oneof(fc.constantFrom(b64('hostile-2025'), b64('hostile-2024'), b64('nope')), fc.base64String({ maxLength: 20 })) }),
      nastyJson,
    ),
    data: fc.oneof(fc.base64String({ maxLength: 200 }), nastyJson, fc.constant('not base64!'), fc.constant('')),
  },
  { requiredKeys: [] },
);

/** A real ciphertext with one byte changed (or its key id swapped): must never decode. */
const tampered = fc.tuple(realCiphertext, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean()).map(([p, at, xor, swapKey]) => {
  const data = Buffer.from(p.data, 'base64');
  data[at % data.length] ^= xor;
  return { metadata: swapKey ? { ...p.metadata, 'encryption-key-id': b64('hostile-2024') } : p.metadata, data: swapKey ? p.data : data.toString('base64') };
});

const codecBody: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: fc.array(payloadJson, { maxLength: 4 }).map((payloads) => Buffer.from(JSON.stringify({ payloads }))) },
  { weight: 3, arbitrary: fc.array(tampered, { minLength: 1, maxLength: 3 }).map((payloads) => Buffer.from(JSON.stringify({ payloads }))) },
  { weight: 2, arbitrary: fc.record({ payloads: nastyJson }, { requiredKeys: [] }).map((b) => Buffer.from(JSON.stringify(b))) },
  { weight: 2, arbitrary: bodyBytes },
  { weight: 1, arbitrary: fc.integer({ min: 1_001, max: 3_000 }).map((n) => Buffer.from(JSON.stringify({ payloads: Array.from({ length: n }, () => ({})) }))) },
  { weight: 1, arbitrary: fc.integer({ min: 4 * 1024 * 1024, max: 5 * 1024 * 1024 }).map((n) => Buffer.from(`{"payloads":[{"data":"${'A'.repeat(n)}"}]}`)) },
);

function codecCases(operation: 'encode' | 'decode'): fc.Arbitrary<HostileCase> {
  const path = `/codec/${operation}`;
  const ui: Headers = [['Origin', UI_ORIGIN], ['X-Namespace', 'default'], ['Content-Type', 'application/json']];
  return fc.oneof(
    {
      weight: 25,
      arbitrary: fc
        .tuple(badAuth(SECRETS.codec, [SECRETS.ops, SECRETS.metrics]), fc.boolean(), fc.oneof(codecBody, realCiphertext.map((p) => Buffer.from(JSON.stringify({ payloads: [p] })))))
        .map(([auth, fromUi, body]): HostileCase => ({ request: req('POST', path, [...(fromUi ? ui : [['Content-Type', 'application/json'] as [string, string]]), ...auth], body), expect: 'reject' })),
    },
    {
      weight: 10,
      arbitrary: fc
        .tuple(fc.oneof(fc.constantFrom('https://evil.example', 'http://localhost:8234', 'null', 'http://localhost:8233.evil.example', 'HTTP://LOCALHOST:8233', `${UI_ORIGIN}/`, ''), nastyString.filter((s) => s.length < 500)), fc.boolean())
        .filter(([origin]) => origin !== UI_ORIGIN)
        .map(([origin, preflight]): HostileCase => ({
          request: preflight
            ? req('OPTIONS', path, [['Origin', Buffer.from(origin, 'utf8')], ['Access-Control-Request-Method', 'POST']])
            : req('POST', path, [['Origin', Buffer.from(origin, 'utf8')], bearer(SECRETS.codec), ['Content-Type', 'application/json']], '{"payloads":[]}'),
          expect: /[\r\n\u0000]/.test(origin) ? 'either' : 'reject',
        })),
    },
    {
      weight: 55,
      arbitrary: fc
        .tuple(codecBody, fc.boolean(), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'))
        .filter(([body]) => !codecAccepts(body, operation))
        .map(([body, fromUi, ctype]): HostileCase => ({
          request: req('POST', path, [...(fromUi ? ui.filter(([n]) => n !== 'Content-Type') : []), ['Content-Type', ctype], bearer(SECRETS.codec)], body),
          expect: 'reject',
        })),
    },
    // The UI's own preflight: a legitimate 204.
    {
      weight: 5,
      arbitrary: fc.constant<HostileCase>({
        request: req('OPTIONS', path, [['Origin', UI_ORIGIN], ['Access-Control-Request-Method', 'POST'], ['Access-Control-Request-Headers', 'content-type,authorization,x-namespace']]),
        expect: 'ok',
      }),
    },
    { weight: 5, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH').map((m): HostileCase => ({ request: req(m, path, [bearer(SECRETS.codec)]), expect: 'reject' })) },
  );
}

// --- /metrics, unknown routes, malformed HTTP -----------------------------------------------

const metricsCases: fc.Arbitrary<HostileCase> = fc.oneof(
  { weight: 90, arbitrary: fc.tuple(badAuth(SECRETS.metrics, [SECRETS.codec, SECRETS.connect]), fc.option(junkQuery)).map(([auth, q]): HostileCase => ({ request: req('GET', `/metrics${q ? `?${q}` : ''}`, auth), expect: 'reject' })) },
  { weight: 10, arbitrary: fc.constantFrom(SECRETS.metrics, SECRETS.ops).map((t): HostileCase => ({ request: req('GET', '/metrics', [bearer(t)]), expect: 'ok' })) },
);

const KNOWN = /^\/(healthz|readyz|metrics|openapi\.json|tickets|webhooks|codec)(\/|\?|$)/;
const otherCases: fc.Arbitrary<HostileCase> = fc
  .tuple(
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'),
    fc.oneof(
      fc.array(badSegment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
      fc.constantFrom('/', '//', '/..', '/%2e%2e/etc/passwd', '/webhooks', '/webhooks/', '/webhooks/unknown', '/codec', '/codec/', '/tickets/connect', '/.env', '/admin', '/__proto__', '/healthz/x', '/readyz.json', '/%00', '/%ZZ'),
    ),
    fc.option(bodyBytes),
  )
  .filter(([, path]) => !KNOWN.test(path) || /^\/(webhooks|codec)\/?(unknown)?$|^\/tickets\/connect$|^\/healthz\/x$/.test(path))
  .map(([method, path, body]): HostileCase => ({ request: req(method, path, body ? [['Content-Type', 'application/json']] : [], body ?? undefined), expect: 'reject' }));

/**
 * HTTP the parser should refuse. Each targets the Connect webhook with a wrong token, so even
 * where the parser is lenient the answer must still be a 4xx.
 */
const PROTOCOL_GARBAGE: Array<(host: string) => Buffer> = [
  () => Buffer.from('G\u0000T /webhooks/connect?auth_token=x HTTP/1.1\r\n\r\n', 'latin1'),
  () => Buffer.from('POST /webhooks/connect?auth_token=x HTTP/9.9\r\n\r\n', 'latin1'),
  () => Buffer.from('POST /webhooks/con\u0000nect?auth_token=x HTTP/1.1\r\n\r\n', 'latin1'),
  () => Buffer.from('POST  /webhooks/connect?auth_token=x HTTP/1.1\r\n\r\n', 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nNoColonHeader\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nBad Header: x\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nX-A: a\u0000b\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nContent-Length: -1\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nContent-Length: abc\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nabc\r\n0\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: gzip, chunked, identity\r\n\r\n0\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: ${h}\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\n${Array.from({ length: 3_000 }, (_, i) => `X-${i}: y`).join('\r\n')}\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nX-A: a\r\n folded\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\nHost: ${h}\nX-A: b\n\n`, 'latin1'),
  (h) => Buffer.from(`post /webhooks/connect?auth_token=x http/1.1\r\nHost: ${h}\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nHost: evil.example\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 0\r\n\r\nGARBAGE / HTTP/1.1\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`CONNECT ${h} HTTP/1.1\r\nHost: ${h}\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST http://evil.example/webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\n\r\n`, 'latin1'),
  (h) => Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.0\r\nHost: ${h}\r\n\r\n`, 'latin1'),
  (h) => Buffer.concat([Buffer.from(`POST /webhooks/connect?auth_token=x HTTP/1.1\r\nHost: ${h}\r\nX-A: `, 'latin1'), Buffer.from([0xed, 0xa0, 0x80, 0xff, 0xfe]), Buffer.from('\r\n\r\n')]),
];
const protocolCases: fc.Arbitrary<HostileCase> = fc
  .tuple(fc.nat({ max: PROTOCOL_GARBAGE.length - 1 }), fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 })))
  .map(([index, tail]): HostileCase => {
    const bytes = PROTOCOL_GARBAGE[index]!('127.0.0.1');
    // Some garbage after a complete request is just a second (pipelined) request to refuse.
    return { request: { method: 'RAW', target: '', rawBytes: tail && index >= 4 ? Buffer.concat([bytes, Buffer.from(tail)]) : bytes }, expect: 'reject' };
  });

// --- the run --------------------------------------------------------------------------------

describe('hostile input: ops API, health, codec server, metrics, routing, HTTP', () => {
  let target: Target;
  const tally = new Tally();

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    process.stdout.write(`\n${tally.table('Hostile input — ops API, health, codec server, metrics, routing, HTTP')}\n\n`);
    tally.save('ops-codec');
    await target?.stop();
  });

  test(`GET /tickets/:source/:ticketId: ${RUNS.ticket} cases`, () => attack(target, tally, 'GET /tickets/:source/:ticketId', ticketCases, (c) => c, RUNS.ticket));
  test(`GET /tickets: ${RUNS.list} cases`, () => attack(target, tally, 'GET /tickets', listCases, (c) => c, RUNS.list));
  test(`POST /tickets/:source/:ticketId/resync: ${RUNS.resync} cases`, () => attack(target, tally, 'POST /tickets/…/resync', updateCases('resync'), (c) => c, RUNS.resync));
  test(`POST /tickets/:source/:ticketId/close: ${RUNS.close} cases`, () => attack(target, tally, 'POST /tickets/…/close', updateCases('close'), (c) => c, RUNS.close));
  test(`GET /healthz: ${RUNS.healthz} cases`, () => attack(target, tally, 'GET /healthz', probeCases('/healthz'), (c) => c, RUNS.healthz));
  test(`GET /readyz: ${RUNS.readyz} cases`, () => attack(target, tally, 'GET /readyz', probeCases('/readyz'), (c) => c, RUNS.readyz));
  test(`GET /openapi.json: ${RUNS.openapi} cases`, () => attack(target, tally, 'GET /openapi.json', probeCases('/openapi.json'), (c) => c, RUNS.openapi));
  test(`POST /codec/encode: ${RUNS.codecEncode} cases`, () => attack(target, tally, 'POST /codec/encode', codecCases('encode'), (c) => c, RUNS.codecEncode));
  test(`POST /codec/decode: ${RUNS.codecDecode} cases`, () => attack(target, tally, 'POST /codec/decode', codecCases('decode'), (c) => c, RUNS.codecDecode));
  test(`GET /metrics: ${RUNS.metrics} cases`, () => attack(target, tally, 'GET /metrics', metricsCases, (c) => c, RUNS.metrics));
  test(`unknown routes: ${RUNS.other} cases`, () => attack(target, tally, '(unknown routes)', otherCases, (c) => c, RUNS.other));
  test(`malformed HTTP: ${RUNS.protocol} cases`, () => attack(target, tally, '(malformed HTTP)', protocolCases, (c) => c, RUNS.protocol));

  test('nothing reached Temporal but reads; nothing leaked; the update counter can see an update', async () => {
    expect(target.calls).toEqual({ start: 0, signal: 0, signalWithStart: 0, update: 0 });
    expect(await target.ticketWorkflowIds()).toEqual([]);
    expect(target.processErrors).toEqual([]);
    const logs = target.logLines.join('');
    for (const secret of Object.values(SECRETS)) expect(logs).not.toContain(secret);
    expect(logs).not.toContain('Ada Lovelace');

    // Positive control: a valid resync of a ticket that does not exist is an update attempt (404).
    const res = await rawRequest(target.port, req('POST', '/tickets/connect/hostile-control/resync', [bearer(SECRETS.ops), ['Content-Type', 'application/json']], '{}'));
    expect(res.kind === 'response' && res.status).toBe(404);
    expect(target.calls.update).toBe(1);
    expect(await target.ticketWorkflowIds()).toEqual([]);

    const total = tally.total();
    expect(total.cases).toBeGreaterThanOrEqual(Math.round(6_000 * Number(process.env.HOSTILE_SCALE ?? '1')));
    expect(total.server5xx + total.crashes + total.wrong).toBe(0);
  });
});
