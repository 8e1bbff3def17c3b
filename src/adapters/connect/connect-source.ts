import type { SourceTicket, TicketStatus } from '../../domain/ticket';
import type { TicketSourcePort } from '../../ports/ticket-source';
import { postSupportCommentOnce, type DedupeWindow } from '../comment-dedupe';
import { HttpClient, nullIfNotFound, type HttpClientOptions } from '../http';
import { toSourceTicket } from './mapping';
import { connectCommentSchema, connectTicketSchema } from './schemas';

export interface ConnectSourceOptions {
  /** e.g. 'https://connect.clever.gy' (the simulator: its `url`). */
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  fetch?: HttpClientOptions['fetch'];
}

/** The Connect API as a `TicketSourcePort` (connect-tickets-api.md). */
export class ConnectSource implements TicketSourcePort {
  readonly kind = 'connect' as const;
  private readonly http: HttpClient;

  constructor(options: ConnectSourceOptions) {
    this.http = new HttpClient({
      service: 'connect',
      baseUrl: options.baseUrl,
      headers: { 'clevergy-api-key': options.apiKey },
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
    });
  }

  async fetchTicket(ticketId: string): Promise<SourceTicket | null> {
    const res = await nullIfNotFound(
      this.http.request('GET /tickets/{id}', connectTicketSchema, { params: { id: ticketId } }),
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
        service: 'connect',
        fetchTicket: () => this.fetchTicket(ticketId),
        post: async () =>
          (await this.http.request('POST /tickets/{id}/comment', connectCommentSchema, {
            params: { id: ticketId },
            body: { message: body },
          })).data.id,
      },
      body,
      dedupe,
    );
  }

  async setStatus(ticketId: string, status: TicketStatus): Promise<void> {
    await this.http.request('PUT /tickets/{id}', connectTicketSchema, { params: { id: ticketId }, body: { status } });
  }
}
