/** Fixtures for the white-label tests: the real app on loopback with only this router, a recording gateway. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type ApiConfig } from '../../src/api/app';
import type { CrmNotifyResult, SourceNotifyResult, TicketDetails, TicketPage, TicketUpdateResult, TicketWorkflowGateway } from '../../src/api/gateway';
import { whitelabelWebhookRouter, type WhitelabelWebhookSettings } from '../../src/api/webhooks/whitelabel';
import type { SourceKind } from '../../src/domain/ticket';
import type { WebhookInbox } from '../../src/api/inbox';
import { createLogger, type Logger } from '../../src/observability/logger';
import type { CrmNotification, SourceNotification } from '../../src/workflows/definitions';

export const WL_SECRET = 'whitelabel-secret-0123456789abcdef';

const apiConfig: ApiConfig = {
  connectWebhookToken: 'unused-connect-token-0123456789',
  zendeskWebhookSecret: 'unused-zendesk-secret-0123456789',
  // The router under test gets its settings explicitly (startBridge), not from these two.
  whitelabelWebhookSecret: 'unused-whitelabel-secret-0123456789',
  whitelabelWebhook: { signatureHeader: 'X-Unused-Signature', signedPayload: 'timestamp.body', bodyLimitBytes: 16 * 1024 },
  opsApiToken: 'unused-ops-token-0123456789',
  bodyLimitBytes: 16 * 1024,
  webhookRoutes: { connect: true, zendesk: true, whitelabel: true },
};

/** Records every call; `notifySource` answers `onNotifySource`, replaceable per test. */
export class RecordingGateway implements TicketWorkflowGateway {
  readonly sourceCalls: Array<{ source: SourceKind; id: string; notification: SourceNotification }> = [];
  readonly otherCalls: string[] = [];
  onNotifySource: (source: SourceKind, id: string) => Promise<SourceNotifyResult> = async (source, id) => ({
    outcome: 'signalled',
    workflowId: `ticket/${source}/${id}`,
  });

  notifySource(source: SourceKind, id: string, notification: SourceNotification): Promise<SourceNotifyResult> {
    this.sourceCalls.push({ source, id, notification });
    return this.onNotifySource(source, id);
  }
  async notifyCrm(_n: CrmNotification, _e: string | null): Promise<CrmNotifyResult> {
    this.otherCalls.push('notifyCrm');
    return { outcome: 'ignored', reason: 'no-workflow' };
  }
  async ready(): Promise<void> {
    this.otherCalls.push('ready');
  }
  async listTickets(): Promise<TicketPage> {
    this.otherCalls.push('listTickets');
    return { tickets: [], nextPageToken: null };
  }
  async describeTicket(): Promise<TicketDetails | null> {
    this.otherCalls.push('describeTicket');
    return null;
  }
  async updateTicket(_s: SourceKind, id: string): Promise<TicketUpdateResult> {
    this.otherCalls.push('updateTicket');
    return { outcome: 'not_found', workflowId: `ticket/whitelabel/${id}` };
  }
}

export interface RunningBridge {
  url: string;
  webhookUrl: string;
  /** Every log line written while it ran. */
  logText(): string;
  close(): Promise<void>;
}

export async function startBridge(
  gateway: TicketWorkflowGateway,
  settings: Partial<WhitelabelWebhookSettings> = {},
  config: Partial<ApiConfig> = {},
  /** The API's durable inbox, given the bridge's logger (so its lines are in `logText()`). */
  inbox?: (logger: Logger) => Promise<WebhookInbox>,
): Promise<RunningBridge> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
  const router = whitelabelWebhookRouter({ secret: WL_SECRET, ...settings });
  const app = createApp({ config: { ...apiConfig, ...config }, gateway, logger, inbox: await inbox?.(logger) }, [router]);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    webhookUrl: `${url}/webhooks/whitelabel`,
    logText: () => lines.join(''),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
