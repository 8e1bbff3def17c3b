/**
 * The codec server over real HTTP, as the Temporal UI and CLI call it: `POST /codec/decode` and
 * `/codec/encode` with a Payloads JSON body, bearer auth, CORS for the UI's origin only.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { CODEC_DECODE_PATH, CODEC_ENCODE_PATH } from '../../src/api/codec/router';
import { EncryptionCodec } from '../../src/security/codec/encryption-codec';
import { CODEC_TOKEN, FakeGateway, OPS_TOKEN, startApi, type RunningApi } from '../api/helpers';
import { encryptionWith, keyring } from './keys';

const UI_ORIGIN = 'http://localhost:8080';
const PERSONAL = { name: 'Grace Hopper', email: 'grace@example.org', message: 'The invoice for Flat 7 is wrong' };

type PayloadJson = { metadata: Record<string, string>; data: string };
const toJson = (p: Payload): PayloadJson => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: PayloadJson): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const plain = (value: unknown) => toJson(defaultPayloadConverter.toPayload(value));

describe('codec server', () => {
  let api: RunningApi;
  const codec = new EncryptionCodec(keyring('k2', 'k1'));

  beforeAll(async () => {
    api = await startApi({
      gateway: new FakeGateway(),
      config: { payloadEncryption: encryptionWith('k2', 'k1'), codecAuthToken: CODEC_TOKEN, codecCorsOrigins: [UI_ORIGIN] },
    });
  });
  afterAll(() => api.close());

  /** What the UI sends: JSON, X-Namespace, the token, its origin. */
  const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Authorization: `Bearer ${CODEC_TOKEN}`, Origin: UI_ORIGIN, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('decode: what the worker encrypted comes back readable', async () => {
    const encrypted = await codec.encode([defaultPayloadConverter.toPayload(PERSONAL), defaultPayloadConverter.toPayload('hi')]);
    const res = await call(CODEC_DECODE_PATH, { payloads: encrypted.map(toJson) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { payloads } = (await res.json()) as { payloads: PayloadJson[] };
    expect(payloads.map((p) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([PERSONAL, 'hi']);
  });

  test('encode (signals sent from the UI): encrypted with the current key, and decodable by the worker', async () => {
    const res = await call(CODEC_ENCODE_PATH, { payloads: [plain(PERSONAL)] });
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: PayloadJson[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(payloads[0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe('k2');
    expect(JSON.stringify(payloads)).not.toContain(Buffer.from('Grace').toString('base64').slice(0, 6));
    const [back] = await codec.decode(payloads.map(fromJson));
    expect(defaultPayloadConverter.fromPayload(back!)).toEqual(PERSONAL);
  });

  test('rotation: payloads from the old key decode', async () => {
    const old = await new EncryptionCodec(keyring('k1')).encode([defaultPayloadConverter.toPayload(PERSONAL)]);
    const res = await call(CODEC_DECODE_PATH, { payloads: old.map(toJson) });
    const { payloads } = (await res.json()) as { payloads: PayloadJson[] };
    expect(payloads.map((p) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([PERSONAL]);
  });

  test('decode refuses an unencrypted payload, as the worker does, naming it and the way out', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('fine')]);
    const res = await call(CODEC_DECODE_PATH, { payloads: [toJson(encrypted!), plain({ forged: 1 })] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      issues: [{ path: 'payloads.1', message: expect.stringMatching(/not encrypted.*PAYLOAD_ACCEPT_UNENCRYPTED=true/) }],
    });
  });

  test('PAYLOAD_ACCEPT_UNENCRYPTED: plain payloads (histories from before encryption) pass through decode', async () => {
    const legacy = await startApi({
      gateway: new FakeGateway(),
      config: { payloadEncryption: { mode: 'required', keyring: keyring('k2', 'k1'), acceptUnencrypted: true } },
    });
    try {
      const old = await new EncryptionCodec(keyring('k1')).encode([defaultPayloadConverter.toPayload(PERSONAL)]);
      const res = await fetch(`${legacy.url}${CODEC_DECODE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CODEC_TOKEN}` },
        body: JSON.stringify({ payloads: [...old.map(toJson), plain({ legacy: 1 })] }),
      });
      const { payloads } = (await res.json()) as { payloads: PayloadJson[] };
      expect(payloads.map((p) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([PERSONAL, { legacy: 1 }]);
    } finally {
      await legacy.close();
    }
  });

  test('CLI style: no Origin, token only', async () => {
    const res = await fetch(`${api.url}${CODEC_DECODE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CODEC_TOKEN}` },
      body: JSON.stringify({ payloads: [] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(await res.json()).toEqual({ payloads: [] });
  });

  describe('CORS', () => {
    test.each([CODEC_DECODE_PATH, CODEC_ENCODE_PATH])('preflight from the UI origin on %s', async (path) => {
      const res = await fetch(`${api.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          Origin: UI_ORIGIN,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,authorization,x-namespace',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/^Content-Type, Authorization, X-Namespace\b/);
      expect(res.headers.get('vary')).toMatch(/Origin/);
    });

    test('preflight from any other origin: 403 JSON, no CORS headers', async () => {
      const res = await fetch(`${api.url}${CODEC_DECODE_PATH}`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(await res.json()).toEqual({ error: 'forbidden', message: expect.stringMatching(/CODEC_CORS_ORIGIN/) });
    });

    test('a POST from another origin is refused even with the token', async () => {
      const res = await call(CODEC_DECODE_PATH, { payloads: [] }, { Origin: 'http://localhost:8081' });
      expect(res.status).toBe(403);
    });

    test('401s carry CORS headers, so the UI can tell the operator why', async () => {
      const res = await call(CODEC_DECODE_PATH, { payloads: [] }, { Authorization: 'Bearer wrong' });
      expect(res.status).toBe(401);
      expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    });
  });

  describe('authentication', () => {
    test.each([
      ['no Authorization header', {}],
      ['a wrong token', { Authorization: 'Bearer nope' }],
      ['the ops token when CODEC_AUTH_TOKEN is set', { Authorization: `Bearer ${OPS_TOKEN}` }],
      ['Basic auth', { Authorization: `Basic ${Buffer.from(`x:${CODEC_TOKEN}`).toString('base64')}` }],
      ['the token without the scheme', { Authorization: CODEC_TOKEN }],
    ])('401 with %s', async (_name, headers: Record<string, string>) => {
      const res = await fetch(`${api.url}${CODEC_DECODE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ payloads: [] }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    });

    test('without CODEC_AUTH_TOKEN there is no codec server: 404 for every token, the ops token included', async () => {
      const other = await startApi({ gateway: new FakeGateway(), config: { payloadEncryption: encryptionWith('k1'), codecAuthToken: null } });
      try {
        const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(PERSONAL)]);
        for (const path of [CODEC_DECODE_PATH, CODEC_ENCODE_PATH]) {
          const res = await fetch(`${other.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${OPS_TOKEN}` },
            body: JSON.stringify({ payloads: [toJson(encrypted!)] }),
          });
          expect({ path, status: res.status }).toEqual({ path, status: 404 });
          expect(await res.text()).not.toContain('Grace');
        }
        // The ops token still does its own job there.
        const ops = await fetch(`${other.url}/tickets`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
        expect(ops.status).not.toBe(401);
      } finally {
        await other.close();
      }
    });
  });

  describe('errors name the problem', () => {
    test('malformed JSON', async () => {
      const res = await call(CODEC_DECODE_PATH, '{"payloads": [');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_json' });
    });

    test.each([
      ['not an object', [], '(body)'],
      ['payloads missing', {}, 'payloads'],
      ['payloads not an array', { payloads: 'x' }, 'payloads'],
      ['data not base64', { payloads: [{ data: 'not base64!' }] }, 'payloads.0.data'],
      ['metadata value not a string', { payloads: [{ metadata: { encoding: 5 } }] }, 'payloads.0.metadata.encoding'],
    ])('%s', async (_name, body, path) => {
      const res = await call(CODEC_DECODE_PATH, body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: string; issues: Array<{ path: string }> };
      expect(json.error).toBe('invalid_request');
      expect(json.issues.map((i) => i.path)).toContain(path);
    });

    test('a tampered payload: 400 naming it', async () => {
      const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(PERSONAL)]);
      const data = Buffer.from(encrypted!.data!);
      data[15] ^= 0xff;
      const [fine] = await codec.encode([defaultPayloadConverter.toPayload('fine')]);
      const res = await call(CODEC_DECODE_PATH, { payloads: [toJson(fine!), toJson({ ...encrypted!, data })] });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid_request',
        issues: [{ path: 'payloads.1', message: expect.stringMatching(/failed authentication/) }],
      });
    });

    test('an unknown key id: 400 naming the key', async () => {
      const [foreign] = await new EncryptionCodec(keyring('k9')).encode([defaultPayloadConverter.toPayload(PERSONAL)]);
      const res = await call(CODEC_DECODE_PATH, { payloads: [toJson(foreign!)] });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid_request',
        issues: [{ path: 'payloads.0', message: expect.stringMatching(/key "k9", which is not in PAYLOAD_KEYS/) }],
      });
    });
  });

  test('nothing decoded or encoded reaches the logs', async () => {
    const encrypted = await codec.encode([defaultPayloadConverter.toPayload(PERSONAL)]);
    await call(CODEC_DECODE_PATH, { payloads: encrypted.map(toJson) });
    await call(CODEC_ENCODE_PATH, { payloads: [plain(PERSONAL)] });
    for (const value of Object.values(PERSONAL)) expect(api.logs.text).not.toContain(value);
    expect(api.logs.text).not.toContain(CODEC_TOKEN);
    expect(api.logs.requestLines().filter((l) => String(l.route).startsWith('/codec/')).length).toBeGreaterThanOrEqual(2);
  });

  test('with encryption off: pass-through, and encrypted payloads are refused clearly', async () => {
    const off = await startApi({ gateway: new FakeGateway(), config: { payloadEncryption: { mode: 'off' } } });
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${off.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${CODEC_TOKEN}` },
          body: JSON.stringify(body),
        });
      const res = await post(CODEC_ENCODE_PATH, { payloads: [plain('x')] });
      expect(await res.json()).toEqual({ payloads: [plain('x')] });
      const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
      const refused = await post(CODEC_DECODE_PATH, { payloads: [toJson(encrypted!)] });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ issues: [{ path: 'payloads.0', message: expect.stringMatching(/no PAYLOAD_KEYS/) }] });
    } finally {
      await off.close();
    }
  });
});
