/**
 * The canonical ticket model: what every ticket source is mapped onto and what the
 * lifecycle reasons about. Pure data, no I/O, safe to import from workflow code.
 */

/** The ticket sources ticket-bridge can read from. */
export const SOURCE_KINDS = ['connect', 'whitelabel'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** The source-side lifecycle (Connect's proposed status model, shared by every source). */
export const TICKET_STATUSES = ['NEW', 'OPEN', 'PENDING', 'SOLVED', 'CLOSED'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** Who wrote a comment, as the source sees it. */
export type SourceAuthor = 'USER' | 'SUPPORT';

export interface SourceComment {
  /** Source-assigned id, unique within the ticket (Connect: a number as text; white-label: a uuid). */
  id: string;
  author: SourceAuthor;
  body: string;
  /** ISO-8601. Comments are ordered by (createdAt, id). */
  createdAt: string;
  /** Its files' download URLs (Connect `attachments`, white-label `assets`). */
  attachments: string[];
  /** `body` is only the text's start: the whole is read again by the write (see `inlineText`). */
  truncated?: boolean;
}

/** The end user who opened the ticket. Personal data: never log it. */
export interface Requester {
  /** The source's id for the user, when it has one. */
  externalId: string | null;
  name: string | null;
  email: string | null;
}

/** A ticket as read from (or carried by) its source. */
export interface SourceTicket {
  source: SourceKind;
  id: string;
  status: TicketStatus;
  title: string;
  description: string;
  /**
   * The files of the opening message, when the source has them apart from its comments (the
   * white-label platform's first reply's `assets`); absent when none.
   */
  descriptionAttachments?: string[];
  /** `description` is only the text's start: the whole is read again by the create (see `inlineText`). */
  descriptionTruncated?: boolean;
  requester: Requester;
  /** Source-side assignee reference (white-label `teammate_id`), null when unassigned. */
  assigneeRef: string | null;
  comments: SourceComment[];
  createdAt: string;
  updatedAt: string;
}

/** The helpdesk status model every CRM adapter maps onto (the first helpdesk's own). */
export const CRM_STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;
export type CrmStatus = (typeof CRM_STATUSES)[number];

/**
 * A file on a CRM comment, as the CRM lists it (a comment's `attachments[]`). The name is personal
 * data: it may go into a mirrored comment, never into logs or the timeline.
 */
export interface CrmAttachment {
  id: string;
  name: string;
  /** Where the CRM serves it (e.g. a `content_url`). */
  url: string;
  contentType: string | null;
  size: number;
}

export interface CrmComment {
  id: string;
  authorId: string;
  body: string;
  /** false: an internal note, never shown to the end user (nor are its files). */
  public: boolean;
  createdAt: string;
  /** Its files; absent when it has none. */
  attachments?: CrmAttachment[];
  /** `body` is only the text's start: the whole is read again by the write (see `inlineText`). */
  truncated?: boolean;
}

export interface CrmTicket {
  id: string;
  status: CrmStatus;
  externalId: string | null;
  requesterId: string;
  assigneeId: string | null;
  comments: CrmComment[];
  /** The CRM's version of the ticket (its `updated_at`), for conditional writes; null if unknown. */
  updatedAt?: string | null;
}

/** The external id the bridge stamps on CRM tickets: it names the source ticket. */
export function crmExternalId(source: SourceKind, sourceTicketId: string): string {
  return `${source}:${sourceTicketId}`;
}

export function parseCrmExternalId(externalId: string): { source: SourceKind; sourceTicketId: string } | null {
  const sep = externalId.indexOf(':');
  if (sep < 0) return null;
  const source = externalId.slice(0, sep);
  const sourceTicketId = externalId.slice(sep + 1);
  if (!(SOURCE_KINDS as readonly string[]).includes(source) || sourceTicketId === '') return null;
  return { source: source as SourceKind, sourceTicketId };
}

/** One workflow per source ticket; the id says what it is (`ticket/connect/42`). */
export function ticketWorkflowId(source: SourceKind, sourceTicketId: string): string {
  return `ticket/${source}/${sourceTicketId}`;
}

/** The tag on every CRM ticket the bridge creates: how its tickets are told from a human's copy. */
export const CRM_BRIDGE_TAG = 'ticket-bridge';
