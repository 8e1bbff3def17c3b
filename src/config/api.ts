/**
 * The API's HTTP server (src/api): its port, its durable inbox, its tokens and its doors.
 *
 * The doors (issue 23) bound what an unauthenticated caller can hold of the server. Node's
 * defaults (60 s for headers, 5 minutes per request, no connection cap) let a slow client hold
 * a connection for minutes; a body is buffered before its signature can be checked, so the
 * bytes buffered at once across all requests are capped too.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { EnvReader, Unchecked } from './env-reader';
import type { CrmKind } from './freshdesk';
import { inboundSecret, type InboundSecrets } from './inbound-secrets';
import { WHEN_REAL_TICKETS } from './sandbox';
import type { Side } from './sides';
import { byteSize, countUpTo, directory, duration, parseDurationMs, port } from './values';

export interface InboxConfig {
  /** `INBOX_DIR` (default `$DATA_DIR/inbox`): one per API instance, on persistent storage. */
  dir: string;
  /** `INBOX_MAX_ENTRIES`: past this many queued webhooks the API answers 503 again. */
  maxEntries: number;
}

export interface HttpLimits {
  /** `HTTP_HEADERS_TIMEOUT`: the whole request head must arrive within this (default 10 s). */
  headersTimeoutMs: number;
  /** `HTTP_REQUEST_TIMEOUT`: the whole request, body included (default 30 s; at least the headers timeout). */
  requestTimeoutMs: number;
  /** `HTTP_KEEP_ALIVE_TIMEOUT`: how long an idle kept-alive connection stays open (default 5 s). */
  keepAliveTimeoutMs: number;
  /** `HTTP_MAX_CONNECTIONS`: connections beyond this are closed at once (default 1000). */
  maxConnections: number;
  /**
   * `BODY_BYTES_IN_FLIGHT`: webhook body bytes buffered at once across all requests (default
   * 8 MB); a body that does not fit is refused with 503 and `Retry-After` before it is read.
   */
  bodyBytesInFlight: number;
}

/** Which webhook routes the API mounts. `freshdesk`: mounted only with a configured Freshdesk (absent: not mounted). */
export type WebhookRoutes = Record<Side, boolean> & { freshdesk?: boolean };

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1000,
  bodyBytesInFlight: 8 * 1024 ** 2,
};

export const readPort = (r: EnvReader): number | undefined => r.withDefault('PORT', port, '3000');

/** `INBOX_DIR` (under `dataDir` by default), `INBOX_MAX_ENTRIES`. */
export function readInbox(r: EnvReader, dataDir: string | undefined): Unchecked<InboxConfig> {
  return {
    dir: r.withDefault('INBOX_DIR', directory, join(dataDir ?? '.ticket-bridge', 'inbox')),
    maxEntries: r.withDefault('INBOX_MAX_ENTRIES', countUpTo(10_000_000), '100000'),
  };
}

/** `OPS_API_TOKEN`: real tickets reach the ops API as soon as any remote is real. */
export const readOpsApiToken = (secrets: InboundSecrets, realTickets: boolean): string | undefined =>
  secrets.read('OPS_API_TOKEN', realTickets, WHEN_REAL_TICKETS);

/** `BODY_LIMIT`: the largest JSON body of the webhook doors and the ops API (white-label events have their own). */
export const readBodyLimit = (r: EnvReader): number | undefined => r.withDefault('BODY_LIMIT', byteSize, '100kb');

export const DEFAULT_TICKET_COUNTS_INTERVAL = '60s';

/** A duration, or `off` (null). */
const durationOrOff = z.string().transform((text, ctx) => {
  if (text === 'off') return null;
  const ms = parseDurationMs(text);
  if (ms !== null) return ms;
  ctx.addIssue({ code: 'custom', message: 'must be a duration like 60s or 2m, or off' });
  return z.NEVER;
});

/** `TICKET_COUNTS_INTERVAL`: how often the API counts tickets by status for its metrics (./ticket-counts.ts); null: never. */
export const readTicketCountsInterval = (r: EnvReader): number | null | undefined =>
  r.withDefault('TICKET_COUNTS_INTERVAL', durationOrOff, DEFAULT_TICKET_COUNTS_INTERVAL);

/** `METRICS_TOKEN`: a bearer token for `GET /metrics` only (the ops token is accepted too). */
export const readMetricsToken = (r: EnvReader): string | null => r.optional('METRICS_TOKEN', inboundSecret) ?? null;

/** The `HTTP_*` limits and `BODY_BYTES_IN_FLIGHT`, and the webhook routes of the sides configured or simulated. */
export function readHttpDoors(r: EnvReader, configured: readonly Side[], sandbox: boolean, crm: CrmKind): { http: Unchecked<HttpLimits>; webhookRoutes: WebhookRoutes } {
  const d = DEFAULT_HTTP_LIMITS;
  const headersTimeoutMs = r.withDefault('HTTP_HEADERS_TIMEOUT', duration, `${d.headersTimeoutMs}ms`);
  const requestTimeoutMs = r.withDefault('HTTP_REQUEST_TIMEOUT', duration, `${d.requestTimeoutMs}ms`);
  const keepAliveTimeoutMs = r.withDefault('HTTP_KEEP_ALIVE_TIMEOUT', duration, `${d.keepAliveTimeoutMs}ms`);
  const maxConnections = r.withDefault('HTTP_MAX_CONNECTIONS', countUpTo(1_000_000), String(d.maxConnections));
  const bodyBytesInFlight = r.withDefault('BODY_BYTES_IN_FLIGHT', byteSize, String(d.bodyBytesInFlight));
  // Node refuses a headers timeout longer than the request's: say so here, naming the variable.
  if (headersTimeoutMs !== undefined && requestTimeoutMs !== undefined && headersTimeoutMs > requestTimeoutMs) {
    r.issues.push({ variable: 'HTTP_HEADERS_TIMEOUT', message: 'must not be longer than HTTP_REQUEST_TIMEOUT (the headers are part of the request)' });
  }
  const mounted = (side: Side) => sandbox || configured.includes(side);
  const http = { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections, bodyBytesInFlight };
  const webhookRoutes = { connect: mounted('connect'), zendesk: crm === 'zendesk' && mounted('zendesk'), whitelabel: mounted('whitelabel'), freshdesk: crm === 'freshdesk' && (sandbox || r.isSet('FRESHDESK_URL')) };
  return { http, webhookRoutes };
}

/** A body of the largest accepted size must fit in the budget, or it would be refused for ever. */
export function requireBodiesFitBudget(
  r: EnvReader,
  config: { bodyLimitBytes: number | undefined; whitelabelWebhook: { bodyLimitBytes: number | undefined }; http: Unchecked<HttpLimits> },
): void {
  const budget = config.http.bodyBytesInFlight;
  if (budget === undefined) return;
  const limits = { BODY_LIMIT: config.bodyLimitBytes, WHITELABEL_BODY_LIMIT: config.whitelabelWebhook.bodyLimitBytes };
  for (const [variable, bytes] of Object.entries(limits)) {
    if (bytes !== undefined && bytes > budget) r.issues.push({ variable: 'BODY_BYTES_IN_FLIGHT', message: `must be at least ${variable} (a body of that size must fit)` });
  }
}
