export * from './connect';
export * from './zendesk';
export type { FaultHandle, FaultKind, FaultSpec } from './common/faults';
export type { RequestLogEntry } from './common/sim-server';
export type { DeliveryOptions, WebhookDelivery } from './common/webhooks';
export * from './freshdesk';
