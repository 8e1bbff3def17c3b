export { ZendeskCrm } from './zendesk-crm';
export type { ZendeskCrmOptions } from './zendesk-crm';
