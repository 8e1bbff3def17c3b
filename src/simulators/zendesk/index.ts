export { ZendeskSimulator } from './zendesk-simulator';
export type { ZdAttachmentView, ZdCommentView, ZdFile, ZendeskSimulatorOptions } from './zendesk-simulator';
export { zendeskSignature } from './events';
export type { ZendeskEventType, ZendeskTicketDetail, ZendeskWebhookEvent } from './events';
export { ZendeskRuleError } from './store';
export type { ZdAttachment, ZdComment, ZdStatus, ZdTicket, ZdUser } from './store';
export { zendeskSnapshotSchema } from './snapshot';
export type { ZendeskSnapshot } from './snapshot';
