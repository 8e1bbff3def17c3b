import type { CrmStatus, CrmTicket, Requester } from '../domain/ticket';
import type { CrmFiles } from './attachments';

export interface NewCrmTicket {
  /** `crmExternalId(source, id)`: how the bridge finds the ticket again. */
  externalId: string;
  subject: string;
  /** First (public) comment: the ticket description. */
  description: string;
  requester: Requester;
  status: CrmStatus;
  tags: string[];
  /** Sent as `Idempotency-Key`, so a retried create is deduplicated by the CRM itself. */
  idempotencyKey: string;
  /** Uploaded files (Zendesk tokens) the description comment carries. */
  uploads?: string[];
  /**
   * The closed CRM ticket this one follows up (Zendesk `via_followup_source_id`): the user wrote
   * again after it was closed, and a closed ticket takes no more comments.
   */
  followUpOf?: string;
  /** What the deployment's mapping (`MAPPING_FILE`) adds; absent: nothing beyond the above. */
  fields?: CrmTicketFields;
}

/**
 * Helpdesk fields a mapping sets on a new ticket (see src/mapping): each absent one is not sent.
 * Ids are the CRM's (Zendesk custom field, group, brand, form and user ids).
 */
export interface CrmTicketFields {
  customFields?: Array<{ id: number; value: string | number | boolean }>;
  /** Added to the bridge's own tags. */
  tags?: string[];
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  groupId?: number;
  brandId?: number;
  formId?: number;
  /** An agent (e.g. picked from a tenant's pool); it replaces the bridge user a solved ticket would get. */
  assigneeId?: number;
}

/**
 * A later change of a ticket's mapped fields (src/mapping/changes.ts): `set` is overwritten,
 * `addTags` added, and the ticket's tags for which `removeTags` says true taken off (the
 * bridge knows its mapped tags by digest only, so the adapter reads the ticket's tags first).
 * Tags anyone else added stay. A custom field set to null is emptied.
 */
export interface CrmFieldsChange {
  set: {
    customFields?: Array<{ id: number; value: string | number | boolean | null }>;
    priority?: CrmTicketFields['priority'];
    groupId?: number;
    brandId?: number;
    formId?: number;
  };
  addTags: string[];
  removeTags?: (tag: string) => boolean;
}

/** What a conditional CRM write expects to still be true. */
export interface CrmWriteCondition {
  /** The ticket's version as last read or written (Zendesk `updated_at`); null when unknown. */
  version: string | null;
  /**
   * Checked by a re-read when the version is unknown (the answer to the last write was lost):
   * the status the decision was made from, and where its read of comments ended. A changed
   * status or a new public reply by an agent after `afterCommentId` means the ticket changed.
   */
  status: CrmStatus;
  afterCommentId: string | null;
  excludeIds: readonly string[];
  /**
   * The ticket had an assignee at `version`: solving or closing it then needs no read to check
   * (Zendesk requires one); a ticket changed since is refused by the version anyway.
   */
  assigned?: boolean;
}

/** What a ticket looks like without its comments: enough to know whether it changed. */
export interface CrmTicketVersion {
  status: CrmStatus;
  updatedAt: string | null;
}

export type CommentAuthor =
  /**
   * Public comment shown as written by the ticket's requester (a user's message from the app).
   * `id`: the requester's CRM user id when the caller knows it (saves reading the ticket for it).
   */
  | { as: 'requester'; id?: string }
  /** Written as the bridge's own API user (internal notes, notices). */
  | { as: 'bridge' };

/**
 * A CRM / helpdesk where agents work (Zendesk, ...). Adapters implement this over HTTP;
 * errors are thrown as `IntegrationError` (see ./errors).
 */
export interface CrmPort {
  readonly kind: string;

  /** The CRM user id the bridge writes as: comments by it are the bridge's own (echo suppression). */
  bridgeUserId(): Promise<string>;

  /** Look a ticket up by the external id the bridge stamped on it; null when there is none. */
  findTicketByExternalId(externalId: string): Promise<CrmTicket | null>;

  createTicket(ticket: NewCrmTicket): Promise<CrmTicket>;

  /**
   * Many tickets' status and version at once (Zendesk `show_many`, 100 a request), without their
   * comments: what the reconciler compares. A ticket the CRM does not know is missing from the map.
   */
  getTicketVersions(crmTicketIds: readonly string[]): Promise<Map<string, CrmTicketVersion>>;

  /**
   * The ticket with its comments, oldest first. null when the CRM says 404. `commentsSince`
   * (ISO-8601): only the comments created at or after it are needed, so an adapter that can list
   * newest first may stop paging there (a long conversation then costs one page, not all of
   * them); comments older than that may be included or not.
   */
  getTicket(crmTicketId: string, options?: { commentsSince?: string }): Promise<CrmTicket | null>;

  /**
   * Add a comment. Not idempotent, so with `dedupe.check` it first looks for the same body by the
   * same author after `afterCommentId` (ignoring `excludeIds`) and returns that one instead.
   * With a `condition`, written only if the ticket is still at that version (else a
   * 'write-conflict'): then the version and status it answers are exactly the ticket after this
   * write, nobody else's change in between. Both are null when unknown (a landed copy was found).
   *
   * With `files`, the comment carries attachments: called only once no landed copy was found,
   * it uploads them and says which uploads to bind (`uploads`, Zendesk tokens) and which lines to
   * append for the files that did not travel. A landed copy is then known by its message alone
   * (`messageOf`): its files were bound with it, in the same write.
   *
   * `status`: the status the same decision wants after the comment, which an adapter whose API
   * writes both at once (Zendesk's one `PUT`, atomically) sends with it; the answer's `status`
   * says whether it did (callers write it on its own otherwise). Never one that needs more than
   * the write (Zendesk solves only an assigned ticket).
   */
  addComment(
    crmTicketId: string,
    comment: { body: string; public: boolean; author: CommentAuthor; status?: CrmStatus; files?: () => Promise<{ uploads: string[]; lines: string[] }> },
    dedupe: { check: boolean; afterCommentId: string | null; excludeIds: readonly string[] },
    condition?: { version: string },
  ): Promise<{ commentId: string; alreadyPresent: boolean; version?: string | null; status?: CrmStatus | null }>;

  /** Its files (downloads and uploads); absent: this CRM moves no files. */
  readonly files?: CrmFiles;

  /**
   * Set the status. Solving an unassigned ticket assigns it to the bridge user first (Zendesk
   * requires an assignee). With a `condition`, nothing is written unless the ticket is still as
   * the decision saw it: an `IntegrationError` of kind 'write-conflict' says it changed. Resolves
   * the ticket's version after the write; null if the CRM has none, or when the status was found
   * there already (a retry whose first write landed): a version read then may carry others'
   * changes since, so the caller reads the ticket rather than take it as its own write's.
   */
  setStatus(crmTicketId: string, status: CrmStatus, condition?: CrmWriteCondition): Promise<{ version: string | null }>;

  /** Set (or clear, with null) the assignee. */
  setAssignee(crmTicketId: string, assigneeId: string | null): Promise<void>;

  /**
   * Write a change of the ticket's mapped fields in one write, conditionally: only if the ticket
   * is still at `version` (else a 'write-conflict'); with `version` null, on the version a read
   * made just before finds. Resolves the version after the write (null if the CRM has none).
   * Absent: this CRM takes no mapped fields (the mapping's ids are Zendesk's).
   */
  updateFields?(crmTicketId: string, change: CrmFieldsChange, version: string | null): Promise<{ version: string | null }>;
}
