/**
 * What every router of the HTTP API is built from. Kept apart from `app.ts` so routers and the
 * app factory can both import it without a cycle.
 */
import type { Router } from 'express';
import type { Config } from '../config';
import type { Logger } from '../observability/logger';
import type { TicketWorkflowGateway } from './gateway';

/** The part of the configuration the API reads (tests build it without an environment). */
export type ApiConfig = Pick<Config, 'connectWebhookToken' | 'zendeskWebhookSecret' | 'opsApiToken' | 'bodyLimitBytes'>;

export interface AppDeps {
  config: ApiConfig;
  gateway: TicketWorkflowGateway;
  logger: Logger;
}

/** One router per concern (a webhook, the ops API, health); `createApp` mounts a list of them. */
export type RouterFactory = (deps: AppDeps) => Router;
