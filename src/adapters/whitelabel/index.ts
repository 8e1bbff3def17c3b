export { assigneeResolver, whitelabelAssigneesSchema } from './assignees';
export type { AssigneeMap, AssigneeResolution } from './assignees';
export { deriveStatus, toSourceTicket } from './mapping';
export { WHITELABEL_EVENT_TYPES, whitelabelEventSchema, whitelabelReplySchema, whitelabelTicketSchema } from './schemas';
export type { WhitelabelEvent, WhitelabelEventType, WhitelabelReply, WhitelabelTicket } from './schemas';
export { WhitelabelSource } from './whitelabel-source';
export type { WhitelabelSourceOptions } from './whitelabel-source';
