import { loadConfig } from '../../src/config';
import { redactedConfig } from '../../src/config/redacted-config';
import { configError } from '../support/config-error';

/** `CRM` and the Freshdesk variables (issue 20): one helpdesk, configured all or nothing. */
describe('loadConfig: the helpdesk', () => {
  const KEYS = {
    PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    CODEC_AUTH_TOKEN: 'codec-auth-token-value-0123',
    OPS_API_TOKEN: 'ops-api-token-value-0123',
  };
  const CONNECT = { CONNECT_API_URL: 'https://connect.example', CONNECT_API_KEY: 'connect-key', CONNECT_WEBHOOK_TOKEN: 'connect-webhook-token-value' };
  const FRESHDESK = {
    FRESHDESK_URL: 'https://acme.freshdesk.com/api/v2/',
    FRESHDESK_API_KEY: 'freshdesk-api-key-SECRET',
    FRESHDESK_WEBHOOK_TOKEN: 'freshdesk-webhook-token-SECRET',
    FRESHDESK_EXTERNAL_ID_FIELD: 'cf_ticket_bridge_id',
  };
  const ZENDESK = {
    ZENDESK_API_URL: 'https://acme.zendesk.com/api/v2',
    ZENDESK_EMAIL: 'bridge@acme.example',
    ZENDESK_API_TOKEN: 'zendesk-token',
    ZENDESK_WEBHOOK_SECRET: 'zendesk-webhook-secret-value',
  };
  const variables = (env: Record<string, string>) => configError(env).issues.map((i) => i.variable);

  it('is Freshdesk when only FRESHDESK_URL is set, with its webhook route and no Zendesk one', () => {
    const config = loadConfig({ ...KEYS, ...CONNECT, ...FRESHDESK });
    expect(config).toMatchObject({
      crm: 'freshdesk',
      sandbox: false,
      zendesk: null,
      freshdesk: { apiUrl: 'https://acme.freshdesk.com/api/v2', apiKey: 'freshdesk-api-key-SECRET', externalIdField: 'cf_ticket_bridge_id', statuses: null, attachmentHosts: [] },
      freshdeskWebhookToken: 'freshdesk-webhook-token-SECRET',
      webhookRoutes: { connect: true, zendesk: false, whitelabel: false, freshdesk: true },
    });
  });

  it('is Zendesk by default, without a Freshdesk route', () => {
    const config = loadConfig({ ...KEYS, ...CONNECT, ...ZENDESK });
    expect(config).toMatchObject({ crm: 'zendesk', freshdesk: null, freshdeskWebhookToken: null, webhookRoutes: { zendesk: true, freshdesk: false } });
  });

  it('names every missing Freshdesk variable when the URL is set, and the URL when only a credential is', () => {
    const issues = configError({ ...KEYS, ...CONNECT, FRESHDESK_URL: FRESHDESK.FRESHDESK_URL }).issues;
    expect(issues.map((i) => i.variable)).toEqual(['FRESHDESK_API_KEY', 'FRESHDESK_WEBHOOK_TOKEN', 'FRESHDESK_EXTERNAL_ID_FIELD']);
    expect(issues[0]!.message).toBe('is required when FRESHDESK_URL is set');
    expect(variables({ ...KEYS, ...CONNECT, CRM: 'freshdesk', FRESHDESK_API_KEY: 'k' })).toContain('FRESHDESK_URL');
  });

  it('with CRM=freshdesk and a source but no Freshdesk, names the Freshdesk variables', () => {
    const issues = configError({ ...KEYS, ...CONNECT, CRM: 'freshdesk' }).issues;
    expect(issues.map((i) => i.variable)).toEqual(['FRESHDESK_URL', 'FRESHDESK_API_KEY', 'FRESHDESK_WEBHOOK_TOKEN', 'FRESHDESK_EXTERNAL_ID_FIELD']);
    expect(issues[0]!.message).toMatch(/tickets go to Freshdesk/);
  });

  it('refuses both helpdesks at once, naming the variables of the one not chosen', () => {
    const both = configError({ ...KEYS, ...CONNECT, ...ZENDESK, ...FRESHDESK }).issues;
    expect(both).toEqual([expect.objectContaining({ variable: 'FRESHDESK_URL', message: expect.stringMatching(/ZENDESK_API_URL is set too.*set CRM=freshdesk/) })]);
    const chosen = configError({ ...KEYS, ...CONNECT, ...ZENDESK, ...FRESHDESK, CRM: 'freshdesk' }).issues;
    expect(chosen).toEqual([expect.objectContaining({ variable: 'ZENDESK_API_URL', message: expect.stringMatching(/CRM is freshdesk: unset ZENDESK_API_URL, ZENDESK_EMAIL/) })]);
  });

  it('checks each value: the URL shape, the field name, the status map, CRM itself', () => {
    const issues = configError({
      ...KEYS,
      ...CONNECT,
      ...FRESHDESK,
      FRESHDESK_URL: 'https://acme.freshdesk.com/api/v1',
      FRESHDESK_EXTERNAL_ID_FIELD: 'Ticket Bridge',
      FRESHDESK_STATUS_MAP: '6=waiting',
      FRESHDESK_WEBHOOK_TOKEN: 'short',
    }).issues;
    expect(issues.map((i) => i.variable)).toEqual(['FRESHDESK_URL', 'FRESHDESK_WEBHOOK_TOKEN', 'FRESHDESK_EXTERNAL_ID_FIELD', 'FRESHDESK_STATUS_MAP']);
    expect(variables({ ...KEYS, ...CONNECT, ...ZENDESK, CRM: 'hubspot' })).toEqual(['CRM']);
  });

  it('reads a status map over the built-in statuses, and the extra hosts files may come from', () => {
    const config = loadConfig({ ...KEYS, ...CONNECT, ...FRESHDESK, FRESHDESK_STATUS_MAP: '6=hold, 7=pending', FRESHDESK_ATTACHMENT_HOSTS: 'files.acme.example' });
    expect(config.freshdesk!.attachmentHosts).toEqual(['files.acme.example']);
    expect([...config.freshdesk!.statuses!]).toEqual([[2, 'open'], [3, 'pending'], [4, 'solved'], [5, 'closed'], [6, 'hold'], [7, 'pending']]);
  });

  it('a sandbox with CRM=freshdesk and none of its variables simulates Freshdesk: its door mounted, its token generated', () => {
    const config = loadConfig({ CRM: 'freshdesk' });
    expect(config).toMatchObject({ sandbox: true, crm: 'freshdesk', freshdesk: null, webhookRoutes: { freshdesk: true, zendesk: false } });
    expect(config.generatedSecrets).toContain('FRESHDESK_WEBHOOK_TOKEN');
    expect(config.freshdeskWebhookToken).toMatch(/^[\w-]{32}$/);
    // Half of Freshdesk's variables is still an error, sandbox or not.
    expect(configError({ CRM: 'freshdesk', FRESHDESK_API_KEY: 'key' }).issues.map((i) => i.variable)).toEqual(['FRESHDESK_URL']);
  });

  it('never shows the API key or the webhook token', () => {
    const config = loadConfig({ ...KEYS, ...CONNECT, ...FRESHDESK });
    const shown = JSON.stringify(redactedConfig(config)) + JSON.stringify(config) + JSON.stringify(config.freshdesk);
    expect(shown).not.toContain(FRESHDESK.FRESHDESK_API_KEY);
    expect(shown).not.toContain(FRESHDESK.FRESHDESK_WEBHOOK_TOKEN);
    expect(shown).toContain('acme.freshdesk.com');
  });
});
