/**
 * Environment configuration, validated once at start-up: `loadConfig`.
 *
 * Each concern reads its own variables in its own module: the Temporal server (./temporal.ts,
 * ./temporal-connection.ts), the remotes (./sides.ts, ./connect.ts, ./zendesk.ts,
 * ./whitelabel.ts, ./freshdesk.ts), sandbox or deployment (./sandbox.ts), the API (./api.ts),
 * payload encryption (./codec.ts), the worker (./worker.ts), the remotes' rate budgets
 * (./rate-budgets.ts), sync rules (./sync.ts), attachments
 * (./attachments.ts), logs (./logging.ts). This module only composes them, in a fixed order
 * close to docs/configuration.md's; the `ConfigError` lists every problem in that order, so
 * changing it changes the messages a deployment sees.
 *
 * What `loadConfig` returns (`Config`) and throws (`ConfigError`) are re-exported here: they are
 * its signature, and most callers need nothing else. Every other name is imported from the
 * module of its concern.
 */
import { readBodyLimit, readHttpDoors, readInbox, readMetricsToken, readOpsApiToken, readPort, readTicketCountsInterval, requireBodiesFitBudget } from './api';
import { readAttachments, readOutbound } from './attachments';
import { readCodecCorsOrigins, readCodecSettings, readPayloadEncryption } from './codec';
import { readConnect } from './connect';
import { EnvReader, type Env } from './env-reader';
import { ConfigError } from './errors';
import { readCrmChoice } from './freshdesk';
import { InboundSecrets, type SecretVariable } from './inbound-secrets';
import { readLogging } from './logging';
import { protectConfig } from './redacted-config';
import { readRateBudgets } from './rate-budgets';
import { readDataDir, readSandbox, requireWorkingDeployment } from './sandbox';
import { configuredSides } from './sides';
import { readMapping, readSyncRules } from './sync';
import { readTemporal } from './temporal';
import type { Config } from './types';
import { readWhitelabelEvents, readWhitelabelSide } from './whitelabel';
import { readWorker } from './worker';
import { readZendesk } from './zendesk';

export type { Config } from './types';
export { ConfigError, type ConfigIssue } from './errors';

export interface LoadConfigOptions {
  /**
   * Inbound secrets an earlier start generated (see src/sandbox/secrets.ts), used instead
   * of fresh random ones, so a restarted sandbox keeps its ops token and webhook secrets.
   */
  savedSecrets?: Partial<Record<SecretVariable, string>>;
}

/**
 * Validate the environment and return the configuration, or throw a `ConfigError` naming every
 * bad variable. The returned object keeps the secrets (adapters need them) but redacts them
 * whenever it is serialised or inspected; see ./redacted-config.ts.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const r = new EnvReader(env);
  const secrets = new InboundSecrets(r, options.savedSecrets);
  const configured = configuredSides(r);
  const freshdeskSet = r.isSet('FRESHDESK_URL');
  // Real tickets flow as soon as any remote is real.
  const realTickets = configured.length > 0 || freshdeskSet;

  // The reading order is the order of the issues (the statements below, then the literal's fields).
  const port = readPort(r);
  const dataDir = readDataDir(r);
  const inbox = readInbox(r, dataDir);
  const temporal = readTemporal(r);
  const { sandbox, off: sandboxOff } = readSandbox(r, realTickets);
  const { connect, connectWebhookToken } = readConnect(r, secrets, configured.includes('connect'));
  const { zendesk, zendeskWebhookSecret } = readZendesk(r, secrets, configured.includes('zendesk'));
  const { side: whitelabelSide, whitelabelWebhookSecret } = readWhitelabelSide(r, secrets, configured.includes('whitelabel'));
  const helpdesk = readCrmChoice(r, configured.includes('zendesk'), sandbox, () => secrets.read('FRESHDESK_WEBHOOK_TOKEN', false, ''));
  if (!sandbox) requireWorkingDeployment(r, configured, sandboxOff, helpdesk.crm, freshdeskSet);
  const { whitelabel, whitelabelWebhook } = readWhitelabelEvents(r, whitelabelSide);
  const opsApiToken = readOpsApiToken(secrets, realTickets);

  const config = {
    port,
    dataDir,
    inbox,
    temporal,
    sandbox,
    connect,
    zendesk,
    whitelabel,
    ...helpdesk,
    connectWebhookToken,
    zendeskWebhookSecret,
    whitelabelWebhookSecret,
    whitelabelWebhook,
    opsApiToken,
    generatedSecrets: secrets.generated,
    ...readSyncRules(r),
    attachments: readAttachments(r),
    outbound: readOutbound(r),
    mapping: readMapping(r),
    ...readLogging(r),
    bodyLimitBytes: readBodyLimit(r),
    ...readCodecSettings(r, readPayloadEncryption(r, realTickets), opsApiToken, realTickets),
    codecCorsOrigins: readCodecCorsOrigins(r),
    metricsToken: readMetricsToken(r),
    ticketCountsIntervalMs: readTicketCountsInterval(r),
    ...readWorker(r),
    ...readRateBudgets(r),
    ...readHttpDoors(r, configured, sandbox, helpdesk.crm),
  };
  requireBodiesFitBudget(r, config);

  if (r.issues.length > 0) throw new ConfigError(r.issues);
  // No issues means every field above was parsed (undefined only ever comes with an issue).
  return protectConfig(config as Config);
}
