import type { SourceKind, SourceTicket, TicketStatus } from '../domain/ticket';
import type { SourceFiles } from './attachments';

/**
 * A source ticket's fields beyond the canonical model (Connect `tenantId`, `houseId`…, white-label
 * `category`…), by their source's names: a value, or null when unset. What a mapping reads.
 */
export type SourceFields = Readonly<Record<string, string | null>>;

/**
 * A ticket source (Connect API, white-label platform, ...): where end users open tickets.
 * Adapters implement this over HTTP; errors are thrown as `IntegrationError` (see ./errors).
 */
export interface TicketSourcePort {
  readonly kind: SourceKind;

  /** Read the ticket back. Resolves `null` when the source says it does not exist (404). */
  fetchTicket(ticketId: string): Promise<SourceTicket | null>;

  /** The ticket's mappable fields (see src/mapping); null on 404. Absent: the source has none. */
  fetchFields?(ticketId: string): Promise<SourceFields | null>;

  /** The ticket and its mappable fields from one read (a sync's read of a mapped ticket); null on 404. */
  fetchTicketAndFields?(ticketId: string): Promise<{ ticket: SourceTicket; fields: SourceFields } | null>;

  /**
   * Post a support comment (an agent's public reply) to the ticket.
   * Comment creation is not idempotent, so `dedupe` lets a retried attempt find a comment that
   * already landed: a SUPPORT comment with the same body, after `afterCommentId`, whose id is not
   * in `excludeIds` (comments the bridge already knows it wrote). With `byMessage`, a landed
   * copy is known by its message alone (`messageOf`: whatever lines about files it carries), and
   * its `attachments` come back, so a retry uploads only the files still missing.
   */
  postSupportComment(
    ticketId: string,
    body: string,
    dedupe: { check: boolean; afterCommentId: string | null; excludeIds: readonly string[]; byMessage?: boolean },
  ): Promise<{ commentId: string; alreadyPresent: boolean; attachments?: string[] }>;

  /** Its files; absent: this source moves no files. */
  readonly files?: SourceFiles;

  /** Set the source-side status. */
  setStatus(ticketId: string, status: TicketStatus): Promise<void>;
}
