import { inspect } from 'node:util';
import { ConfigError, loadConfig, parseByteSize, parseDurationMs, redactedConfig } from '../../src/config';

const PRODUCTION = {
  PORT: '8080',
  TEMPORAL_ADDRESS: 'temporal:7233',
  TEMPORAL_NAMESPACE: 'tickets',
  TEMPORAL_TASK_QUEUE: 'ticket-bridge-prod',
  CONNECT_API_URL: 'https://connect.clever.gy/',
  CONNECT_API_KEY: 'connect-api-key-value',
  CONNECT_WEBHOOK_TOKEN: 'connect-webhook-token-value',
  ZENDESK_API_URL: 'https://acme.zendesk.com/api/v2',
  ZENDESK_EMAIL: 'bridge@acme.example',
  ZENDESK_API_TOKEN: 'zendesk-api-token-value',
  ZENDESK_WEBHOOK_SECRET: 'zendesk-webhook-secret-value',
  OPS_API_TOKEN: 'ops-api-token-value-0123',
  SOLVED_AUTO_CLOSE_AFTER: '48h',
  SOLVED_REOPEN_SOURCE_STATUS: 'OPEN',
  LOG_LEVEL: 'debug',
  BODY_LIMIT: '1mb',
};
const SECRET_VALUES = [
  PRODUCTION.CONNECT_API_KEY,
  PRODUCTION.CONNECT_WEBHOOK_TOKEN,
  PRODUCTION.ZENDESK_API_TOKEN,
  PRODUCTION.ZENDESK_WEBHOOK_SECRET,
  PRODUCTION.OPS_API_TOKEN,
];

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a full production environment', () => {
    const config = loadConfig(PRODUCTION);
    expect(redactedConfig(config)).toEqual({
      port: 8080,
      temporal: { address: 'temporal:7233', namespace: 'tickets', taskQueue: 'ticket-bridge-prod' },
      connect: { apiUrl: 'https://connect.clever.gy', apiKey: '[redacted]' },
      zendesk: { apiUrl: 'https://acme.zendesk.com/api/v2', email: 'bridge@acme.example', apiToken: '[redacted]' },
      connectWebhookToken: '[redacted]',
      zendeskWebhookSecret: '[redacted]',
      opsApiToken: '[redacted]',
      generatedSecrets: [],
      solvedAutoCloseAfterMs: 48 * 3_600_000,
      solvedReopenSourceStatus: 'OPEN',
      logLevel: 'debug',
      bodyLimitBytes: 1024 * 1024,
    });
    // The object itself keeps the secrets: adapters need them.
    expect(config.connect!.apiKey).toBe(PRODUCTION.CONNECT_API_KEY);
    expect(config.zendesk!.apiToken).toBe(PRODUCTION.ZENDESK_API_TOKEN);
    expect(config.opsApiToken).toBe(PRODUCTION.OPS_API_TOKEN);
  });

  it('runs a sandbox from an empty environment, with defaults and generated inbound secrets', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      temporal: { address: null, namespace: 'default', taskQueue: 'ticket-bridge' },
      connect: null,
      zendesk: null,
      generatedSecrets: ['CONNECT_WEBHOOK_TOKEN', 'ZENDESK_WEBHOOK_SECRET', 'OPS_API_TOKEN'],
      solvedAutoCloseAfterMs: 72 * 3_600_000,
      solvedReopenSourceStatus: 'PENDING',
      logLevel: 'info',
      bodyLimitBytes: 100 * 1024,
    });
    expect(config.connectWebhookToken.length).toBeGreaterThanOrEqual(16);
    expect(config.opsApiToken).not.toBe(loadConfig({}).opsApiToken);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ PORT: '', CONNECT_API_URL: '  ', OPS_API_TOKEN: '' });
    expect(config.port).toBe(3000);
    expect(config.connect).toBeNull();
    expect(config.generatedSecrets).toContain('OPS_API_TOKEN');
  });

  it('keeps given sandbox secrets instead of generating them', () => {
    const config = loadConfig({ OPS_API_TOKEN: PRODUCTION.OPS_API_TOKEN });
    expect(config.opsApiToken).toBe(PRODUCTION.OPS_API_TOKEN);
    expect(config.generatedSecrets).not.toContain('OPS_API_TOKEN');
  });

  it('allows one side in production and the other simulated', () => {
    const { ZENDESK_API_URL: _u, ZENDESK_EMAIL: _e, ZENDESK_API_TOKEN: _t, ZENDESK_WEBHOOK_SECRET: _s, ...connectOnly } = PRODUCTION;
    const config = loadConfig(connectOnly);
    expect(config.connect).not.toBeNull();
    expect(config.zendesk).toBeNull();
    expect(config.generatedSecrets).toEqual(['ZENDESK_WEBHOOK_SECRET']);
  });

  it('names every bad variable, one line each, in documented order', () => {
    const err = configError({
      PORT: 'eighty',
      TEMPORAL_ADDRESS: 'temporal',
      TEMPORAL_NAMESPACE: 'has space',
      TEMPORAL_TASK_QUEUE: 'a/b',
      CONNECT_API_URL: 'not a url',
      CONNECT_API_KEY: ' ',
      CONNECT_WEBHOOK_TOKEN: 'short',
      ZENDESK_API_URL: 'https://acme.zendesk.com/api/v1',
      ZENDESK_EMAIL: 'bridge',
      ZENDESK_API_TOKEN: '',
      ZENDESK_WEBHOOK_SECRET: 'short',
      OPS_API_TOKEN: 'short',
      SOLVED_AUTO_CLOSE_AFTER: '3 weeks',
      SOLVED_REOPEN_SOURCE_STATUS: 'SOLVED',
      LOG_LEVEL: 'loud',
      BODY_LIMIT: 'huge',
    });
    expect(err.issues).toEqual([
      { variable: 'PORT', message: 'must be an integer port number' },
      { variable: 'TEMPORAL_ADDRESS', message: 'must be host:port' },
      { variable: 'TEMPORAL_NAMESPACE', message: 'must be a name of letters, digits, ".", "_", "-"' },
      { variable: 'TEMPORAL_TASK_QUEUE', message: 'must be a name of letters, digits, ".", "_", "-"' },
      { variable: 'CONNECT_API_URL', message: 'must be a URL' },
      { variable: 'CONNECT_API_KEY', message: 'is required when CONNECT_API_URL is set' },
      { variable: 'CONNECT_WEBHOOK_TOKEN', message: 'must be at least 16 characters (it authenticates callers)' },
      { variable: 'ZENDESK_API_URL', message: 'must end with /api/v2 (e.g. https://acme.zendesk.com/api/v2)' },
      { variable: 'ZENDESK_EMAIL', message: 'must be an email address' },
      { variable: 'ZENDESK_API_TOKEN', message: 'is required when ZENDESK_API_URL is set' },
      { variable: 'ZENDESK_WEBHOOK_SECRET', message: 'must be at least 16 characters (it authenticates callers)' },
      { variable: 'OPS_API_TOKEN', message: 'must be at least 16 characters (it authenticates callers)' },
      {
        variable: 'SOLVED_AUTO_CLOSE_AFTER',
        message: 'must be a positive duration like 72h, 30m, 2d, 45s or milliseconds',
      },
      { variable: 'SOLVED_REOPEN_SOURCE_STATUS', message: 'must be one of PENDING, OPEN' },
      { variable: 'LOG_LEVEL', message: 'must be one of fatal, error, warn, info, debug, trace, silent' },
      { variable: 'BODY_LIMIT', message: 'must be a size like 100kb, 1mb or a number of bytes' },
    ]);
    expect(err.message.split('\n')).toEqual(['Invalid configuration:', ...err.issues.map((i) => `  ${i.variable}: ${i.message}`)]);
  });

  it('requires each credential of a group once its URL is set', () => {
    const err = configError({ CONNECT_API_URL: 'https://connect.example', ZENDESK_API_URL: 'https://acme.zendesk.com/api/v2' });
    expect(err.issues.map((i) => i.variable)).toEqual([
      'CONNECT_API_KEY',
      'CONNECT_WEBHOOK_TOKEN',
      'ZENDESK_EMAIL',
      'ZENDESK_API_TOKEN',
      'ZENDESK_WEBHOOK_SECRET',
      'OPS_API_TOKEN',
    ]);
    expect(err.issues.every((i) => i.message.startsWith('is required when'))).toBe(true);
  });

  it.each([
    ['CONNECT_API_URL', 'ftp://connect.example'],
    ['ZENDESK_API_URL', 'acme.zendesk.com/api/v2'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['SOLVED_AUTO_CLOSE_AFTER', '0'],
    ['SOLVED_AUTO_CLOSE_AFTER', '-5m'],
    ['SOLVED_AUTO_CLOSE_AFTER', '1w'],
    ['BODY_LIMIT', '0'],
    ['BODY_LIMIT', '1gb'],
  ])('rejects %s=%s', (variable, value) => {
    expect(configError({ ...PRODUCTION, [variable]: value }).issues.map((i) => i.variable)).toEqual([variable]);
  });

  it('never echoes a value, secret or not, in the error', () => {
    const bad = {
      CONNECT_API_URL: 'https://connect.example',
      CONNECT_API_KEY: 'connect-api-key-value',
      CONNECT_WEBHOOK_TOKEN: 'tiny-secret',
      ZENDESK_API_URL: 'https://acme.zendesk.com/api/v2',
      ZENDESK_EMAIL: 'not-an-email-SECRETISH',
      ZENDESK_API_TOKEN: 'zendesk-api-token-value',
      ZENDESK_WEBHOOK_SECRET: 'another-tiny',
      OPS_API_TOKEN: 'ops-tiny',
      LOG_LEVEL: 'LEVEL-VALUE-XYZ',
      SOLVED_REOPEN_SOURCE_STATUS: 'STATUS-VALUE-XYZ',
    };
    const text = `${configError(bad).message} ${JSON.stringify(configError(bad).issues)}`;
    for (const value of Object.values(bad).filter((v) => !v.startsWith('https://'))) expect(text).not.toContain(value);
  });

  it('redacts secrets from JSON.stringify and inspect, of the whole config and of each group', () => {
    const config = loadConfig(PRODUCTION);
    const renderings = [
      JSON.stringify(config),
      JSON.stringify(config.connect),
      JSON.stringify(config.zendesk),
      inspect(config, { depth: 5 }),
      inspect(config.zendesk),
      JSON.stringify(redactedConfig(config)),
    ];
    for (const text of renderings) for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
    expect(JSON.parse(JSON.stringify(config))).toMatchObject({ temporal: { namespace: 'tickets' }, opsApiToken: '[redacted]' });
  });

  it('accepts IPv6 and hostnames as TEMPORAL_ADDRESS', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: '[::1]:7233' }).temporal.address).toBe('[::1]:7233');
    expect(loadConfig({ TEMPORAL_ADDRESS: 'acme.tmprl.cloud:7233' }).temporal.address).toBe('acme.tmprl.cloud:7233');
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['72h', 72 * 3_600_000],
    ['30m', 30 * 60_000],
    ['2d', 2 * 86_400_000],
    ['45s', 45_000],
    ['1500ms', 1500],
    ['1500', 1500],
  ])('%s → %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each([['0'], ['1.5h'], ['h'], [''], ['10 years']])('rejects %p', (text) => expect(parseDurationMs(text)).toBeNull());
});

describe('parseByteSize', () => {
  it.each([
    ['100kb', 102_400],
    ['1MB', 1_048_576],
    ['512b', 512],
    ['2048', 2048],
  ])('%s → %d bytes', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));
});
