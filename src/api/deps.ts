/**
 * What every router of the HTTP API is built from. Kept apart from `app.ts` so routers and the
 * app factory can both import it without a cycle.
 */
import type { Router } from 'express';
import type { Config } from '../config';
import type { BodyBudget } from './body-budget';
import type { Logger } from '../observability/logger';
import type { TicketWorkflowGateway } from './gateway';
import type { WebhookInbox } from './inbox';
import type { ApiMetrics } from './metrics';
import type { RouteDoc } from './docs/route-doc';

/** The part of the configuration the API reads (tests build it without an environment). */
export type ApiConfig = Pick<
  Config,
  | 'connectWebhookToken'
  | 'zendeskWebhookSecret'
  | 'whitelabelWebhookSecret'
  | 'whitelabelWebhook'
  | 'opsApiToken'
  | 'bodyLimitBytes'
  /** Which webhook routes exist: a side neither configured nor simulated has none (404). */
  | 'webhookRoutes'
> &
  /** Timeouts, connection cap, body bytes in flight; `DEFAULT_HTTP_LIMITS` when absent. */
  Partial<Pick<Config, 'http'>> &
  /**
   * The codec server (`/codec/*`). Optional so tests can leave it out: without `codecAuthToken`
   * the codec routes are not mounted (never the ops token), nor with `codecListen` (they are
   * served there, see `startCodecServer`); no encryption means they pass payloads through;
   * without origins no browser may call them.
   */
  Partial<Pick<Config, 'payloadEncryption' | 'codecAuthToken' | 'codecCorsOrigins' | 'codecListen'>> &
  /** `METRICS_TOKEN`: a bearer token that reads `/metrics` only (the ops token works too). */
  Partial<Pick<Config, 'metricsToken'>> &
  /** `TICKET_COUNTS_INTERVAL`: absent or null, tickets are not counted (`startApiHalf`). */
  Partial<Pick<Config, 'ticketCountsIntervalMs'>> &
  /** `FRESHDESK_WEBHOOK_TOKEN`: with `webhookRoutes.freshdesk`, the Freshdesk door is mounted. `CRM`: named to operators. */
  Partial<Pick<Config, 'freshdeskWebhookToken' | 'crm'>>;

export interface AppDeps {
  config: ApiConfig;
  gateway: TicketWorkflowGateway;
  logger: Logger;
  /** The API's Prometheus metrics (`/metrics`); `createApp` creates them when not given. */
  metrics?: ApiMetrics;
  /**
   * The durable inbox (src/api/inbox): with it, `createApp` gives the webhook routes a gateway
   * that queues what Temporal cannot take (202 `queued`) instead of answering 503, and health
   * and metrics show its depth. Without it (tests of other concerns), a Temporal outage is a 503.
   */
  inbox?: WebhookInbox;
  /** Routes mounted beyond `API_ROUTERS` (the sandbox's), for `/openapi.json`. */
  extraRouteDocs?: readonly RouteDoc[];
}

/** What `createApp` gives each router: the app's dependencies and what it shares between routes. */
export interface RouterDeps extends AppDeps {
  /** Body bytes in flight across all requests (`BODY_BYTES_IN_FLIGHT`): one per app. */
  bodyBudget: BodyBudget;
}

/** One router per concern (a webhook, the ops API, health); `createApp` mounts a list of them. */
export type RouterFactory = (deps: RouterDeps) => Router;
