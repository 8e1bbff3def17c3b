/**
 * The HTTP API: one router per concern, composed here around shared request logging and JSON
 * error handling. A new webhook is one more `RouterFactory` in `API_ROUTERS`.
 */
import express, { type Express } from 'express';
import { DEFAULT_HTTP_LIMITS } from '../config/api';
import { BodyBudget } from './body-budget';
import { requireHostHeader } from './client-error';
import { codecRouter } from './codec/router';
import type { AppDeps, RouterFactory } from './deps';
import { errorHandler, notFoundHandler } from './errors';
import { healthRouter } from './health';
import { methodNotAllowed } from './method-not-allowed';
import { queueWhenUnavailable } from './inbox';
import { createApiMetrics, metricsRouter, requestMetrics } from './metrics';
import { openApiRouter } from './docs/openapi';
import { opsRouter } from './ops/router';
import { requestLogger } from './request-log';
import { connectWebhookRouter } from './webhooks/connect';
import { whitelabelWebhookFromConfig } from './webhooks/whitelabel';
import { freshdeskWebhookRouter } from './webhooks/freshdesk';
import { zendeskWebhookRouter } from './webhooks/zendesk';

export type { AppDeps, ApiConfig, RouterDeps, RouterFactory } from './deps';

/** Mounted at the root in this order; each router declares full paths (the logs use them). */
export const API_ROUTERS: readonly RouterFactory[] = [
  healthRouter,
  connectWebhookRouter,
  zendeskWebhookRouter,
  freshdeskWebhookRouter,
  whitelabelWebhookFromConfig,
  opsRouter,
  codecRouter,
  metricsRouter,
  openApiRouter,
];

export function createApp(deps: AppDeps, routers: readonly RouterFactory[] = API_ROUTERS): Express {
  const app = express();
  app.disable('x-powered-by');
  // Bodies are parsed per route (JSON for Connect, raw bytes for signed webhooks), each after
  // what its authentication can check without the body, never inflated, within the route's
  // limit and the app's budget of body bytes in flight (see webhooks/door.ts).
  app.use(requestLogger(deps.logger));
  const metrics = deps.metrics ?? createApiMetrics();
  const { inbox } = deps;
  if (inbox) metrics.observeInbox(() => inbox.stats());
  const gateway = inbox ? queueWhenUnavailable(deps.gateway, inbox, deps.logger) : deps.gateway;
  app.use(requestMetrics(metrics));
  app.use(requireHostHeader);
  const bodyBudget = new BodyBudget((deps.config.http ?? DEFAULT_HTTP_LIMITS).bodyBytesInFlight);
  for (const factory of routers) app.use(factory({ ...deps, gateway, metrics, bodyBudget }));
  app.use(methodNotAllowed(app));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
