/**
 * The outbound settings (issue 23, items 1 and 5): API URLs in clear only to loopback, the
 * download allow-lists and caps, each bad value named by its variable, never echoed.
 */
import { loadConfig } from '../../src/config';
import { realPorts } from '../../src/runtime/ports';
import { configError } from '../support/config-error';

const PRODUCTION = {
  CONNECT_API_URL: 'https://connect.example',
  CONNECT_API_KEY: 'connect-key',
  CONNECT_WEBHOOK_TOKEN: 'connect-webhook-token-0123',
  ZENDESK_API_URL: 'https://acme.zendesk.com/api/v2',
  ZENDESK_EMAIL: 'bridge@acme.example',
  ZENDESK_API_TOKEN: 'zendesk-token',
  ZENDESK_WEBHOOK_SECRET: 'zendesk-webhook-secret-0123',
  OPS_API_TOKEN: 'ops-token-0123456789',
  PAYLOAD_ENCRYPTION: 'off',
};

const issues = (env: Record<string, string>) => configError(env).issues;

const HTTPS_ONLY = 'must be an https URL (http is accepted only for loopback: localhost, 127.0.0.1, [::1])';

describe('API URLs', () => {
  it.each([
    ['CONNECT_API_URL', 'http://connect.example'],
    ['ZENDESK_API_URL', 'http://acme.zendesk.com/api/v2'],
    ['WHITELABEL_API_URL', 'http://10.0.0.7:8080/v1'],
  ])('refuses %s=%s: http only to loopback', (variable, value) => {
    const env = { ...PRODUCTION, [variable]: value, ...(variable === 'WHITELABEL_API_URL' && { WHITELABEL_API_KEY: 'k', WHITELABEL_WEBHOOK_SECRET: 'whitelabel-secret-0123' }) };
    expect(issues(env)).toContainEqual({ variable, message: HTTPS_ONLY });
  });

  it.each(['http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010', 'http://127.8.9.10'])('accepts %s (loopback, as the sandbox and simulators use)', (url) => {
    expect(loadConfig({ ...PRODUCTION, CONNECT_API_URL: url }).connect!.apiUrl).toBe(url);
  });
});

describe('attachment downloads', () => {
  it('defaults to no extra host and no internal range, and to the per-comment caps', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.outbound).toEqual({ attachmentHosts: { connect: [], zendesk: [], whitelabel: [] }, allowedAddresses: [] });
    expect(config.attachments).toMatchObject({ maxFiles: 10, maxCommentBytes: 50 * 1024 ** 2, fileTimeoutMs: 120_000, commentTimeoutMs: 300_000 });
  });

  it('reads host lists, ranges and caps', () => {
    const config = loadConfig({
      ...PRODUCTION,
      CONNECT_ATTACHMENT_HOSTS: 'Files.Example.com, *.cdn.example.com,storage.example:8443',
      ZENDESK_ATTACHMENT_HOSTS: 'zd-files.example',
      OUTBOUND_ALLOWED_ADDRESSES: '10.1.0.0/16, fd00::/8',
      ATTACHMENT_MAX_FILES: '3',
      ATTACHMENT_MAX_COMMENT_BYTES: '30mb',
      ATTACHMENT_FILE_TIMEOUT: '45s',
      ATTACHMENT_COMMENT_TIMEOUT: '4m',
    });
    expect(config.outbound).toEqual({
      attachmentHosts: { connect: ['files.example.com', '*.cdn.example.com', 'storage.example:8443'], zendesk: ['zd-files.example'], whitelabel: [] },
      allowedAddresses: ['10.1.0.0/16', 'fd00::/8'],
    });
    expect(config.attachments).toMatchObject({ maxFiles: 3, maxCommentBytes: 30 * 1024 ** 2, fileTimeoutMs: 45_000, commentTimeoutMs: 240_000 });
    // And the adapters are built with them.
    expect(realPorts(config).sources.connect).toBeDefined();
  });

  it('names each bad value by its variable, without echoing it', () => {
    const found = issues({
      ...PRODUCTION,
      CONNECT_ATTACHMENT_HOSTS: 'https://files.example.com/path',
      WHITELABEL_ATTACHMENT_HOSTS: 'user:secret@host',
      OUTBOUND_ALLOWED_ADDRESSES: '10.0.0.0/99',
      ATTACHMENT_MAX_FILES: '0',
      ATTACHMENT_COMMENT_TIMEOUT: '20m',
    });
    expect(found).toEqual([
      { variable: 'ATTACHMENT_MAX_FILES', message: 'must be between 1 and 100' },
      { variable: 'ATTACHMENT_COMMENT_TIMEOUT', message: 'must be at most 8m (a comment-writing activity runs at most 10 minutes)' },
      { variable: 'CONNECT_ATTACHMENT_HOSTS', message: 'must be host names like files.example.com, *.example.com or host:port, comma-separated' },
      { variable: 'WHITELABEL_ATTACHMENT_HOSTS', message: 'must be host names like files.example.com, *.example.com or host:port, comma-separated' },
      { variable: 'OUTBOUND_ALLOWED_ADDRESSES', message: 'must be address ranges like 10.0.0.0/8, 127.0.0.1 or fd00::/8, comma-separated' },
    ]);
    expect(JSON.stringify(found)).not.toContain('secret');
  });
});
