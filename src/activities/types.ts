import type { AdoptedMirror } from '../domain/adoption';
import type { CommentCursor, CrmParticipants, RecentComments } from '../domain/comments';
import type { CrmAttachment, CrmComment, CrmStatus, CrmTicket, SourceComment, SourceKind, SourceTicket, TicketStatus } from '../domain/ticket';
import type { CommentAuthor, CrmWriteCondition, NewCrmTicket } from '../ports/crm';
import type { IntegrationErrorKind } from '../ports/errors';
import type { FileOutcome } from './comment-files';

export type { FileOutcome } from './comment-files';

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

/** Where the workflow's last read of one side ended. */
export interface ReadWindow {
  cursor: CommentCursor | null;
  /** The bridge's own comment ids still ahead of the cursor. */
  ownIds: string[];
  /** Bytes of comment text the result may carry (see `UNBOUNDED` in domain/comments). */
  maxBytes: number;
  /** The comments just behind the cursor, re-scanned for late ones (null: none yet). */
  recent?: RecentComments | null;
}

/**
 * A read of the source that returns only what is new since `window`: the ticket without its
 * comments, the new comments (within the byte budget), where the next read starts, and the
 * side's fingerprint. Long conversations never pass through history whole.
 */
export interface SourceRead {
  /** The ticket; its `comments` are empty (the new ones are `newComments`). */
  ticket: SourceTicket;
  newComments: SourceComment[];
  cursor: CommentCursor | null;
  ownIds: string[];
  /** More new comments follow: read again from `cursor`. */
  more: boolean;
  recent: RecentComments | null;
  fingerprint: string;
  /** What the deployment's mapping yields for the ticket now, as digests; absent without rules for its source. */
  mapped?: MappedDigest;
  /** Not a read: the bridge's last knowledge of the ticket (rules 1.4, `rememberedSource`); never from an activity. */
  remembered?: boolean;
}

/**
 * What a mapping (`MAPPING_FILE`) yields for a ticket, as digests only (no value: mapped values
 * may be personal): `digest` of everything, one per target (`customField:<id>`, `priority`,
 * `groupId`, `brandId`, `formId`) and one per mapped tag. Another `digest` than the one last
 * written means a source field changed (see src/mapping/changes.ts).
 */
export interface MappedDigest {
  digest: string;
  targets: Record<string, string>;
  tags: string[];
}

/**
 * What a status write to the source expects to still be true. Sources have no conditional write,
 * so the write activity re-reads just before writing: a user who acted since the decision's read
 * (a new comment after `afterCommentId`, a confirmation, a "not resolved", a "resolved") makes it a
 * 'write-conflict'. The bridge's own writes (a support comment, which the white-label platform
 * turns into PENDING) are not news.
 */
export interface SourceWriteCondition {
  /** The status the decision was made from. */
  status: TicketStatus;
  /** Where the decision's read of comments ended. */
  cursor: CommentCursor | null;
  excludeIds: string[];
  /**
   * The decision was made from the bridge's last knowledge of the ticket, not a read (rules 1.4,
   * `rememberedSource`): a user may have acted long before this write, so a reopen counts too.
   */
  remembered?: boolean;
}

/** A status written after a comment in the same activity: written, or refused for good (a conflict included). */
export type StatusWriteOutcome = 'written' | { refused: IntegrationErrorKind };

/** The CRM's counterpart of `SourceRead`: status, the agents' new public replies, the window. */
export interface CrmRead {
  status: CrmStatus;
  /** The CRM ticket's version (`updated_at`): when the agents last touched it, and the stamp for conditional writes. */
  version: string | null;
  newAgentReplies: CrmComment[];
  cursor: CommentCursor | null;
  ownIds: string[];
  more: boolean;
  recent: RecentComments | null;
  fingerprint: string;
  /** The ticket has an assignee (Zendesk solves or closes only an assigned ticket). */
  assigned?: boolean;
  /** The ticket's requester now (a merged requester has a new id): replies by it are the user's, comments are authored as it. */
  requesterId?: string;
  /** Not a read: the workflow's last knowledge of the ticket, checked by conditional writes (rules 1.2). */
  remembered?: boolean;
}

/**
 * Where a write reads the whole of a text that a read carried only the start of (`truncated`, see
 * `inlineText`): the text itself never enters history, and the write sends `prefix` + the whole.
 */
export type FullText =
  | { of: 'source-comment'; source: SourceKind; ticketId: string; commentId: string; prefix: string }
  | { of: 'crm-comment'; crmTicketId: string; commentId: string }
  | { of: 'source-description'; source: SourceKind; ticketId: string };

/**
 * The activities the ticket workflow calls: one per external operation. The workflow imports
 * only this type (`proxyActivities<TicketActivities>`); `createActivities` implements it over
 * the source and CRM ports. Failures reach the workflow as `ApplicationFailure`s whose `type`
 * is the `IntegrationError` kind (e.g. 'not-found'), non-retryable for 4xx.
 */
export interface TicketActivities {
  /** What is new on the source since `window`; null when the source says 404. */
  readSourceTicket(input: { source: SourceKind; ticketId: string; window: ReadWindow }): Promise<SourceRead | null>;
  /**
   * `unlessClosed` (v3): re-read first, and make a ticket the user closed since the decision's read
   * a 'write-conflict' (the reply becomes an internal note instead), never a comment on it.
   */
  /**
   * `files` (v3): the agent reply's files (the CRM's listing), attached to the new comment in the
   * same activity (see comment-files.ts). A file that failed only after the comment was written
   * gets its line in a follow-up comment: `followUpId`, the bridge's own comment too.
   */
  /**
   * `thenStatus` (rules 1.2): the same decision's status, written after the comment by this
   * activity; `statusWrite` in the result says how that went (a 4xx is an answer: the comment landed).
   * `readBefore`: the source ticket's status and `updatedAt` as this activity read it before
   * writing, when it did: the comment moves `updatedAt`, so a read after it no longer tells when
   * the user last acted (patch `own-write-not-the-users-1`).
   */
  postSourceComment(
    input: {
      source: SourceKind;
      ticketId: string;
      body: string;
      fullText?: FullText;
      unlessClosed?: boolean;
      files?: CrmAttachment[];
      thenStatus?: { status: TicketStatus; condition: SourceWriteCondition };
    } & CommentDedupe,
  ): Promise<{
    commentId: string;
    alreadyPresent: boolean;
    files?: FileOutcome[];
    followUpId?: string;
    statusWrite?: StatusWriteOutcome;
    readBefore?: { status: TicketStatus; updatedAt: string };
  }>;
  /** With a `condition`, a 'write-conflict' failure when the user acted since the decision's read. */
  setSourceStatus(input: { source: SourceKind; ticketId: string; status: TicketStatus; condition?: SourceWriteCondition }): Promise<void>;

  /**
   * Find the CRM ticket by external id, else create it (with an idempotency key): exactly once.
   * `files` (v3): the opening message's attachment URLs (`descriptionAttachments`), uploaded and
   * bound to the description only when the ticket is created now (a found ticket has them).
   * `unseen` (rules 1.7): the workflow knows no copy can exist yet (`PATCHES.freshCreate`), so the
   * first attempt creates without the lookup; a retried attempt looks up first, as it may follow
   * an attempt whose create landed.
   * `mapped` in the result: the digests of the mapped fields the ticket was created with (absent:
   * found, or created without them).
   */
  ensureCrmTicket(
    input: NewCrmTicket & { files?: { source: SourceKind; urls: string[] }; fullText?: FullText; unseen?: true },
  ): Promise<CrmTicket & { found?: boolean; files?: FileOutcome[]; mapped?: MappedDigest }>;
  /** The bridge's CRM ticket for an external id (its first comment only), or null when there is none: never creates. */
  findCrmTicket(input: { externalId: string }): Promise<(CrmTicket & { found: true }) | null>;
  /** What is new in the CRM since `window`; null when the CRM says 404. */
  readCrmTicket(input: { crmTicketId: string; window: ReadWindow; participants: CrmParticipants }): Promise<CrmRead | null>;
  /**
   * With a `condition` (v3), a conditional write: a 'write-conflict' when the ticket moved past that version.
   * `files` (v3): the source comment's attachment URLs, streamed to the CRM and bound to this
   * comment in the same write (see comment-files.ts). `files` in the result: what became of each
   * (absent when a landed copy was found: its files landed with it).
   * `thenStatus` (rules 1.2): the same decision's status, in the comment's write where the CRM
   * takes both at once, else right after it; `version` and `status` are then the ticket after both.
   */
  addCrmComment(
    input: {
      crmTicketId: string;
      body: string;
      fullText?: FullText;
      public: boolean;
      author: CommentAuthor;
      condition?: { version: string };
      files?: { source: SourceKind; urls: string[] };
      thenStatus?: { status: CrmStatus; condition: CrmWriteCondition };
    } & CommentDedupe,
  ): Promise<{
    commentId: string;
    alreadyPresent: boolean;
    version?: string | null;
    status?: CrmStatus | null;
    files?: FileOutcome[];
    statusWrite?: StatusWriteOutcome;
  }>;
  /** With a `condition`, a conditional write (see `CrmWriteCondition`); returns the version after it. */
  setCrmStatus(input: { crmTicketId: string; status: CrmStatus; condition?: CrmWriteCondition }): Promise<{ version: string | null } | void>;
  /**
   * Assign the CRM ticket to whoever the source's assignee is in the CRM (a deployment mapping,
   * e.g. white-label teammate → Zendesk user). Unmapped: left unassigned, `mapped: false`.
   */
  assignCrmTicket(input: {
    crmTicketId: string;
    source: SourceKind;
    assigneeRef: string | null;
  }): Promise<{ crmAssigneeId: string | null; mapped: boolean }>;
  /**
   * A ticket's mapped source fields changed since `known` (the digests last written): the source
   * is read again, the mapping applied, and only what changed written, conditionally on
   * `version` ('write-conflict' when the ticket moved past it). `mapped`: the digests now
   * known; `written`: the targets written, by name (none: nothing to write after all).
   */
  updateCrmMappedFields(input: {
    source: SourceKind;
    ticketId: string;
    crmTicketId: string;
    known: MappedDigest;
    version: string | null;
  }): Promise<{ mapped: MappedDigest; written: string[]; version: string | null }>;
  /**
   * A CRM ticket found already there by a run with empty memory: what was mirrored already,
   * recovered from both whole conversations (read here, never passed through history), as the
   * comment windows the memory would have had.
   */
  adoptCrmTicket(input: { source: SourceKind; ticketId: string; crmTicketId: string; requesterId: string }): Promise<AdoptedMirror>;
}
