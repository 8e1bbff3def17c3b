import type { SourceTicket, TicketStatus } from '../../domain/ticket';
import { IntegrationError } from '../../ports/errors';
import type { TicketSourcePort } from '../../ports/ticket-source';
import { findLandedComment, sameText, type DedupeWindow } from '../comment-dedupe';
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
    if (dedupe.check) {
      const ticket = await this.fetchTicket(ticketId);
      if (ticket === null) throw notFound('GET /tickets/{id}');
      // Only the integrator writes SUPPORT comments, so the same text in the window is our own.
      const landed = findLandedComment(ticket.comments, (c) => c.author === 'SUPPORT' && sameText(c.body, body), dedupe);
      if (landed) return { commentId: landed.id, alreadyPresent: true };
    }
    const res = await this.http.request('POST /tickets/{id}/comment', connectCommentSchema, {
      params: { id: ticketId },
      body: { message: body },
    });
    return { commentId: res.data.id, alreadyPresent: false };
  }

  async setStatus(ticketId: string, status: TicketStatus): Promise<void> {
    await this.http.request('PUT /tickets/{id}', connectTicketSchema, { params: { id: ticketId }, body: { status } });
  }
}

/** The ticket vanished between calls: the same failure a write to it would have produced. */
function notFound(operation: string): IntegrationError {
  return new IntegrationError('not-found', 'connect', operation, `connect ${operation}: ticket not found`, 404);
}
