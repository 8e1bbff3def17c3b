export { FreshdeskSimulator } from './freshdesk-simulator';
export type { FreshdeskSimulatorOptions, FreshdeskWebhookBody } from './freshdesk-simulator';
export type { FdConversation, FdTicket, FdUser, NewFile } from './store';
export { freshdeskSnapshotSchema } from './snapshot';
export type { FreshdeskSnapshot } from './snapshot';
