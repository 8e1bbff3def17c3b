import type { CrmStatus, CrmTicket, SourceKind, SourceTicket, TicketStatus } from '../domain/ticket';
import type { CommentAuthor, NewCrmTicket } from '../ports/crm';

/** Where a retried comment write looks for a copy of itself that already landed. */
export interface CommentDedupe {
  /** The last comment the workflow has processed; only comments after it can be ours. */
  afterCommentId: string | null;
  /** Comments the workflow already knows it wrote; never mistaken for this one. */
  excludeIds: string[];
  /**
   * An earlier activity began this very write and may have landed it: look first, whatever the
   * attempt. (A retried attempt always looks.)
   */
  landedCheck?: boolean;
}

/**
 * The activities the ticket workflow calls: one per external operation. The workflow imports
 * only this type (`proxyActivities<TicketActivities>`); `createActivities` implements it over
 * the source and CRM ports. Failures reach the workflow as `ApplicationFailure`s whose `type`
 * is the `IntegrationError` kind (e.g. 'not-found'), non-retryable for 4xx.
 */
export interface TicketActivities {
  fetchSourceTicket(input: { source: SourceKind; ticketId: string }): Promise<SourceTicket | null>;
  postSourceComment(
    input: { source: SourceKind; ticketId: string; body: string } & CommentDedupe,
  ): Promise<{ commentId: string; alreadyPresent: boolean }>;
  setSourceStatus(input: { source: SourceKind; ticketId: string; status: TicketStatus }): Promise<void>;

  /** Find the CRM ticket by external id, else create it (with an idempotency key): exactly once. */
  ensureCrmTicket(input: NewCrmTicket): Promise<CrmTicket>;
  fetchCrmTicket(input: { crmTicketId: string }): Promise<CrmTicket | null>;
  addCrmComment(
    input: { crmTicketId: string; body: string; public: boolean; author: CommentAuthor } & CommentDedupe,
  ): Promise<{ commentId: string; alreadyPresent: boolean }>;
  setCrmStatus(input: { crmTicketId: string; status: CrmStatus }): Promise<void>;
  /**
   * Assign the CRM ticket to whoever the source's assignee is in the CRM (a deployment mapping,
   * e.g. white-label teammate → Zendesk user). Unmapped: left unassigned, `mapped: false`.
   */
  assignCrmTicket(input: {
    crmTicketId: string;
    source: SourceKind;
    assigneeRef: string | null;
  }): Promise<{ crmAssigneeId: string | null; mapped: boolean }>;
  /** The CRM user the bridge writes as (its comments are never mirrored back). */
  crmBridgeUserId(): Promise<string>;
}
