export { ConnectSimulator } from './connect-simulator';
export type { ConnectFile, ConnectSimulatorOptions, ConnectWebhook } from './connect-simulator';
export type { ConnectCommentRecord, ConnectStatus, ConnectTicketRecord, NewConnectTicket } from './store';
export { connectSnapshotSchema } from './snapshot';
export type { ConnectSnapshot } from './snapshot';
