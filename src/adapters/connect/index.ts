export { ConnectSource } from './connect-source';
export type { ConnectSourceOptions } from './connect-source';
export { connectCommentSchema, connectTicketSchema } from './schemas';
export type { ConnectComment, ConnectTicket } from './schemas';
