import type { TicketStatus } from '../../domain/ticket';
import type { SourceFiles } from '../../ports/attachments';
import { whitelabelFiles } from './attachments';
import { HttpClient, type HttpClientOptions } from '../http';
import type { DownloadPolicyOptions } from '../http/outbound-policy';
import { RestTicketSource } from '../rest-ticket-source';
import { toSourceFields, toSourceTicket } from './mapping';
import { whitelabelReplySchema, whitelabelTicketSchema } from './schemas';

export interface WhitelabelSourceOptions {
  /** `WHITELABEL_API_URL`, e.g. 'https://api.example.com/v1' (the simulator: its `url`). */
  baseUrl: string;
  /** `WHITELABEL_API_KEY`, sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  timeoutMs?: number;
  /** Where its asset downloads may go beyond its own host. */
  downloads?: DownloadPolicyOptions;
  fetch?: HttpClientOptions['fetch'];
}

/**
 * The white-label platform as a `TicketSourcePort`. Its REST API is not documented by the seed;
 * the three calls made here are listed in ./README.md and implemented by the simulator.
 */
export class WhitelabelSource extends RestTicketSource<typeof whitelabelTicketSchema> {
  readonly kind = 'whitelabel' as const;
  /** Its replies' `assets` downloaded; it takes no files from the bridge. */
  readonly files: SourceFiles;

  constructor(options: WhitelabelSourceOptions) {
    super(
      new HttpClient({
        service: 'whitelabel',
        baseUrl: options.baseUrl,
        headers: { authorization: `Bearer ${options.apiKey}` },
        timeoutMs: options.timeoutMs,
        fetch: options.fetch,
      }),
      whitelabelTicketSchema,
      toSourceTicket,
      toSourceFields,
    );
    this.files = whitelabelFiles({ baseUrl: options.baseUrl, apiKey: options.apiKey, downloads: options.downloads, fetch: options.fetch });
  }

  protected async createSupportComment(ticketId: string, body: string): Promise<string> {
    const res = await this.http.request('POST /tickets/{id}/replies', whitelabelReplySchema, {
      params: { id: ticketId },
      body: { text: body },
    });
    return res.data.id;
  }

  /**
   * The platform only knows open or not: SOLVED and CLOSED close it, the rest keep it open
   * (NEW/OPEN/PENDING are derived from the replies, not stored, so there is nothing else to set).
   */
  async setStatus(ticketId: string, status: TicketStatus): Promise<void> {
    const isOpen = status !== 'SOLVED' && status !== 'CLOSED';
    await this.http.request('PUT /tickets/{id}', whitelabelTicketSchema, { params: { id: ticketId }, body: { is_open: isOpen } });
  }
}
