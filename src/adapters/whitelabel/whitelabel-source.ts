import type { SourceTicket, TicketStatus } from '../../domain/ticket';
import type { TicketSourcePort } from '../../ports/ticket-source';
import { postSupportCommentOnce, type DedupeWindow } from '../comment-dedupe';
import { HttpClient, nullIfNotFound, type HttpClientOptions } from '../http';

import { toSourceTicket } from './mapping';
import { whitelabelReplySchema, whitelabelTicketSchema } from './schemas';

export interface WhitelabelSourceOptions {
  /** `WHITELABEL_API_URL`, e.g. 'https://api.example.com/v1' (the simulator: its `url`). */
  baseUrl: string;
  /** `WHITELABEL_API_KEY`, sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  timeoutMs?: number;
  fetch?: HttpClientOptions['fetch'];
}

/**
 * The white-label platform as a `TicketSourcePort`. Its REST API is not documented by the seed;
 * the three calls made here are listed in ./README.md and implemented by the simulator.
 */
export class WhitelabelSource implements TicketSourcePort {
  readonly kind = 'whitelabel' as const;
  private readonly http: HttpClient;

  constructor(options: WhitelabelSourceOptions) {
    this.http = new HttpClient({
      service: 'whitelabel',
      baseUrl: options.baseUrl,
      headers: { authorization: `Bearer ${options.apiKey}` },
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
    });
  }

  async fetchTicket(ticketId: string): Promise<SourceTicket | null> {
    const res = await nullIfNotFound(
      this.http.request('GET /tickets/{id}', whitelabelTicketSchema, { params: { id: ticketId } }),
    );
    return res && toSourceTicket(res.data);
  }

  async postSupportComment(
    ticketId: string,
    body: string,
    dedupe: { check: boolean } & DedupeWindow,
  ): Promise<{ commentId: string; alreadyPresent: boolean }> {
    return postSupportCommentOnce(
      {
        service: 'whitelabel',
        fetchTicket: () => this.fetchTicket(ticketId),
        post: async () =>
          (await this.http.request('POST /tickets/{id}/replies', whitelabelReplySchema, {
            params: { id: ticketId },
            body: { text: body },
          })).data.id,
      },
      body,
      dedupe,
    );
  }

  async setStatus(ticketId: string, status: TicketStatus): Promise<void> {
    const isOpen = status !== 'SOLVED' && status !== 'CLOSED';
    await this.http.request('PUT /tickets/{id}', whitelabelTicketSchema, { params: { id: ticketId }, body: { is_open: isOpen } });
  }
}
