import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig } from '../../src/config';
import { redactedConfig } from '../../src/config/redacted-config';
import { parseByteSize, parseDurationMs } from '../../src/config/values';
import { configError } from '../support/config-error';

const PRODUCTION = {
  PORT: '8080',
  INBOX_DIR: '/var/lib/ticket-bridge/inbox',
  INBOX_MAX_ENTRIES: '50000',
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
  WHITELABEL_API_URL: 'https://api.whitelabel.example/v1/',
  WHITELABEL_API_KEY: 'whitelabel-api-key-value',
  WHITELABEL_WEBHOOK_SECRET: 'whitelabel-webhook-secret-value',
  WHITELABEL_SIGNATURE_HEADER: 'X-Platform-Signature',
  WHITELABEL_SIGNED_PAYLOAD: 'body',
  WHITELABEL_ASSIGNEES: '{"B3A1E4DB-8D71-4F2E-8C14-1038BAB6E3AC": 9012345, "0f0e0d0c-0b0a-4909-8807-060504030201": "42"}',
  WHITELABEL_BODY_LIMIT: '2mb',
  OPS_API_TOKEN: 'ops-api-token-value-0123',
  SOLVED_AUTO_CLOSE_AFTER: '48h',
  SOLVED_REOPEN_SOURCE_STATUS: 'OPEN',
  RECONCILE_INTERVAL: '10m',
  ATTACHMENT_MAX_BYTES: '10mb',
  ATTACHMENT_ALLOWED_TYPES: ' image/*, APPLICATION/PDF ',
  LOG_LEVEL: 'debug',
  BODY_LIMIT: '1mb',
  // Payload encryption is required in production (src/security/codec); 32 bytes each.
  PAYLOAD_KEYS: `2025-06:${Buffer.alloc(32, 7).toString('base64')},2024-11:${Buffer.alloc(32, 9).toString('base64')}`,
  // With encryption on, the codec server's own token (the ops token never decrypts).
  CODEC_AUTH_TOKEN: 'codec-auth-token-value-0123',
};
const SECRET_VALUES = [
  PRODUCTION.CONNECT_API_KEY,
  PRODUCTION.CONNECT_WEBHOOK_TOKEN,
  PRODUCTION.ZENDESK_API_TOKEN,
  PRODUCTION.ZENDESK_WEBHOOK_SECRET,
  PRODUCTION.WHITELABEL_API_KEY,
  PRODUCTION.WHITELABEL_WEBHOOK_SECRET,
  PRODUCTION.OPS_API_TOKEN,
  PRODUCTION.CODEC_AUTH_TOKEN,
  Buffer.alloc(32, 7).toString('base64'),
  Buffer.alloc(32, 9).toString('base64'),
];
const WHITELABEL_VARIABLES = [
  'WHITELABEL_API_URL',
  'WHITELABEL_API_KEY',
  'WHITELABEL_WEBHOOK_SECRET',
  'WHITELABEL_SIGNATURE_HEADER',
  'WHITELABEL_SIGNED_PAYLOAD',
  'WHITELABEL_ASSIGNEES',
  'WHITELABEL_BODY_LIMIT',
] as const;
/** PRODUCTION without any WHITELABEL_* variable: Connect and Zendesk only. */
const WITHOUT_WHITELABEL: Record<string, string> = Object.fromEntries(
  Object.entries(PRODUCTION).filter(([k]) => !(WHITELABEL_VARIABLES as readonly string[]).includes(k)),
);

describe('loadConfig', () => {
  it('reads a full production environment', () => {
    const config = loadConfig(PRODUCTION);
    expect(redactedConfig(config)).toEqual({
      port: 8080,
      dataDir: '.ticket-bridge',
      inbox: { dir: '/var/lib/ticket-bridge/inbox', maxEntries: 50_000 },
      temporal: { address: 'temporal:7233', namespace: 'tickets', taskQueue: 'ticket-bridge-prod', devServerPort: 7233, tls: null, apiKey: null },
      sandbox: false,
      connect: { apiUrl: 'https://connect.clever.gy', apiKey: '[redacted]' },
      zendesk: { apiUrl: 'https://acme.zendesk.com/api/v2', email: 'bridge@acme.example', apiToken: '[redacted]' },
      whitelabel: {
        apiUrl: 'https://api.whitelabel.example/v1',
        apiKey: '[redacted]',
        // Teammate ids are matched case-insensitively: stored lower case.
        assignees: { 'b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac': '9012345', '0f0e0d0c-0b0a-4909-8807-060504030201': '42' },
      },
      crm: 'zendesk',
      freshdesk: null,
      freshdeskWebhookToken: null,
      connectWebhookToken: '[redacted]',
      zendeskWebhookSecret: '[redacted]',
      whitelabelWebhookSecret: '[redacted]',
      whitelabelWebhook: { signatureHeader: 'X-Platform-Signature', signedPayload: 'body', bodyLimitBytes: 2 * 1024 * 1024 },
      opsApiToken: '[redacted]',
      generatedSecrets: [],
      solvedAutoCloseAfterMs: 48 * 3_600_000,
      solvedReopenSourceStatus: 'OPEN',
      reconcileIntervalMs: 10 * 60_000,
      attachments: {
        maxBytes: 10 * 1024 * 1024,
        allowedTypes: ['image/*', 'application/pdf'],
        maxFiles: 10,
        maxCommentBytes: 50 * 1024 * 1024,
        fileTimeoutMs: 120_000,
        commentTimeoutMs: 300_000,
      },
      outbound: { attachmentHosts: { connect: [], zendesk: [], whitelabel: [] }, allowedAddresses: [] },
      mapping: null,
      logLevel: 'debug',
      logFormat: null,
      bodyLimitBytes: 1024 * 1024,
      // The keyring shows its key ids only (below); the codec server has a token of its own.
      payloadEncryption: { mode: 'required', keyring: expect.objectContaining({ currentKeyId: '2025-06', keyIds: ['2025-06', '2024-11'] }) },
      codecAuthToken: '[redacted]',
      codecListen: null,
      codecCorsOrigins: [],
      metricsToken: null,
      ticketCountsIntervalMs: 60_000,
      workerMetricsAddress: '127.0.0.1:9464',
      workerMaxCachedWorkflows: 1000,
      // The helpdesks' smallest plan; the sources publish no limit.
      rateBudgets: { zendesk: null, freshdesk: null, connect: null, whitelabel: null },
      workerReplicas: 1,
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 1000, bodyBytesInFlight: 8 * 1024 * 1024 },
      webhookRoutes: { connect: true, zendesk: true, whitelabel: true, freshdesk: false },
    });
    expect(JSON.parse(JSON.stringify(config)).payloadEncryption).toEqual({
      mode: 'required',
      keyring: { currentKeyId: '2025-06', keyIds: ['2025-06', '2024-11'] },
    });
    // The object itself keeps the secrets: adapters need them.
    expect(config.connect!.apiKey).toBe(PRODUCTION.CONNECT_API_KEY);
    expect(config.zendesk!.apiToken).toBe(PRODUCTION.ZENDESK_API_TOKEN);
    expect(config.opsApiToken).toBe(PRODUCTION.OPS_API_TOKEN);
    expect(config.whitelabel!.apiKey).toBe(PRODUCTION.WHITELABEL_API_KEY);
    expect(config.whitelabelWebhookSecret).toBe(PRODUCTION.WHITELABEL_WEBHOOK_SECRET);
  });

  it('defaults the attachment limits: 20 MB, and images, PDF, plain text and office documents; 50mb is the most', () => {
    const { attachments } = loadConfig({});
    expect(attachments.maxBytes).toBe(20 * 1024 * 1024);
    expect(attachments.allowedTypes).toEqual(expect.arrayContaining(['image/png', 'image/jpeg', 'application/pdf', 'text/plain', 'application/msword']));
    expect(attachments.allowedTypes).not.toContain('image/svg+xml');
    expect(loadConfig({ ATTACHMENT_MAX_BYTES: '50mb' }).attachments.maxBytes).toBe(50 * 1024 * 1024);
    expect(loadConfig({ ATTACHMENT_ALLOWED_TYPES: '*' }).attachments.allowedTypes).toEqual(['*']);
    expect(configError({ ATTACHMENT_MAX_BYTES: String(50 * 1024 * 1024 + 1) }).issues).toEqual([
      { variable: 'ATTACHMENT_MAX_BYTES', message: "must be at most 50mb (Zendesk's limit per file)" },
    ]);
  });

  it('runs without the white-label source when WHITELABEL_API_URL is unset (its inbound secret generated)', () => {
    const config = loadConfig(WITHOUT_WHITELABEL);
    expect(config.connect).not.toBeNull();
    expect(config.zendesk).not.toBeNull();
    expect(config.whitelabel).toBeNull();
    expect(config.generatedSecrets).toEqual(['WHITELABEL_WEBHOOK_SECRET']);
    expect(config.whitelabelWebhookSecret.length).toBeGreaterThanOrEqual(16);
    expect(config.whitelabelWebhook).toEqual({ signatureHeader: 'X-Whitelabel-Signature', signedPayload: 'timestamp.body', bodyLimitBytes: 1024 * 1024 });
  });

  it('mounts the webhook routes of the configured sides only; a sandbox mounts all three', () => {
    expect(loadConfig(WITHOUT_WHITELABEL).webhookRoutes).toEqual({ connect: true, zendesk: true, whitelabel: false, freshdesk: false });
    expect(loadConfig({}).webhookRoutes).toEqual({ connect: true, zendesk: true, whitelabel: true, freshdesk: false });
    // SANDBOX=1 simulates the sides left unconfigured: their webhooks come from the simulators.
    expect(loadConfig({ ...WITHOUT_WHITELABEL, SANDBOX: '1' }).webhookRoutes).toEqual({ connect: true, zendesk: true, whitelabel: true, freshdesk: false });
  });

  it('reads the HTTP server limits, and refuses a headers timeout over the request timeout or a budget smaller than a body limit', () => {
    const config = loadConfig({
      HTTP_HEADERS_TIMEOUT: '5s',
      HTTP_REQUEST_TIMEOUT: '1m',
      HTTP_KEEP_ALIVE_TIMEOUT: '2500ms',
      HTTP_MAX_CONNECTIONS: '200',
      BODY_BYTES_IN_FLIGHT: '4mb',
    });
    expect(config.http).toEqual({ headersTimeoutMs: 5_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 2_500, maxConnections: 200, bodyBytesInFlight: 4 * 1024 * 1024 });
    expect(configError({ HTTP_HEADERS_TIMEOUT: '31s', HTTP_MAX_CONNECTIONS: '0', BODY_BYTES_IN_FLIGHT: '512kb' }).issues).toEqual([
      { variable: 'HTTP_MAX_CONNECTIONS', message: 'must be between 1 and 1000000' },
      { variable: 'HTTP_HEADERS_TIMEOUT', message: 'must not be longer than HTTP_REQUEST_TIMEOUT (the headers are part of the request)' },
      { variable: 'BODY_BYTES_IN_FLIGHT', message: 'must be at least WHITELABEL_BODY_LIMIT (a body of that size must fit)' },
    ]);
    expect(configError({ BODY_LIMIT: '2mb', BODY_BYTES_IN_FLIGHT: '1mb' }).issues).toEqual([
      { variable: 'BODY_BYTES_IN_FLIGHT', message: 'must be at least BODY_LIMIT (a body of that size must fit)' },
    ]);
  });

  it('keeps a given WHITELABEL_WEBHOOK_SECRET without the URL, and reads the assignee map then too', () => {
    const config = loadConfig({ WHITELABEL_WEBHOOK_SECRET: PRODUCTION.WHITELABEL_WEBHOOK_SECRET });
    expect(config.whitelabelWebhookSecret).toBe(PRODUCTION.WHITELABEL_WEBHOOK_SECRET);
    expect(config.generatedSecrets).not.toContain('WHITELABEL_WEBHOOK_SECRET');
    expect(config.whitelabel).toBeNull();
  });

  it('requires the white-label credentials once WHITELABEL_API_URL is set', () => {
    const err = configError({ ...WITHOUT_WHITELABEL, WHITELABEL_API_URL: 'https://api.whitelabel.example/v1' });
    expect(err.issues).toEqual([
      { variable: 'WHITELABEL_API_KEY', message: 'is required when WHITELABEL_API_URL is set' },
      { variable: 'WHITELABEL_WEBHOOK_SECRET', message: 'is required when WHITELABEL_API_URL is set' },
    ]);
  });

  it('defaults the white-label settings', () => {
    const config = loadConfig({
      ...WITHOUT_WHITELABEL,
      WHITELABEL_API_URL: 'http://127.0.0.1:4010/v1',
      WHITELABEL_API_KEY: PRODUCTION.WHITELABEL_API_KEY,
      WHITELABEL_WEBHOOK_SECRET: PRODUCTION.WHITELABEL_WEBHOOK_SECRET,
    });
    expect(redactedConfig(config)).toMatchObject({
      whitelabel: { apiUrl: 'http://127.0.0.1:4010/v1', apiKey: '[redacted]', assignees: {} },
      whitelabelWebhook: { signatureHeader: 'X-Whitelabel-Signature', signedPayload: 'timestamp.body', bodyLimitBytes: 1024 * 1024 },
      generatedSecrets: [],
    });
  });

  it('runs a sandbox from an empty environment, with defaults and generated inbound secrets', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      sandbox: true,
      temporal: { address: null, namespace: 'default', taskQueue: 'ticket-bridge', tls: null, apiKey: null },
      connect: null,
      zendesk: null,
      whitelabel: null,
      whitelabelWebhook: { signatureHeader: 'X-Whitelabel-Signature', signedPayload: 'timestamp.body', bodyLimitBytes: 1024 * 1024 },
      generatedSecrets: ['CONNECT_WEBHOOK_TOKEN', 'ZENDESK_WEBHOOK_SECRET', 'WHITELABEL_WEBHOOK_SECRET', 'OPS_API_TOKEN'],
      solvedAutoCloseAfterMs: 72 * 3_600_000,
      solvedReopenSourceStatus: 'PENDING',
      reconcileIntervalMs: 5 * 60_000,
      logLevel: 'info',
      bodyLimitBytes: 100 * 1024,
    });
    expect(config.connectWebhookToken.length).toBeGreaterThanOrEqual(16);
    expect(config.opsApiToken).not.toBe(loadConfig({}).opsApiToken);
    expect(config.inbox).toEqual({ dir: join('.ticket-bridge', 'inbox'), maxEntries: 100_000 });
  });

  it('keeps the inbox under DATA_DIR unless INBOX_DIR says otherwise', () => {
    expect(loadConfig({ DATA_DIR: '/srv/bridge' }).inbox.dir).toBe(join('/srv/bridge', 'inbox'));
    expect(loadConfig({ DATA_DIR: '/srv/bridge', INBOX_DIR: '/mnt/inbox' }).inbox.dir).toBe('/mnt/inbox');
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

  describe('a side is configured completely or not at all; every configured side is used', () => {
    const { ZENDESK_API_URL: _u, ZENDESK_EMAIL: _e, ZENDESK_API_TOKEN: _t, ZENDESK_WEBHOOK_SECRET: _s, ...connectOnly } = WITHOUT_WHITELABEL;
    const whitelabelAndZendesk = Object.fromEntries(Object.entries(PRODUCTION).filter(([k]) => !k.startsWith('CONNECT_')));

    it('refuses a source without Zendesk, naming each missing variable, instead of simulating the rest', () => {
      const err = configError(connectOnly);
      expect(err.issues.map((i) => i.variable)).toEqual(['ZENDESK_API_URL', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN', 'ZENDESK_WEBHOOK_SECRET']);
      expect(err.issues[0]!.message).toBe('is required when CONNECT_API_URL is set: tickets go to Zendesk (SANDBOX=1 simulates the sides not configured)');
      const { CONNECT_API_URL: _cu, CONNECT_API_KEY: _ck, CONNECT_WEBHOOK_TOKEN: _ct, ...withoutConnect } = PRODUCTION;
      const { ZENDESK_API_URL: _zu, ZENDESK_EMAIL: _ze, ZENDESK_API_TOKEN: _zt, ZENDESK_WEBHOOK_SECRET: _zs, ...whitelabelOnly } = withoutConnect;
      expect(configError(whitelabelOnly).issues.map((i) => i.variable)).toEqual(['ZENDESK_API_URL', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN', 'ZENDESK_WEBHOOK_SECRET']);
      expect(configError(whitelabelOnly).issues[0]!.message).toMatch(/^is required when WHITELABEL_API_URL is set/);
    });

    it('refuses Zendesk without a source, naming both kinds of source', () => {
      const zendeskOnly = Object.fromEntries(Object.entries(WITHOUT_WHITELABEL).filter(([k]) => !k.startsWith('CONNECT_')));
      expect(configError(zendeskOnly).issues).toEqual([
        {
          variable: 'CONNECT_API_URL or WHITELABEL_API_URL',
          message:
            'a ticket source is required when ZENDESK_API_URL is set: Connect (CONNECT_API_URL, CONNECT_API_KEY, CONNECT_WEBHOOK_TOKEN) ' +
            'or the white-label platform (WHITELABEL_API_URL, WHITELABEL_API_KEY, WHITELABEL_WEBHOOK_SECRET) (SANDBOX=1 simulates the sides not configured)',
        },
      ]);
    });

    it('runs white-label + Zendesk without Connect, for real', () => {
      const config = loadConfig(whitelabelAndZendesk);
      expect(config).toMatchObject({ sandbox: false, connect: null, zendesk: { apiUrl: 'https://acme.zendesk.com/api/v2' }, whitelabel: { apiUrl: 'https://api.whitelabel.example/v1' } });
    });

    it('refuses a credential without its URL (it would be ignored)', () => {
      const { CONNECT_API_URL: _u2, ...keyWithoutUrl } = WITHOUT_WHITELABEL;
      const [first, ...rest] = configError(keyWithoutUrl).issues;
      expect(first).toEqual({ variable: 'CONNECT_API_URL', message: 'is required when CONNECT_API_KEY is set (a side is configured completely or not at all)' });
      // And Zendesk alone has no source: the same variable is named there, and only it for Connect.
      expect(rest.map((i) => i.message)).toEqual([expect.stringContaining('Connect (CONNECT_API_URL) or the white-label platform')]);
      expect(configError({ ZENDESK_EMAIL: 'bridge@acme.example' }).issues.map((i) => i.variable)).toEqual(['ZENDESK_API_URL']);
    });

    it('simulates the sides not configured only when asked (SANDBOX=1), using the configured ones for real', () => {
      const config = loadConfig({ ...connectOnly, SANDBOX: '1' });
      expect(config).toMatchObject({ sandbox: true, connect: { apiUrl: 'https://connect.clever.gy' }, zendesk: null, whitelabel: null });
      expect(config.generatedSecrets).toEqual(['ZENDESK_WEBHOOK_SECRET', 'WHITELABEL_WEBHOOK_SECRET']);
      // Real tickets flow: the ops token and the payload keys are required as in production.
      expect(configError({ CONNECT_API_URL: 'https://connect.example', CONNECT_API_KEY: 'k', CONNECT_WEBHOOK_TOKEN: 'connect-webhook-token-value', SANDBOX: '1' }).issues.map((i) => i.variable)).toEqual([
        'OPS_API_TOKEN',
        'PAYLOAD_KEYS',
      ]);
    });

    it('SANDBOX=0 with nothing configured is an error, not a sandbox', () => {
      expect(configError({ SANDBOX: '0' }).issues.map((i) => i.variable)).toEqual(['SANDBOX']);
      expect(configError({ SANDBOX: 'maybe' }).issues).toEqual([{ variable: 'SANDBOX', message: 'must be 1 or 0 (true or false)' }]);
      expect(loadConfig({ ...PRODUCTION, SANDBOX: 'false' }).sandbox).toBe(false);
    });
  });

  it('uses the secrets an earlier sandbox start saved, for the generated ones only', () => {
    const saved = { OPS_API_TOKEN: 'saved-ops-token-0123456789', CONNECT_WEBHOOK_TOKEN: 'short' };
    const config = loadConfig({}, { savedSecrets: saved });
    expect(config.opsApiToken).toBe(saved.OPS_API_TOKEN);
    // The sandbox serves no codec server unless CODEC_AUTH_TOKEN is set: never the ops token.
    expect(config.codecAuthToken).toBeNull();
    // Too short to be one of ours: a fresh one instead.
    expect(config.connectWebhookToken).not.toBe('short');
    expect(loadConfig({ OPS_API_TOKEN: PRODUCTION.OPS_API_TOKEN }, { savedSecrets: saved }).opsApiToken).toBe(PRODUCTION.OPS_API_TOKEN);
  });

  it('reads LOG_FORMAT (json, pretty; unset: by the terminal)', () => {
    expect(loadConfig({}).logFormat).toBeNull();
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(configError({ LOG_FORMAT: 'xml' }).issues).toEqual([{ variable: 'LOG_FORMAT', message: 'must be one of json, pretty' }]);
  });

  it('names every bad variable, one line each, in documented order', () => {
    const err = configError({
      PORT: 'eighty',
      DATA_DIR: '',
      INBOX_DIR: 'in\0box',
      INBOX_MAX_ENTRIES: 'lots',
      TEMPORAL_ADDRESS: 'temporal',
      TEMPORAL_NAMESPACE: 'has space',
      TEMPORAL_TASK_QUEUE: 'a/b',
      TEMPORAL_DEV_PORT: '65000',
      TEMPORAL_TLS: 'yes',
      TEMPORAL_TLS_CERT_PATH: '/nonexistent/client.pem',
      TEMPORAL_TLS_SERVER_NAME: 'temporal server',
      TEMPORAL_API_KEY: 'two words',
      CONNECT_API_URL: 'not a url',
      CONNECT_API_KEY: ' ',
      CONNECT_WEBHOOK_TOKEN: 'short',
      ZENDESK_API_URL: 'https://acme.zendesk.com/api/v1',
      ZENDESK_EMAIL: 'bridge',
      ZENDESK_API_TOKEN: '',
      ZENDESK_WEBHOOK_SECRET: 'short',
      WHITELABEL_API_URL: 'mailto:x@example.com',
      WHITELABEL_API_KEY: '',
      WHITELABEL_WEBHOOK_SECRET: 'short',
      WHITELABEL_SIGNATURE_HEADER: 'X Signature',
      WHITELABEL_SIGNED_PAYLOAD: 'timestamp',
      WHITELABEL_ASSIGNEES: '{"b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac": "agent"}',
      WHITELABEL_BODY_LIMIT: 'big',
      OPS_API_TOKEN: 'short',
      SOLVED_AUTO_CLOSE_AFTER: '3 weeks',
      SOLVED_REOPEN_SOURCE_STATUS: 'SOLVED',
      ATTACHMENT_MAX_BYTES: '51mb',
      ATTACHMENT_ALLOWED_TYPES: 'images, pdf',
      LOG_LEVEL: 'loud',
      BODY_LIMIT: 'huge',
      PAYLOAD_ENCRYPTION: 'sometimes',
      PAYLOAD_KEYS: 'k1:c2hvcnQ=',
      CODEC_AUTH_TOKEN: 'short',
      CODEC_CORS_ORIGIN: 'https://temporal-ui.example/namespaces',
      WORKER_MAX_CACHED_WORKFLOWS: '0',
      ZENDESK_REQUESTS_PER_MINUTE: '700/min',
      WORKER_REPLICAS: '0',
    });
    expect(err.issues).toEqual([
      { variable: 'PORT', message: 'must be an integer port number' },
      { variable: 'INBOX_DIR', message: 'must be a directory path' },
      { variable: 'INBOX_MAX_ENTRIES', message: 'must be a whole number' },
      { variable: 'TEMPORAL_ADDRESS', message: 'must be host:port' },
      { variable: 'TEMPORAL_NAMESPACE', message: 'must be a name of letters, digits, ".", "_", "-"' },
      { variable: 'TEMPORAL_TASK_QUEUE', message: 'must be a name of letters, digits, ".", "_", "-"' },
      { variable: 'TEMPORAL_DEV_PORT', message: 'must be between 1 and 64535 (the Temporal UI takes port + 1000)' },
      { variable: 'TEMPORAL_TLS', message: 'must be true or false' },
      { variable: 'TEMPORAL_TLS_CERT_PATH', message: 'must be the path of a readable file (ENOENT)' },
      { variable: 'TEMPORAL_TLS_KEY_PATH', message: 'is required when TEMPORAL_TLS_CERT_PATH is set' },
      { variable: 'TEMPORAL_TLS_SERVER_NAME', message: 'must be a host name' },
      { variable: 'TEMPORAL_API_KEY', message: 'must be one token without spaces or control characters' },
      { variable: 'CONNECT_API_URL', message: 'must be a URL' },
      { variable: 'CONNECT_API_KEY', message: 'is required when CONNECT_API_URL is set' },
      { variable: 'CONNECT_WEBHOOK_TOKEN', message: 'must be at least 16 characters (it authenticates callers)' },
      { variable: 'ZENDESK_API_URL', message: 'must end with /api/v2 (e.g. https://acme.zendesk.com/api/v2)' },
      { variable: 'ZENDESK_EMAIL', message: 'must be an email address' },
      { variable: 'ZENDESK_API_TOKEN', message: 'is required when ZENDESK_API_URL is set' },
      { variable: 'ZENDESK_WEBHOOK_SECRET', message: 'must be at least 16 characters (it authenticates callers)' },
      { variable: 'WHITELABEL_API_URL', message: 'must be a URL' },
      { variable: 'WHITELABEL_API_KEY', message: 'is required when WHITELABEL_API_URL is set' },
      { variable: 'WHITELABEL_WEBHOOK_SECRET', message: 'must be at least 16 characters (it authenticates callers)' },
      { variable: 'WHITELABEL_SIGNATURE_HEADER', message: 'must be an HTTP header name' },
      { variable: 'WHITELABEL_SIGNED_PAYLOAD', message: 'must be one of timestamp.body, body' },
      { variable: 'WHITELABEL_ASSIGNEES', message: 'entry 1: the Zendesk user id must be a positive integer' },
      { variable: 'WHITELABEL_BODY_LIMIT', message: 'must be a size like 100kb, 1mb or a number of bytes' },
      { variable: 'OPS_API_TOKEN', message: 'must be at least 16 characters (it authenticates callers)' },
      {
        variable: 'SOLVED_AUTO_CLOSE_AFTER',
        message: 'must be a positive duration like 72h, 30m, 2d, 45s or milliseconds',
      },
      { variable: 'SOLVED_REOPEN_SOURCE_STATUS', message: 'must be one of PENDING, OPEN' },
      { variable: 'ATTACHMENT_MAX_BYTES', message: "must be at most 50mb (Zendesk's limit per file)" },
      { variable: 'ATTACHMENT_ALLOWED_TYPES', message: 'must be content types like image/png, application/pdf or image/*, comma-separated' },
      { variable: 'LOG_LEVEL', message: 'must be one of fatal, error, warn, info, debug, trace, silent' },
      { variable: 'BODY_LIMIT', message: 'must be a size like 100kb, 1mb or a number of bytes' },
      { variable: 'PAYLOAD_ENCRYPTION', message: 'must be one of required, off' },
      {
        variable: 'PAYLOAD_KEYS',
        message: expect.stringMatching(/^key "k1" must decode to 32 bytes \(AES-256\), got 5; generate one with: /),
      },
      { variable: 'CODEC_AUTH_TOKEN', message: 'must be at least 16 characters (it authenticates callers)' },
      {
        variable: 'CODEC_CORS_ORIGIN',
        message: 'must be origins like https://temporal-ui.example.com:8080 (scheme, host, port; no path, no *), comma-separated',
      },
      { variable: 'WORKER_MAX_CACHED_WORKFLOWS', message: 'must be between 1 and 1000000' },
      { variable: 'ZENDESK_REQUESTS_PER_MINUTE', message: 'must be requests per minute (a whole number from 1 to 1000000) or off' },
      { variable: 'WORKER_REPLICAS', message: 'must be between 1 and 1000' },
    ]);
    expect(err.message.split('\n')).toEqual(['Invalid configuration:', ...err.issues.map((i) => `  ${i.variable}: ${i.message}`)]);
  });

  it("reads each remote's rate budget (or off) and the worker replicas", () => {
    const config = loadConfig({
      ...PRODUCTION,
      ZENDESK_REQUESTS_PER_MINUTE: '700',
      CONNECT_REQUESTS_PER_MINUTE: '300',
      WHITELABEL_REQUESTS_PER_MINUTE: 'off',
      FRESHDESK_REQUESTS_PER_MINUTE: 'off',
      WORKER_REPLICAS: '3',
    });
    expect(config.rateBudgets).toEqual({ zendesk: 700, freshdesk: null, connect: 300, whitelabel: null });
    expect(config.workerReplicas).toBe(3);
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
      'PAYLOAD_KEYS',
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
    ['WHITELABEL_API_URL', 'api.whitelabel.example/v1'],
    ['WHITELABEL_SIGNED_PAYLOAD', 'TIMESTAMP.BODY'],
    ['WHITELABEL_SIGNATURE_HEADER', 'X-Sig: x'],
    ['WHITELABEL_ASSIGNEES', 'not json'],
    ['WHITELABEL_ASSIGNEES', '[1, 2]'],
    ['WHITELABEL_ASSIGNEES', '{"t1": 0}'],
    ['WHITELABEL_BODY_LIMIT', '0'],
    ['INBOX_MAX_ENTRIES', '0'],
    ['INBOX_MAX_ENTRIES', '-1'],
    ['INBOX_MAX_ENTRIES', '1.5'],
    ['INBOX_MAX_ENTRIES', '10000001'],
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
      WHITELABEL_API_URL: 'https://api.whitelabel.example/v1',
      WHITELABEL_WEBHOOK_SECRET: 'wl-tiny',
      WHITELABEL_SIGNATURE_HEADER: 'HEADER VALUE XYZ',
      WHITELABEL_SIGNED_PAYLOAD: 'RECIPE-VALUE-XYZ',
      WHITELABEL_ASSIGNEES: '{"TEAMMATE-VALUE-XYZ": "USERID-VALUE-XYZ"}',
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
      JSON.stringify(config.whitelabel),
      inspect(config, { depth: 5 }),
      inspect(config.zendesk),
      inspect(config.whitelabel),
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
