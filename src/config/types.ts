/**
 * The validated configuration `loadConfig` (./index.ts) returns: one flat object, each field
 * documented where its concern's module reads it. Kept apart from `loadConfig` so the modules
 * that only describe or redact it (./redacted-config.ts) do not import the loader.
 */
import type { AttachmentSettings } from '../domain/attachments';
import type { LogFormat } from '../observability/logger';
import type { TicketMapping } from '../mapping';
import type { HttpLimits, InboxConfig, WebhookRoutes } from './api';
import type { CodecSettings } from './codec';
import type { ConnectConfig } from './connect';
import type { HelpdeskChoice } from './freshdesk';
import type { SecretVariable } from './inbound-secrets';
import type { LogLevel } from './logging';
import type { OutboundConfig } from './attachments';
import type { RateBudgetSettings } from './rate-budgets';
import type { ReopenSourceStatus } from './sync';
import type { TemporalConfig } from './temporal';
import type { WhitelabelConfig, WhitelabelWebhookConfig } from './whitelabel';
import type { WorkerSettings } from './worker';
import type { ZendeskConfig } from './zendesk';

export interface Config extends HelpdeskChoice, CodecSettings, WorkerSettings, RateBudgetSettings {
  port: number;
  /** `DATA_DIR`: where `npm start` keeps the dev server's SQLite file and the sandbox's state. */
  dataDir: string;
  /** The API's durable inbox of webhooks Temporal could not take (see src/api/inbox). */
  inbox: InboxConfig;
  temporal: TemporalConfig;
  /**
   * `npm start` runs simulators for every side left null below: when no side is configured, or
   * `SANDBOX=true`. False means a production configuration (a helpdesk and at least one source),
   * validated as such (./sandbox.ts).
   */
  sandbox: boolean;
  /** null: not configured (simulated when `sandbox`, else absent). */
  connect: ConnectConfig | null;
  /** null: not configured; never null unless `sandbox` (or `crm` is freshdesk). */
  zendesk: ZendeskConfig | null;
  /** null: not configured (simulated when `sandbox`, else no such source). */
  whitelabel: WhitelabelConfig | null;
  /** Inbound secrets: the Connect `auth_token`, the Zendesk and white-label signing secrets, the ops bearer token. */
  connectWebhookToken: string;
  zendeskWebhookSecret: string;
  whitelabelWebhookSecret: string;
  whitelabelWebhook: WhitelabelWebhookConfig;
  opsApiToken: string;
  /** Names of inbound secrets generated because the sandbox runs without them (print them to play). */
  generatedSecrets: SecretVariable[];
  solvedAutoCloseAfterMs: number;
  solvedReopenSourceStatus: ReopenSourceStatus;
  /** `RECONCILE_INTERVAL`: how often every open ticket is checked for lost webhooks. */
  reconcileIntervalMs: number;
  /** Files copied between the sides (./attachments.ts). */
  attachments: Required<AttachmentSettings>;
  /** Where attachment downloads may go (./attachments.ts). */
  outbound: OutboundConfig;
  /**
   * `MAPPING_FILE`: source fields → Zendesk fields of new tickets (docs/mapping.md), checked at
   * start-up; null: none (tickets are created exactly as without the feature).
   */
  mapping: TicketMapping | null;
  logLevel: LogLevel;
  /** `LOG_FORMAT`; null: pretty on a terminal, JSON lines otherwise (see src/observability/logger.ts). */
  logFormat: LogFormat | null;
  /** `BODY_LIMIT`: the largest body of the webhook doors and the ops API. */
  bodyLimitBytes: number;
  /** `CODEC_CORS_ORIGIN`: the Temporal UI origin(s) allowed to call the codec server from a browser. */
  codecCorsOrigins: string[];
  /** `METRICS_TOKEN`: a bearer token for `GET /metrics` only (the ops token is accepted too); null: none. */
  metricsToken: string | null;
  /**
   * `TICKET_COUNTS_INTERVAL` (default 60s, `off`): how often the API counts running tickets by
   * status in Temporal visibility for `ticket_bridge_tickets` (src/api/ticket-counts.ts); null: never.
   */
  ticketCountsIntervalMs: number | null;
  /** The API's HTTP server: timeouts, connection cap, body bytes in flight (./api.ts). */
  http: HttpLimits;
  /** Which webhook routes the API mounts: those of the sides that are configured or simulated. */
  webhookRoutes: WebhookRoutes;
}
