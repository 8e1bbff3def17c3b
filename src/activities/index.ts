export { createActivities } from './create-activities';
export type { ActivityDeps } from './create-activities';
export { toActivityFailure } from './failures';
export { NON_RETRYABLE_FAILURE_TYPES, TICKET_ACTIVITY_OPTIONS, TICKET_ACTIVITY_RETRY_POLICY } from './retry-policy';
export type { TicketActivities } from './types';
