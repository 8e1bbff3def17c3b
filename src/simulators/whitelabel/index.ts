export { WhitelabelSimulator } from './whitelabel-simulator';
export type { EventOrder, WhitelabelSimulatorOptions } from './whitelabel-simulator';
export { buildEvent, newEventId } from './events';
export type { WhitelabelEventPayload, WhitelabelEventType } from './events';
export { SEED_EVENTS, SEED_TICKET_ASSIGNED, SEED_TICKET_CREATED, SEED_TICKET_RESOLVED, SEED_TICKET_UPDATED } from './seed-events';
export { signatureHeaderValue, signedHeaders } from './signing';
export type { SigningOptions, SigningRecipe } from './signing';
export type { NewWhitelabelTicket, WhitelabelClientRecord, WhitelabelReplyRecord, WhitelabelTicketRecord } from './store';
