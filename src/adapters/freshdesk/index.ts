export { FreshdeskCrm } from './freshdesk-crm';
export type { FreshdeskCrmOptions } from './freshdesk-crm';
export { parseFreshdeskStatusMap, type FreshdeskStatusMap } from './statuses';
