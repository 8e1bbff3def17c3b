/** Shared fixtures for the API tests: a real HTTP server on loopback, a fake gateway, log capture. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp, type AppDeps, type ApiConfig, type RouterFactory } from '../../src/api/app';
import {
  type CrmNotifyResult,
  type SourceNotifyResult,
  type TicketDetails,
  type TicketListFilter,
  type TicketPage,
  type TicketUpdate,
  type TicketUpdateResult,
  type TicketWorkflowGateway,
} from '../../src/api/gateway';
import type { SourceKind } from '../../src/domain/ticket';
import type { CrmNotification, SourceNotification, TicketStateView } from '../../src/workflows/definitions';
import { createLogger, type Logger } from '../../src/observability/logger';
import { zendeskSignature } from '../../src/api/auth';
import type { WebhookInbox } from '../../src/api/inbox';

export const CONNECT_TOKEN = 'connect-token-0123456789abcdef';
export const ZENDESK_SECRET = 'zendesk-secret-0123456789abcdef';
export const OPS_TOKEN = 'ops-token-0123456789abcdef';
export const WHITELABEL_SECRET = 'whitelabel-secret-0123456789abcdef';
/** The codec server's own token (CODEC_AUTH_TOKEN): without one, `/codec/*` is not mounted. */
export const CODEC_TOKEN = 'codec-token-0123456789abcdef';

export const FRESHDESK_TOKEN = 'freshdesk-webhook-token-0123';

export const testConfig: ApiConfig = {
  connectWebhookToken: CONNECT_TOKEN,
  zendeskWebhookSecret: ZENDESK_SECRET,
  whitelabelWebhookSecret: WHITELABEL_SECRET,
  whitelabelWebhook: { signatureHeader: 'X-Whitelabel-Signature', signedPayload: 'timestamp.body', bodyLimitBytes: 4096 },
  opsApiToken: OPS_TOKEN,
  codecAuthToken: CODEC_TOKEN,
  bodyLimitBytes: 1024,
  webhookRoutes: { connect: true, zendesk: true, whitelabel: true, freshdesk: true },
  freshdeskWebhookToken: FRESHDESK_TOKEN,
};

/** Every line the logger wrote, raw and parsed. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: Logger = createLogger({ level: 'trace', destination: { write: (line: string) => void this.lines.push(line) } });
  get text(): string {
    return this.lines.join('');
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  requestLines(): Array<Record<string, unknown>> {
    return this.records().filter((r) => r.msg === 'request');
  }
}

type Handler<A extends unknown[], R> = (...args: A) => Promise<R>;

/** A gateway that records calls; each behaviour can be replaced per test. */
export class FakeGateway implements TicketWorkflowGateway {
  readonly sourceCalls: Array<{ source: SourceKind; id: string; notification: SourceNotification }> = [];
  readonly crmCalls: Array<{ notification: CrmNotification; externalId: string | null }> = [];

  onNotifySource: Handler<[SourceKind, string], SourceNotifyResult> = async (source, id) => ({
    outcome: 'signalled',
    workflowId: `ticket/${source}/${id}`,
  });
  onNotifyCrm: Handler<[CrmNotification, string | null], CrmNotifyResult> = async () => ({ outcome: 'ignored', reason: 'no-workflow' });
  onReady: Handler<[], void> = async () => undefined;
  readonly listCalls: TicketListFilter[] = [];
  readonly describeCalls: Array<{ source: SourceKind; id: string }> = [];
  readonly updateCalls: Array<{ source: SourceKind; id: string; update: TicketUpdate; updateId?: string }> = [];
  onListTickets: Handler<[TicketListFilter], TicketPage> = async () => ({ tickets: [], nextPageToken: null });
  onDescribeTicket: Handler<[SourceKind, string], TicketDetails | null> = async () => null;
  onUpdateTicket: Handler<[SourceKind, string, TicketUpdate], TicketUpdateResult> = async (source, id) => ({
    outcome: 'not_found',
    workflowId: `ticket/${source}/${id}`,
  });

  notifySource(source: SourceKind, id: string, notification: SourceNotification): Promise<SourceNotifyResult> {
    this.sourceCalls.push({ source, id, notification });
    return this.onNotifySource(source, id);
  }
  notifyCrm(notification: CrmNotification, externalId: string | null): Promise<CrmNotifyResult> {
    this.crmCalls.push({ notification, externalId });
    return this.onNotifyCrm(notification, externalId);
  }
  ready(): Promise<void> {
    return this.onReady();
  }
  listTickets(filter: TicketListFilter): Promise<TicketPage> {
    this.listCalls.push(filter);
    return this.onListTickets(filter);
  }
  describeTicket(source: SourceKind, id: string): Promise<TicketDetails | null> {
    this.describeCalls.push({ source, id });
    return this.onDescribeTicket(source, id);
  }
  updateTicket(source: SourceKind, id: string, update: TicketUpdate, options: { updateId?: string } = {}): Promise<TicketUpdateResult> {
    this.updateCalls.push({ source, id, update, ...(options.updateId && { updateId: options.updateId }) });
    return this.onUpdateTicket(source, id, update);
  }
}

export interface RunningApi {
  url: string;
  gateway: TicketWorkflowGateway;
  logs: LogCapture;
  close(): Promise<void>;
}

/** Start the real app on 127.0.0.1:<random>. */
export async function startApi(options: {
  gateway: TicketWorkflowGateway;
  config?: Partial<ApiConfig>;
  routers?: readonly RouterFactory[];
  /** The durable inbox (src/api/inbox): webhooks Temporal cannot take are queued there. */
  inbox?: WebhookInbox;
  /** Share a log capture with, e.g., the inbox's drainer. */
  logs?: LogCapture;
  /** The docs of routers beyond `API_ROUTERS` (the sandbox's), for `/openapi.json`. */
  extraRouteDocs?: AppDeps['extraRouteDocs'];
}): Promise<RunningApi> {
  const logs = options.logs ?? new LogCapture();
  const app = createApp(
    {
      config: { ...testConfig, ...options.config },
      gateway: options.gateway,
      logger: logs.logger,
      inbox: options.inbox,
      extraRouteDocs: options.extraRouteDocs,
    },
    options.routers,
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    gateway: options.gateway,
    logs,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** POST a JSON (or raw) body. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Headers Zendesk would send for these exact body bytes. */
export function zendeskHeaders(rawBody: string | Buffer, options: { secret?: string; timestamp?: string } = {}): Record<string, string> {
  const timestamp = options.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const bytes = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8');
  return {
    'content-type': 'application/json',
    'x-zendesk-webhook-signature': zendeskSignature(options.secret ?? ZENDESK_SECRET, timestamp, bytes),
    'x-zendesk-webhook-signature-timestamp': timestamp,
  };
}

export const sampleState: TicketStateView = {
  source: 'connect',
  sourceTicketId: '42',
  status: 'OPEN',
  sourceStatus: 'OPEN',
  crmStatus: 'open',
  crmTicketId: '35436',
  lastSyncAt: '2026-01-01T00:00:00.000Z',
  solvedTimerDeadline: null,
  lastError: null,
  counts: {
    notifications: 2,
    syncs: 2,
    userCommentsToCrm: 1,
    agentRepliesToSource: 0,
    statusChangesToCrm: 0,
    statusChangesToSource: 0,
  },
  parked: [],
  notes: [],
  timeline: [
    { at: '2026-01-01T00:00:00.000Z', kind: 'received', detail: 'source created' },
    { at: '2026-01-01T00:00:01.000Z', kind: 'synced', detail: 'zendesk ticket created' },
  ],
  fingerprints: { source: null, crm: null },
  completed: false,
};

/** What `GET /tickets/connect/42` answers for `sampleState`: one activity retrying against a failing Zendesk. */
export const sampleDetails: TicketDetails = {
  workflowId: 'ticket/connect/42',
  source: 'connect',
  sourceTicketId: '42',
  execution: {
    runId: '0f1e2d3c-0000-4000-8000-000000000042',
    status: 'RUNNING',
    startTime: '2026-01-01T00:00:00.000Z',
    closeTime: null,
    historyLength: 42,
    taskQueue: 'ticket-bridge',
  },
  state: sampleState,
  deletedByUser: false,
  stateError: null,
  pendingActivities: [
    {
      activityId: '7',
      activityType: 'addCrmComment',
      state: 'SCHEDULED',
      attempt: 4,
      maximumAttempts: null,
      scheduledTime: '2026-01-01T00:01:00.000Z',
      lastStartedTime: '2026-01-01T00:00:50.000Z',
      lastHeartbeatTime: null,
      nextAttemptScheduleTime: '2026-01-01T00:01:00.000Z',
      expirationTime: null,
      lastFailure: { type: 'server-error', message: 'zendesk POST /tickets/{id} answered 503', nonRetryable: false },
      lastWorkerIdentity: '4242@worker-1',
    },
  ],
};
