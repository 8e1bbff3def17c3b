/**
 * A production environment for the configuration: Connect and Zendesk configured with valid,
 * distinct values (each secret long enough, none equal to another), without payload keys, so a
 * test adds what it is about.
 */
export const PRODUCTION_REMOTES_ENV = {
  CONNECT_API_URL: 'https://connect.example',
  CONNECT_API_KEY: 'connect-api-key-value',
  CONNECT_WEBHOOK_TOKEN: 'connect-webhook-token-value',
  ZENDESK_API_URL: 'https://acme.zendesk.com/api/v2',
  ZENDESK_EMAIL: 'bridge@acme.example',
  ZENDESK_API_TOKEN: 'zendesk-api-token-value',
  ZENDESK_WEBHOOK_SECRET: 'zendesk-webhook-secret-value',
  OPS_API_TOKEN: 'ops-api-token-value-0123',
} as const;
