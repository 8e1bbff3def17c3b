/**
 * Prometheus metrics of the HTTP API, served at `GET /metrics` (text exposition format):
 *
 *  - `ticket_bridge_webhooks_total{source, outcome}` — every webhook request by sender
 *    (`connect`, `zendesk`, `whitelabel`) and outcome: `accepted` (Temporal has it), `queued`
 *    (Temporal unreachable, kept in the inbox for later delivery: 202), `ignored` (authentic,
 *    nothing to do), `unauthorized`, `invalid` (bad body / size / media type), `unavailable`
 *    (neither Temporal nor the inbox took it: 503, the sender retries), `error` (a bug: 500).
 *  - `ticket_bridge_inbox_entries`, `ticket_bridge_inbox_oldest_entry_age_seconds`,
 *    `ticket_bridge_inbox_unreadable_entries`, `ticket_bridge_inbox_delivered_total` — the
 *    inbox (src/api/inbox): webhooks waiting for Temporal, how long the oldest has waited,
 *    entries set aside because they cannot be read back, and entries delivered from it.
 *  - `ticket_bridge_http_request_duration_seconds{method, route, status}` — latency histogram
 *    by route *template* (`/tickets/:source/:ticketId`), so ids never become label values.
 *  - `ticket_bridge_temporal_call_errors_total{operation, reason}` — failed Temporal calls of the
 *    API: `operation="signalWithStart"` is a webhook Temporal did not take directly (then queued
 *    in the inbox, or refused); `reason` is
 *    `unavailable` (unreachable, deadline) or `error` (anything unexpected).
 *  - `ticket_bridge_tickets{status}` — running ticket workflows by `TicketStatus`, refreshed every
 *    `TICKET_COUNTS_INTERVAL` from Temporal visibility (./ticket-counts.ts); no series when that
 *    is off, and the last value stays when a count fails (counted as a Temporal call error,
 *    `operation="count"`).
 *  - the Node.js process metrics of prom-client (`process_*`, `nodejs_*`) in the running bridge.
 *
 * Access: `Authorization: Bearer <METRICS_TOKEN>` when that variable is set, so a scraper gets a
 * token that can read metrics and nothing else; the ops token (`OPS_API_TOKEN`) is accepted too.
 * The worker's own metrics (the Temporal SDK's) are served on a separate port: see
 * src/observability/temporal-runtime.ts (`WORKER_METRICS_ADDRESS`).
 */
import { type RequestHandler, Router } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { bearerToken, safeEqual } from './auth';
import { ageSeconds, type InboxStats } from './inbox/store';
import type { Config } from '../config';
import type { TicketStatus } from '../domain/ticket';
import { sendError } from './errors';
import { getLogFields } from './request-log';

export const METRICS_PATH = '/metrics';

export const WEBHOOK_SOURCES = ['connect', 'zendesk', 'whitelabel'] as const;
export const WEBHOOK_OUTCOMES = ['accepted', 'queued', 'ignored', 'unauthorized', 'invalid', 'unavailable', 'error'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

export interface ApiMetrics {
  readonly registry: Registry;
  /** For `createTemporalGateway({ onCallError })`. */
  temporalCallError(operation: string, reason: 'unavailable' | 'error'): void;
  /** The inbox gauges read these stats at each scrape (they stay 0 without an inbox). */
  observeInbox(stats: () => InboxStats): void;
  /** For the inbox drainer: one queued webhook delivered to Temporal. */
  inboxDelivered(): void;
  /** For the ticket counter (./ticket-counts.ts): `count` running tickets are in `status`. */
  ticketsCounted(status: TicketStatus, count: number): void;
}

interface Instruments extends ApiMetrics {
  webhooks: Counter<'source' | 'outcome'>;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
}

const instruments = new WeakMap<ApiMetrics, Instruments>();

export interface ApiMetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, GC). On in the running bridge, off in tests by default. */
  processMetrics?: boolean;
}

export function createApiMetrics(options: ApiMetricsOptions = {}): ApiMetrics {
  const registry = new Registry();
  const webhooks = new Counter({
    name: 'ticket_bridge_webhooks_total',
    help: 'Webhook requests by sender and outcome (accepted, ignored, unauthorized, invalid, unavailable, error).',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  // Every series exists from the start: a dashboard's rate() sees 0, not "no data".
  for (const source of WEBHOOK_SOURCES) for (const outcome of WEBHOOK_OUTCOMES) webhooks.labels(source, outcome).inc(0);
  const requestDuration = new Histogram({
    name: 'ticket_bridge_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const temporalCallErrors = new Counter({
    name: 'ticket_bridge_temporal_call_errors_total',
    help: 'Failed Temporal calls of the API by operation (signalWithStart, signal, query, list, describe, update:*) and reason (unavailable, error).',
    labelNames: ['operation', 'reason'] as const,
    registers: [registry],
  });
  temporalCallErrors.labels('signalWithStart', 'unavailable').inc(0);
  temporalCallErrors.labels('signalWithStart', 'error').inc(0);

  // The inbox: read at scrape time from its in-memory index (no disk access).
  let inboxStats: () => InboxStats | null = () => null;
  new Gauge({
    name: 'ticket_bridge_inbox_entries',
    help: 'Webhooks queued in the API inbox because Temporal could not take them, waiting for delivery.',
    registers: [registry],
    collect() {
      this.set(inboxStats()?.entries ?? 0);
    },
  });
  new Gauge({
    name: 'ticket_bridge_inbox_oldest_entry_age_seconds',
    help: 'How long the oldest webhook in the API inbox has waited for Temporal (0 when the inbox is empty).',
    registers: [registry],
    collect() {
      this.set(ageSeconds(inboxStats()?.oldestReceivedAtMs ?? null) ?? 0);
    },
  });
  new Gauge({
    name: 'ticket_bridge_inbox_unreadable_entries',
    help: 'Inbox entries set aside because they cannot be read back (corrupt, or a payload key missing); kept as *.unreadable.',
    registers: [registry],
    collect() {
      this.set(inboxStats()?.unreadable ?? 0);
    },
  });
  const inboxDelivered = new Counter({
    name: 'ticket_bridge_inbox_delivered_total',
    help: 'Queued webhooks the inbox delivered to Temporal.',
    registers: [registry],
  });
  // No series until a count succeeds: absent means counting is off (or Temporal never answered).
  const tickets = new Gauge({
    name: 'ticket_bridge_tickets',
    help: 'Running ticket workflows by TicketStatus, as Temporal visibility last counted them (TICKET_COUNTS_INTERVAL).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const metrics: Instruments = {
    registry,
    webhooks,
    requestDuration,
    temporalCallError: (operation, reason) => temporalCallErrors.labels(operation, reason).inc(),
    observeInbox: (stats) => {
      inboxStats = stats;
    },
    inboxDelivered: () => inboxDelivered.inc(),
    ticketsCounted: (status, count) => tickets.labels(status).set(count),
  };
  instruments.set(metrics, metrics);
  return metrics;
}

/** The webhook outcome a finished request stands for. */
export function webhookOutcome(status: number, loggedOutcome: string | undefined): WebhookOutcome {
  if (status >= 200 && status < 300) return loggedOutcome === 'ignored' || loggedOutcome === 'queued' ? loggedOutcome : 'accepted';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'invalid';
  return 'error';
}

function routeTemplate(route: unknown): string {
  const path = (route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(String).join('|');
  // Unknown paths share one label: a scanner must not create a series per URL it tries.
  return '(unmatched)';
}

/** App-level middleware: times every request and counts webhooks by outcome, when the response is sent. */
export function requestMetrics(metrics: ApiMetrics): RequestHandler {
  const m = instruments.get(metrics);
  if (!m) throw new TypeError('requestMetrics needs metrics from createApiMetrics()');
  return (req, res, next) => {
    const stop = m.requestDuration.startTimer();
    res.on('finish', () => {
      const route = routeTemplate(req.route);
      stop({ method: req.method, route, status: String(res.statusCode) });
      const webhook = /^\/webhooks\/([a-z]+)$/.exec(route);
      if (webhook) m.webhooks.labels(webhook[1]!, webhookOutcome(res.statusCode, getLogFields(res).outcome)).inc();
    });
    next();
  };
}

/** Bearer auth accepting any of `tokens` (each compared in constant time). */
function requireAnyBearer(tokens: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const provided = bearerToken(req.headers.authorization);
    // Compare with every token, not just until the first match: the timing says nothing about which.
    const matches = provided === null ? [] : tokens.filter((token) => safeEqual(provided, token));
    if (matches.length > 0) return next();
    res.setHeader('WWW-Authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized');
  };
}

/** What the route needs of the app's dependencies (`AppDeps`, ./deps.ts, which holds the metrics). */
export interface MetricsRouterDeps {
  config: Pick<Config, 'opsApiToken'> & Partial<Pick<Config, 'metricsToken'>>;
  metrics?: ApiMetrics;
}

export function metricsRouter({ config, metrics }: MetricsRouterDeps): Router {
  if (!metrics) throw new TypeError('metricsRouter needs deps.metrics (createApp provides it)');
  const router = Router();
  const tokens = [config.opsApiToken, ...(config.metricsToken ? [config.metricsToken] : [])];
  router.get(METRICS_PATH, requireAnyBearer(tokens), async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(await metrics.registry.metrics());
  });
  return router;
}
