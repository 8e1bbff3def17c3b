/**
 * What every HTTP ticket source shares: read the ticket back (404 → null) and post a support
 * comment at most once. A source supplies its ticket schema and mapping, how a comment is
 * created, and how a status is written.
 */
import type { z } from 'zod';
import type { SourceKind, SourceTicket, TicketStatus } from '../domain/ticket';
import type { SourceFields, TicketSourcePort } from '../ports/ticket-source';
import { postSupportCommentOnce, type DedupeWindow } from './comment-dedupe';
import { nullIfNotFound, type HttpClient } from './http';

export abstract class RestTicketSource<S extends z.ZodType> implements TicketSourcePort {
  abstract readonly kind: SourceKind;

  protected constructor(
    protected readonly http: HttpClient,
    private readonly ticketSchema: S,
    private readonly toSourceTicket: (ticket: z.output<S>) => SourceTicket,
    private readonly toSourceFields: (ticket: z.output<S>) => SourceFields,
  ) {}

  private async read(ticketId: string): Promise<z.output<S> | null> {
    const res = await nullIfNotFound(this.http.request('GET /tickets/{id}', this.ticketSchema, { params: { id: ticketId } }));
    return res && res.data;
  }

  async fetchTicket(ticketId: string): Promise<SourceTicket | null> {
    const ticket = await this.read(ticketId);
    return ticket && this.toSourceTicket(ticket);
  }

  async fetchFields(ticketId: string): Promise<SourceFields | null> {
    const ticket = await this.read(ticketId);
    return ticket && this.toSourceFields(ticket);
  }

  async fetchTicketAndFields(ticketId: string): Promise<{ ticket: SourceTicket; fields: SourceFields } | null> {
    const ticket = await this.read(ticketId);
    return ticket && { ticket: this.toSourceTicket(ticket), fields: this.toSourceFields(ticket) };
  }

  postSupportComment(
    ticketId: string,
    body: string,
    dedupe: { check: boolean; byMessage?: boolean } & DedupeWindow,
  ): Promise<{ commentId: string; alreadyPresent: boolean; attachments?: string[] }> {
    return postSupportCommentOnce(
      { service: this.kind, fetchTicket: () => this.fetchTicket(ticketId), post: () => this.createSupportComment(ticketId, body) },
      body,
      dedupe,
    );
  }

  /** Creates the comment (one POST, not idempotent); resolves its id. */
  protected abstract createSupportComment(ticketId: string, body: string): Promise<string>;

  abstract setStatus(ticketId: string, status: TicketStatus): Promise<void>;
}
