/**
 * The configuration as it may be logged or printed: every secret replaced. `loadConfig` returns
 * an object that keeps the secrets (adapters need them) but shows this form whenever it is
 * serialised or inspected (see ./redact.ts).
 */
import { hide, REDACTED } from './redact';
import { protectConnection, redactedConnection } from './temporal-connection';
import type { RedactedTemporalConfig } from './temporal';
import type { Config } from './types';

export type RedactedConfig = Omit<Config, 'temporal'> & { temporal: RedactedTemporalConfig };

/** A plain copy of the configuration with every secret replaced, safe to log or print. */
export function redactedConfig(config: Config): RedactedConfig {
  return {
    ...config,
    inbox: { ...config.inbox },
    temporal: redactedConnection(config.temporal),
    connect: config.connect && { ...config.connect, apiKey: REDACTED },
    zendesk: config.zendesk && { ...config.zendesk, apiToken: REDACTED },
    whitelabel: config.whitelabel && { ...config.whitelabel, apiKey: REDACTED },
    freshdesk: config.freshdesk && { ...config.freshdesk, apiKey: REDACTED },
    freshdeskWebhookToken: config.freshdeskWebhookToken && REDACTED,
    connectWebhookToken: REDACTED,
    zendeskWebhookSecret: REDACTED,
    whitelabelWebhookSecret: REDACTED,
    whitelabelWebhook: { ...config.whitelabelWebhook },
    opsApiToken: REDACTED,
    codecAuthToken: config.codecAuthToken && REDACTED,
    codecCorsOrigins: [...config.codecCorsOrigins],
    attachments: { ...config.attachments, allowedTypes: [...config.attachments.allowedTypes] },
    outbound: { attachmentHosts: { ...config.outbound.attachmentHosts }, allowedAddresses: [...config.outbound.allowedAddresses] },
    metricsToken: config.metricsToken && REDACTED,
    // The keyring serialises as its key ids only (see PayloadKeyring.toJSON).
    payloadEncryption: config.payloadEncryption,
    generatedSecrets: [...config.generatedSecrets],
  };
}

/** Install the redacted form on the whole object and on each group holding credentials. */
export function protectConfig(config: Config): Config {
  protectConnection(config.temporal);
  if (config.connect) hide(config.connect, () => ({ ...config.connect, apiKey: REDACTED }));
  if (config.zendesk) hide(config.zendesk, () => ({ ...config.zendesk, apiToken: REDACTED }));
  if (config.whitelabel) hide(config.whitelabel, () => ({ ...config.whitelabel, apiKey: REDACTED }));
  if (config.freshdesk) hide(config.freshdesk, () => ({ ...config.freshdesk, apiKey: REDACTED }));
  return hide(config, () => redactedConfig(config));
}
