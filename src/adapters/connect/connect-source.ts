import type { TicketStatus } from '../../domain/ticket';
import type { SourceFiles } from '../../ports/attachments';
import { ConnectAttachments, connectAttachmentName } from './attachments';
import { HttpClient, type HttpClientOptions } from '../http';
import type { DownloadPolicyOptions } from '../http/outbound-policy';
import { RestTicketSource } from '../rest-ticket-source';
import { toSourceFields, toSourceTicket } from './mapping';
import { connectCommentSchema, connectTicketSchema } from './schemas';

export interface ConnectSourceOptions {
  /** e.g. 'https://connect.clever.gy' (the simulator: its `url`). */
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  /** Where its attachment downloads may go beyond its own host. */
  downloads?: DownloadPolicyOptions;
  fetch?: HttpClientOptions['fetch'];
}

/** The Connect API as a `TicketSourcePort` (connect-tickets-api.md). */
export class ConnectSource extends RestTicketSource<typeof connectTicketSchema> {
  readonly kind = 'connect' as const;
  /** Comments' attachment URLs downloaded; a comment's files uploaded through its signed upload URLs. */
  readonly files: SourceFiles;

  constructor(options: ConnectSourceOptions) {
    super(
      new HttpClient({
        service: 'connect',
        baseUrl: options.baseUrl,
        headers: { 'clevergy-api-key': options.apiKey },
        timeoutMs: options.timeoutMs,
        fetch: options.fetch,
      }),
      connectTicketSchema,
      toSourceTicket,
      toSourceFields,
    );
    const attachments = new ConnectAttachments({ baseUrl: options.baseUrl, apiKey: options.apiKey, downloads: options.downloads, fetch: options.fetch });
    this.files = { from: attachments, sinkFor: (commentId) => attachments.sink(commentId), nameOf: connectAttachmentName };
  }

  protected async createSupportComment(ticketId: string, body: string): Promise<string> {
    const res = await this.http.request('POST /tickets/{id}/comment', connectCommentSchema, {
      params: { id: ticketId },
      body: { message: body },
    });
    return res.data.id;
  }

  async setStatus(ticketId: string, status: TicketStatus): Promise<void> {
    await this.http.request('PUT /tickets/{id}', connectTicketSchema, { params: { id: ticketId }, body: { status } });
  }
}
