/** PAYLOAD_ENCRYPTION / PAYLOAD_KEYS / CODEC_* in the configuration, and the start-up warning. */
import { ConfigError, loadConfig } from '../../src/config';
import { defaultPayloadConverter } from '@temporalio/common';
import { logPayloadEncryption, payloadCodecFrom } from '../../src/security/codec/data-converter';
import { LogCapture } from '../api/helpers';
import { PRODUCTION_REMOTES_ENV } from '../support/production-env';
import { payloadKeysEnv, testKey } from './keys';

const PRODUCTION = { TEMPORAL_ADDRESS: 'temporal:7233', ...PRODUCTION_REMOTES_ENV };

function issues(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('payload encryption settings', () => {
  test('the sandbox (no Connect/Zendesk URL, no keys) runs without encryption', () => {
    expect(loadConfig({}).payloadEncryption).toEqual({ mode: 'off' });
  });

  test('with keys, unencrypted payloads are refused unless PAYLOAD_ACCEPT_UNENCRYPTED=true', async () => {
    const forged = [defaultPayloadConverter.toPayload('forged')];
    for (const extra of [{}, { PAYLOAD_ACCEPT_UNENCRYPTED: 'false' }]) {
      const strict = payloadCodecFrom(loadConfig({ PAYLOAD_KEYS: payloadKeysEnv('k'), ...extra }))!;
      await expect(strict.decode(forged)).rejects.toThrow(/not encrypted/);
    }
    const legacy = loadConfig({ PAYLOAD_KEYS: payloadKeysEnv('k'), PAYLOAD_ACCEPT_UNENCRYPTED: 'true' });
    expect(legacy.payloadEncryption).toMatchObject({ mode: 'required', acceptUnencrypted: true });
    expect(await payloadCodecFrom(legacy)!.decode(forged)).toEqual(forged);
  });

  test('PAYLOAD_ACCEPT_UNENCRYPTED without encryption, or not a boolean, is named', () => {
    expect(issues({ PAYLOAD_ACCEPT_UNENCRYPTED: 'true' })).toEqual([
      { variable: 'PAYLOAD_ACCEPT_UNENCRYPTED', message: 'only applies with payload encryption on (PAYLOAD_KEYS); unset it' },
    ]);
    expect(issues({ PAYLOAD_KEYS: payloadKeysEnv('k'), PAYLOAD_ACCEPT_UNENCRYPTED: 'yes' })).toEqual([
      { variable: 'PAYLOAD_ACCEPT_UNENCRYPTED', message: 'must be true or false' },
    ]);
  });

  test('keys given: encryption, current key first, in the sandbox too', () => {
    const config = loadConfig({ PAYLOAD_KEYS: payloadKeysEnv('new', 'old') });
    expect(config.payloadEncryption.mode).toBe('required');
    if (config.payloadEncryption.mode !== 'required') throw new Error('unreachable');
    expect(config.payloadEncryption.keyring.currentKeyId).toBe('new');
    expect(config.payloadEncryption.keyring.key('old')).toEqual(testKey('old'));
  });

  test('production requires keys by default, naming the variable and how to make one', () => {
    const [issue, ...rest] = issues(PRODUCTION);
    expect(rest).toEqual([]);
    expect(issue!.variable).toBe('PAYLOAD_KEYS');
    expect(issue!.message).toMatch(/^is required when PAYLOAD_ENCRYPTION is required \(the default when CONNECT_API_URL/);
    expect(issue!.message).toMatch(/randomBytes\(32\)/);
  });

  test('a white-label production source requires keys as well', () => {
    expect(issues({ WHITELABEL_API_URL: 'https://wl.example', WHITELABEL_API_KEY: 'k', WHITELABEL_WEBHOOK_SECRET: 'whitelabel-secret-0123' }).map((i) => i.variable)).toContain(
      'PAYLOAD_KEYS',
    );
  });

  test('production may opt out explicitly (PAYLOAD_ENCRYPTION=off)', () => {
    expect(loadConfig({ ...PRODUCTION, PAYLOAD_ENCRYPTION: 'off' }).payloadEncryption).toEqual({ mode: 'off' });
  });

  test('PAYLOAD_ENCRYPTION=required in the sandbox needs keys too', () => {
    expect(issues({ PAYLOAD_ENCRYPTION: 'required' })).toEqual([
      { variable: 'PAYLOAD_KEYS', message: expect.stringMatching(/^is required when PAYLOAD_ENCRYPTION is required: <key id>/) },
    ]);
  });

  test('off together with keys is ambiguous and refused', () => {
    expect(issues({ PAYLOAD_ENCRYPTION: 'off', PAYLOAD_KEYS: payloadKeysEnv('k') })).toEqual([
      { variable: 'PAYLOAD_ENCRYPTION', message: 'is off but PAYLOAD_KEYS is set; unset one of them' },
    ]);
  });

  test.each([
    ['a 16-byte key', `k:${Buffer.alloc(16).toString('base64')}`, /key "k" must decode to 32 bytes/],
    ['a key that is not base64', 'k:###', /key "k" must be base64/],
    ['no key id', Buffer.alloc(32).toString('base64'), /entry 1/],
  ])('PAYLOAD_KEYS with %s is named, without the value', (_name, value, message) => {
    const found = issues({ ...PRODUCTION, CODEC_AUTH_TOKEN: 'codec-token-0123456789', PAYLOAD_KEYS: value });
    expect(found).toEqual([{ variable: 'PAYLOAD_KEYS', message: expect.stringMatching(message) }]);
    expect(found[0]!.message).not.toContain(value);
  });
});

describe('codec server settings', () => {
  const CODEC_TOKEN = 'codec-token-0123456789';
  const base = { ...PRODUCTION, PAYLOAD_KEYS: payloadKeysEnv('k'), CODEC_AUTH_TOKEN: CODEC_TOKEN };

  test('with encryption on and real tickets, CODEC_AUTH_TOKEN is required: the ops token never decrypts', () => {
    const { CODEC_AUTH_TOKEN: _omitted, ...withoutToken } = base;
    expect(issues(withoutToken)).toEqual([
      {
        variable: 'CODEC_AUTH_TOKEN',
        message: 'is required when payload encryption is on: the codec server (/codec) decrypts every payload, so it takes a token of its own, not OPS_API_TOKEN',
      },
    ]);
  });

  test('CODEC_AUTH_TOKEN equal to OPS_API_TOKEN is refused, without quoting either', () => {
    const found = issues({ ...base, CODEC_AUTH_TOKEN: PRODUCTION.OPS_API_TOKEN });
    expect(found).toEqual([{ variable: 'CODEC_AUTH_TOKEN', message: 'must differ from OPS_API_TOKEN (the ops token must not decrypt payloads)' }]);
    expect(JSON.stringify(found)).not.toContain(PRODUCTION.OPS_API_TOKEN);
  });

  test('its own token; no browser origin is allowed unless configured', () => {
    const config = loadConfig(base);
    expect(config.codecAuthToken).toBe(CODEC_TOKEN);
    expect(config.codecCorsOrigins).toEqual([]);
  });

  test('production without encryption (PAYLOAD_ENCRYPTION=off), or the sandbox: no token, no codec server', () => {
    expect(loadConfig({ ...PRODUCTION, PAYLOAD_ENCRYPTION: 'off' }).codecAuthToken).toBeNull();
    expect(loadConfig({}).codecAuthToken).toBeNull();
    expect(loadConfig({ PAYLOAD_KEYS: payloadKeysEnv('k') }).codecAuthToken).toBeNull();
  });

  test('CODEC_AUTH_TOKEN and CODEC_CORS_ORIGIN (several, trailing slash tolerated)', () => {
    const config = loadConfig({ ...base, CODEC_AUTH_TOKEN: 'codec-token-0123456789', CODEC_CORS_ORIGIN: 'http://localhost:8080/, https://temporal.acme.example' });
    expect(config.codecAuthToken).toBe('codec-token-0123456789');
    expect(config.codecCorsOrigins).toEqual(['http://localhost:8080', 'https://temporal.acme.example']);
    expect(JSON.stringify(config)).not.toContain('codec-token-0123456789');
  });

  test.each(['*', 'localhost:8080', 'https://ui.example/path', 'ftp://ui.example', 'https://ui.example,'])('rejects CODEC_CORS_ORIGIN=%s', (origin) => {
    expect(issues({ ...base, CODEC_CORS_ORIGIN: origin }).map((i) => i.variable)).toEqual(['CODEC_CORS_ORIGIN']);
  });

  test('a short CODEC_AUTH_TOKEN is refused like every inbound secret', () => {
    expect(issues({ ...base, CODEC_AUTH_TOKEN: 'short' })).toEqual([
      { variable: 'CODEC_AUTH_TOKEN', message: 'must be at least 16 characters (it authenticates callers)' },
    ]);
  });
});

describe('start-up log line', () => {
  test('off: a loud warning', () => {
    const logs = new LogCapture();
    logPayloadEncryption(logs.logger, { payloadEncryption: { mode: 'off' } });
    expect(logs.records()).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/PAYLOAD ENCRYPTION OFF/) })]);
  });

  test('on: the key ids, never the keys', () => {
    const logs = new LogCapture();
    const config = loadConfig({ PAYLOAD_KEYS: payloadKeysEnv('k2', 'k1') });
    logPayloadEncryption(logs.logger, config);
    expect(logs.records()).toEqual([expect.objectContaining({ level: 'info', currentKeyId: 'k2', keyIds: ['k2', 'k1'] })]);
    expect(logs.text).not.toContain(testKey('k2').toString('base64'));
  });
});
