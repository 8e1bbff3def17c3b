/**
 * The AES-256-GCM payload codec: round trip, fresh IVs, key rotation, tampering, unknown keys,
 * and the keyring parser behind PAYLOAD_KEYS.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_KEY_ID,
  PayloadDecryptionError,
  UnencryptedPayloadError,
  UnknownEncryptionKeyError,
} from '../../src/security/codec/encryption-codec';
import { parsePayloadKeys, PayloadKeyring } from '../../src/security/codec/keyring';
import { dataConverterFrom } from '../../src/security/codec/data-converter';
import { keyring, payloadKeysEnv, testKey } from './keys';

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const PERSONAL = { name: 'Ada Lovelace', email: 'ada@example.org', message: 'My meter at Flat 3, 12 Baker St reads 10432 kWh' };
const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);

describe('EncryptionCodec', () => {
  const codec = new EncryptionCodec(keyring('k1'));

  test('round trip: the original payload (metadata and data) comes back exactly', async () => {
    const payloads = [plain(PERSONAL), plain(null), plain(undefined), plain('ünïcødé 💥'), plain(new Uint8Array([0, 1, 255]))];
    const encoded = await codec.encode(payloads);
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([PERSONAL, null, undefined, 'ünïcødé 💥', new Uint8Array([0, 1, 255])]);
    for (const [i, p] of decoded.entries()) {
      expect(text(p.metadata?.[METADATA_ENCODING_KEY])).toBe(text(payloads[i]!.metadata?.[METADATA_ENCODING_KEY]));
    }
  });

  test('property: any payload round-trips, and its data never appears in the ciphertext', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 40 }), { maxKeys: 4 }),
        fc.uint8Array({ maxLength: 2000 }),
        async (metadata, data) => {
          const [encrypted] = await codec.encode([{ metadata, data }]);
          const [decrypted] = await codec.decode([encrypted!]);
          expect(Buffer.from(decrypted!.data ?? [])).toEqual(Buffer.from(data));
          expect(Object.keys(decrypted!.metadata ?? {}).sort()).toEqual(Object.keys(metadata).sort());
          for (const [k, v] of Object.entries(metadata)) expect(Buffer.from(decrypted!.metadata![k]!)).toEqual(Buffer.from(v));
          if (data.length >= 16) expect(Buffer.from(encrypted!.data!).includes(Buffer.from(data))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('the stored form: binary/encrypted, the key id, and no trace of the plain text', async () => {
    const [encrypted] = await codec.encode([plain(PERSONAL)]);
    expect(text(encrypted!.metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata![METADATA_KEY_ID])).toBe('k1');
    const stored = Buffer.concat([...Object.values(encrypted!.metadata!).map((v) => Buffer.from(v)), Buffer.from(encrypted!.data!)]);
    for (const value of [...Object.values(PERSONAL), 'json/plain', 'Ada']) expect(stored.includes(Buffer.from(value))).toBe(false);
  });

  test('a fresh random IV per payload: the same plain text never encrypts the same way twice', async () => {
    const encrypted = await codec.encode(Array.from({ length: 200 }, () => plain(PERSONAL)));
    const ivs = new Set(encrypted.map((p) => Buffer.from(p.data!).subarray(0, 12).toString('hex')));
    const bodies = new Set(encrypted.map((p) => Buffer.from(p.data!).toString('hex')));
    expect(ivs.size).toBe(200);
    expect(bodies.size).toBe(200);
  });

  test('a payload that is not encrypted is refused: only a holder of the key writes payloads', async () => {
    await expect(codec.decode([plain({ forged: 'signal' })])).rejects.toThrow(UnencryptedPayloadError);
    await expect(codec.decode([plain({ forged: 'signal' })])).rejects.toMatchObject({
      type: 'UnencryptedPayload',
      nonRetryable: true,
      message: expect.stringMatching(/not encrypted.*PAYLOAD_ACCEPT_UNENCRYPTED=true/),
    });
  });

  test('acceptUnencrypted: plain payloads pass through decode untouched (histories from before encryption)', async () => {
    const legacy = new EncryptionCodec(keyring('k1'), { acceptUnencrypted: true });
    const payload = plain({ legacy: true });
    const [encrypted] = await legacy.encode([plain(PERSONAL)]);
    expect(await legacy.decode([payload, encrypted!])).toEqual([payload, plain(PERSONAL)]);
  });

  describe('key rotation', () => {
    const before = new EncryptionCodec(keyring('2024'));
    const after = new EncryptionCodec(keyring('2025', '2024'));

    test('the old key still decrypts what it encrypted; the new key encrypts everything new', async () => {
      const [old] = await before.encode([plain(PERSONAL)]);
      expect(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!)).toEqual(PERSONAL);
      const [fresh] = await after.encode([plain(PERSONAL)]);
      expect(text(fresh!.metadata![METADATA_KEY_ID])).toBe('2025');
      expect(defaultPayloadConverter.fromPayload((await after.decode([fresh!]))[0]!)).toEqual(PERSONAL);
    });

    test('a process that was not given the new key fails clearly, non-retryably, naming the key', async () => {
      const [fresh] = await after.encode([plain(PERSONAL)]);
      const error = await before.decode([fresh!]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownEncryptionKeyError);
      expect(error).toMatchObject({ keyId: '2025', type: 'UnknownEncryptionKey', nonRetryable: true });
      expect((error as Error).message).toMatch(/"2025".*PAYLOAD_KEYS/);
    });
  });

  describe('tampering is detected (GCM authentication)', () => {
    const flip = (bytes: Uint8Array, at: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = copy[at]! ^ 0x01;
      return copy;
    };
    const cases: Array<[string, (data: Uint8Array) => Uint8Array]> = [
      ['a bit of the IV', (d) => flip(d, 3)],
      ['a bit of the ciphertext', (d) => flip(d, 20)],
      ['a bit of the tag', (d) => flip(d, d.length - 1)],
      ['a truncated tag', (d) => d.subarray(0, d.length - 1)],
      ['appended bytes', (d) => Buffer.concat([d, Buffer.from([0])])],
      ['a payload too short for IV and tag', (d) => d.subarray(0, 27)],
      ['empty data', () => new Uint8Array(0)],
    ];
    test.each(cases)('%s', async (_name, tamper) => {
      const [encrypted] = await codec.encode([plain(PERSONAL)]);
      const error = await codec.decode([{ ...encrypted!, data: tamper(encrypted!.data!) }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadDecryptionError);
      expect(error).toMatchObject({ type: 'PayloadDecryptionFailed', nonRetryable: true });
    });

    test('relabelling a payload with another known key id fails too', async () => {
      const two = new EncryptionCodec(keyring('a', 'b'));
      const [encrypted] = await two.encode([plain(PERSONAL)]);
      const relabelled = { ...encrypted!, metadata: { ...encrypted!.metadata, [METADATA_KEY_ID]: Buffer.from('b') } };
      await expect(two.decode([relabelled])).rejects.toMatchObject({ type: 'PayloadDecryptionFailed' });
    });

    test('an encrypted payload without a key id', async () => {
      const [encrypted] = await codec.encode([plain(PERSONAL)]);
      const { [METADATA_KEY_ID]: _dropped, ...metadata } = encrypted!.metadata!;
      await expect(codec.decode([{ ...encrypted!, metadata }])).rejects.toMatchObject({ type: 'PayloadDecryptionFailed' });
    });
  });
});

describe('PAYLOAD_KEYS parsing', () => {
  test('first key is current, every key decrypts', () => {
    const parsed = parsePayloadKeys(payloadKeysEnv('new', 'old'));
    expect(parsed.ok).toBe(true);
    const ring = (parsed as { keyring: PayloadKeyring }).keyring;
    expect(ring.currentKeyId).toBe('new');
    expect(ring.keyIds).toEqual(['new', 'old']);
    expect(ring.key('old')).toEqual(testKey('old'));
  });

  test('URL-safe base64 and spaces around entries are fine', () => {
    const key = testKey('x').toString('base64url');
    expect(parsePayloadKeys(` x : ${key} `).ok).toBe(true);
  });

  test.each([
    ['no colon', 'abc', /entry 1 must be <key id>:<base64 key>/],
    ['a short key', `k:${Buffer.alloc(16).toString('base64')}`, /key "k" must decode to 32 bytes .* got 16/],
    ['a long key', `k:${Buffer.alloc(33).toString('base64')}`, /got 33/],
    ['not base64', 'k:!!!notbase64!!!', /key "k" must be base64/],
    ['a bad id', `bad id:${testKey('a').toString('base64')}`, /entry 1: the key id/],
    ['an empty id', `:${testKey('a').toString('base64')}`, /entry 1: the key id/],
    ['a duplicate id', `${payloadKeysEnv('a')},${payloadKeysEnv('a')}`, /entry 2: key id "a" appears twice/],
    ['an empty entry', `${payloadKeysEnv('a')},`, /entry 2 must be/],
  ])('rejects %s with a message that never quotes key material', (_name, value, message) => {
    const parsed = parsePayloadKeys(value);
    expect(parsed.ok).toBe(false);
    const text = (parsed as { message: string }).message;
    expect(text).toMatch(message);
    const material = value.split(',').map((e) => e.split(':')[1]?.trim()).filter((m): m is string => !!m && m.length > 3);
    for (const m of material) expect(text).not.toContain(m);
  });

  test('the keyring never shows key material when logged, inspected or serialised', () => {
    const ring = keyring('k1', 'k0');
    const shown = [JSON.stringify(ring), inspect(ring), inspect({ nested: { ring } }, { depth: 5 }), String(ring)].join('\n');
    for (const id of ['k1', 'k0']) {
      expect(shown).not.toContain(testKey(id).toString('base64'));
      expect(shown).not.toContain(testKey(id).toString('hex'));
    }
    expect(JSON.parse(JSON.stringify(ring))).toEqual({ currentKeyId: 'k1', keyIds: ['k1', 'k0'] });
  });
});

describe('dataConverterFrom', () => {
  test('encryption on: the codec and the failure converter that encrypts error messages', () => {
    const converter = dataConverterFrom({ payloadEncryption: { mode: 'required', keyring: keyring('k') } });
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.payloadCodecs![0]).toBeInstanceOf(EncryptionCodec);
    expect(converter.failureConverterPath).toMatch(/failure-converter/);
  });
  test('encryption off: the SDK defaults', () => {
    expect(dataConverterFrom({ payloadEncryption: { mode: 'off' } })).toEqual({});
  });
});
