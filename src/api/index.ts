/** The HTTP API's public surface, for the runner (`npm run api`, `npm start`) and tests. */
export { API_ROUTERS, createApp } from './app';
export type { ApiConfig, AppDeps, RouterFactory } from './deps';
export { TemporalUnavailableError } from './gateway';
export type { CrmNotifyResult, SourceNotifyResult, TicketWorkflowGateway } from './gateway';
export { openWebhookInbox, queueWhenUnavailable, type RunningWebhookInbox, type WebhookInbox } from './inbox';
export { createTemporalGateway, type TemporalGatewayOptions, workflowSettingsFrom } from './temporal-gateway';
