/**
 * The ticket workflow's public surface: its type name, input, signals and queries. Imported by
 * the workflow itself and by clients (API, CLI, tests), so it holds definitions only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CrmStatus, SourceKind, SourceTicket, TicketStatus } from '../domain/ticket';

export const TICKET_WORKFLOW_TYPE = 'ticketWorkflow';

/**
 * The `patched()` ids of the changes made to the sync rules since 1.0 (docs/sync-rules.md).
 * An id is never reused, and what it means never changes.
 */
export const PATCHES = {
  /** 1.1: the helpdesk's events of the bridge's own writes are recognised by comment id and version (the door no longer drops by actor). */
  ownEchoById: 'rules-1.1-own-echo-by-id',
  /** 1.1: a CRM fingerprint taken from a write's answer is marked unverified (the reconciler reads that ticket once). */
  unverifiedWriteFingerprints: 'rules-1.1-unverified-write-fingerprints',
  /**
   * 1.2: a lean ticket (issue 18). A source's notification decides from the CRM ticket as the
   * bridge last knew it when every CRM write of the decision is conditional on that version (no
   * read first); a side's comment and status are written by one activity; search attributes
   * change once per sync.
   */
  leanSync: 'rules-1.2-lean-sync',
  /**
   * 1.3: rules 1.2, and a sync's read as a local activity gives up after 8 attempts (about a
   * minute), then waits as the regular activity (`TICKET_BOUNDED_LOCAL_READ_OPTIONS`). Under 1.2
   * it retried inside its workflow task for as long as the remote was down. Asked, as 1.2 was, at
   * a run's start, in its place: a run on 1.3 records this one marker.
   */
  boundedLocalReads: 'rules-1.3-bounded-local-reads',
  /**
   * 1.4: rules 1.3, and a helpdesk's news is decided from the source ticket as the bridge last
   * knew it when the decision only writes to the source, whose write activities read it first and
   * refuse what the user changed since (`rememberedSource` in src/workflows/ticket-sync.ts). Asked
   * in 1.3's place at a run's start.
   */
  rememberedSource: 'rules-1.4-remembered-source',
  /**
   * 1.5: rules 1.4, and a solved helpdesk ticket is remembered too (1.2's shortcut), when the
   * bridge's last read showed it assigned (`TicketMemory.crmAssigned`): the close a user's
   * confirmation brings is then one conditional write. Asked in 1.4's place at a run's start.
   */
  rememberedSolved: 'rules-1.5-solved-from-memory',
  /**
   * 1.6: rules 1.5, and what each side looked like at the end of a sync (the fingerprints the
   * reconciler compares) is published as a digest in the `TicketFingerprints` search attribute,
   * in the same upsert as the status, instead of in the memo: the memo no longer changes with
   * every sync (one history event fewer per sync). The memo keeps what a person reads (the
   * tickets, `parked`, `paused`). Asked in 1.5's place at a run's start.
   */
  searchableFingerprints: 'rules-1.6-searchable-fingerprints',
  /**
   * Helpdesk events still waiting to be told apart when a run continues as new are handed over
   * as a read of the helpdesk (`crm` work), not as events: a worker rolled back to code from
   * before rules 1.2 would not know them, and would wait for the reconciler. Asked only when a
   * run hands such events over.
   */
  foldCrmEventsAtNewRun: 'fold-crm-events-at-new-run-1',
  /**
   * A linked ticket whose mapped source fields changed (another digest in the source's read) has
   * what changed written to the helpdesk, once (docs/mapping.md). Asked only when a read carries
   * other digests than the memory's, so a ticket without a mapping records no marker.
   */
  mappedFieldChanges: 'mapped-field-changes-1',
  /**
   * Pause and resume (issue 22): `pause`/`resume` updates; while paused, notifications are kept as
   * pending work and nothing is synced. Asked in the handlers, when first used (src/workflows/pause.ts).
   */
  pauseResume: 'pause-resume-1',
  /**
   * News from both sides in the same second goes to the helpdesk (`sameSecondToCrm` in
   * src/domain/lifecycle.ts), as a tie to the millisecond always did. Asked only by a decision it
   * changes (`sameSecondDecides`).
   */
  sameSecondToCrm: 'same-second-to-helpdesk-1',
  /**
   * The lifecycle remembers the status the helpdesk gave the ticket it created (a helpdesk without
   * a "new" status makes it open), not the one asked for, so the first read after the create does
   * not take it for an agent's move. Asked only when the two differ.
   */
  createdStatusKept: 'created-status-kept-1',
  /**
   * A pause accepted during the sync that completed the ticket is taken back once that sync ends
   * (no `TicketPaused="true"` on a completed workflow). Asked only then (src/workflows/pause.ts).
   */
  pauseEndsWithTheTicket: 'pause-ends-with-the-ticket-1',
  /**
   * A comment kept to try again after a refusal, which a decision finds news again (a conflict
   * later in the decision that refused it had both sides read again before its cursor moved), is
   * written by that decision as before, and the write ends its kept retry; refused again there, it
   * stays kept on its schedule, the refusal not counted twice. Before, the retry, due later, wrote
   * it a second time. Asked only when a decision meets a kept comment.
   */
  keptWritesWrittenOnce: 'kept-writes-written-once-1',
  /**
   * An agent's reply whose landed copy a read of the closed source ticket claims (its answer was
   * lost, and the user closed the ticket before the check) was delivered: no "did not reach the
   * user" note for it in the helpdesk. Asked only when such a reply meets a closed ticket.
   */
  deliveredBeforeTheClose: 'delivered-before-the-close-1',
  /**
   * A reply's landed copy that a read claims (its answer was lost) is the bridge's own from that
   * moment, not from the end of the decision the read began: a conflict in that decision reads
   * again, and the copy, its intent closed by then, was news (mirrored back to the helpdesk as a
   * "Support reply posted in the app" note). Asked only when a read claims a copy (`claimLanded`).
   */
  claimedCopiesOwned: 'claimed-copies-owned-1',
  /**
   * After the bridge's own comment to the source in a sync, a read of the source is dated by the
   * activity's read before that comment, not by the `updatedAt` the comment moved, when nothing the
   * user did came after (`sourceAsTheUserLeftIt` in src/workflows/ticket-sync.ts). Before, a slow
   * reply made the user's older change look newer than the agent's, and the agent's status was
   * lost. Asked only when a read after such a comment would be dated otherwise.
   */
  ownWriteNotTheUsers: 'own-write-not-the-users-1',
  /**
   * 1.7: rules 1.6, and the create of a ticket nothing can have created a helpdesk copy of yet
   * skips the lookup by external id on its first attempt (one helpdesk request fewer a ticket).
   * Nothing can have when the gateway started the run with no run of the ticket on record
   * (`TicketWorkflowInput.noEarlierRun`), the run is its chain's first and no reset, the source
   * ticket is less than an hour old (any earlier run would still be on record), and the run has
   * not tried a create before. A retried attempt still looks up first. Asked in 1.6's place at a
   * run's start.
   */
  freshCreate: 'rules-1.7-fresh-create',
} as const;

/** Behaviour a deployment may tune. Fixed per run: a change reaches running tickets at their next continue-as-new. */
export interface TicketWorkflowSettings {
  /** How long a SOLVED ticket waits for the user's confirmation (ms). Default 72h. */
  solvedAutoCloseAfterMs: number;
  /** Source status after the user answers "not resolved". Default PENDING, as the guide says. */
  reopenSourceStatus: 'PENDING' | 'OPEN';
  /** Continue-as-new once history is this long, even if the server has not suggested it yet. */
  continueAsNewAfterEvents: number;
  /** First wait before a sync that failed for good (a 4xx) is tried again; doubles up to an hour. */
  failedSyncRetryMs: number;
  /**
   * How long a side may answer 404 before the bridge acts on it. A source ticket is then parked
   * (a note for the agents; read again every few minutes; it resumes by itself), never ended:
   * only an explicit DELETE or an operator ends it. A helpdesk ticket is then taken as deleted by
   * an admin, and the source ticket is closed. Default 10 minutes: a misrouted load balancer or a
   * wrong tenant key for a few minutes must not touch a live ticket.
   */
  sourceGoneAfterMs: number;
  /** First wait before a comment write a side refused (a 4xx) is tried again; doubles, 5 tries in all. */
  refusedWriteRetryMs: number;
  /**
   * The helpdesk's name as people read it, for the timeline, the notes, the internal notes the
   * bridge posts and the memo (in lower case). A run started without it (before it existed) takes
   * the default, the first and then only helpdesk: the same lines as before, so nothing to patch.
   */
  crmName: string;
}

/**
 * What a ticket workflow runs with when its input does not say. The API writes the full settings
 * into every workflow it starts, so a ticket that lives for weeks keeps the values it began with
 * even if these defaults change in a later release.
 */
export const DEFAULT_WORKFLOW_SETTINGS: TicketWorkflowSettings = {
  solvedAutoCloseAfterMs: 72 * 60 * 60 * 1000,
  reopenSourceStatus: 'PENDING',
  continueAsNewAfterEvents: 10_000,
  failedSyncRetryMs: 60_000,
  sourceGoneAfterMs: 10 * 60_000,
  refusedWriteRetryMs: 5 * 60_000,
  crmName: 'Zendesk',
};

export interface TicketWorkflowInput {
  source: SourceKind;
  sourceTicketId: string;
  settings?: Partial<TicketWorkflowSettings>;
  /** State handed over by continue-as-new; absent on the first run. */
  carried?: unknown;
  /**
   * Started by news for a ticket whose previous run had completed (a late message, a late
   * duplicate, the echo of the bridge's own last write), at `endedAt` (ISO; null if unknown). A
   * source that reads 404 then means the ticket is gone, and the run ends at once (a first run
   * waits: its CREATE may not be readable yet). The run adopts the CRM ticket if there is one;
   * with none (an admin deleted it), it creates one only for a user's message written after the
   * end, and otherwise ends without a write.
   */
  afterEnd?: { endedAt: string | null };
  /**
   * Started by a source's CREATE when Temporal had no run of this workflow id on record, running
   * or closed (the gateway's first start refuses any earlier run): no earlier run of this ticket
   * made a helpdesk copy, unless it is older than the namespace's retention. Absent for other
   * news, for a run restarted after a failed or terminated one or after the end, and for the
   * backfill's starts.
   */
  noEarlierRun?: true;
}

/** A source said the ticket changed. Connect only notifies; white-label events carry the ticket. */
export interface SourceNotification {
  kind: 'created' | 'updated' | 'deleted';
  /** The sender's event id when it has one (white-label `event_id`), for deduplication. */
  eventId: string | null;
  /** ISO time the API received it. */
  receivedAt: string;
  /** The ticket as the event carried it; null for notification-only sources (Connect). */
  snapshot: SourceTicket | null;
}

/** The CRM said its ticket changed (the helpdesk's webhook). The workflow reads the ticket back. */
export interface CrmNotification {
  crmTicketId: string;
  eventId: string | null;
  receivedAt: string;
  /** What the event says the change left (event subscriptions); absent: read back, whatever it was. */
  change?: CrmChange | null;
}

/**
 * The CRM ticket after one change, as its event tells: enough for the workflow to recognise the
 * echo of a write of its own (the comment it added, the version and status its write's answer
 * gave) without a read. Ids, a time and a status only: no personal data.
 */
export interface CrmChange {
  /** The ticket's version (the helpdesk's `updated_at`) after the change. */
  updatedAt: string;
  /** The ticket's status after the change, in the CRM's words (lower case). */
  status: string;
  /** The comment the change added, if it added one. */
  commentId: string | null;
}

export const sourceChangedSignal = defineSignal<[SourceNotification]>('sourceChanged');
export const crmChangedSignal = defineSignal<[CrmNotification]>('crmChanged');

/**
 * Rules 1.2: the same notification as an update, which the API tries first. Its validator
 * refuses an event the workflow already knows (a redelivery, the echo of the bridge's own
 * write) with `KNOWN_CRM_EVENT`: a refused update leaves nothing in history, so such an event
 * costs the ticket no event and no workflow task. Anything else is accepted and taken as the
 * signal would be. Older workers do not have it: the API then signals.
 */
export const crmEventUpdate = defineUpdate<void, [CrmNotification]>('crmEvent');

/** The failure type of `crmEventUpdate`'s refusal of a known event. */
export const KNOWN_CRM_EVENT = 'KnownCrmEvent';

/** What `temporal workflow query --type state` and the ops API show. No personal data. */
export interface TicketStateView {
  source: SourceKind;
  sourceTicketId: string;
  /** The bridge's lifecycle status. */
  status: TicketStatus;
  /** Last status seen at (or written to) each side. */
  sourceStatus: TicketStatus | null;
  crmStatus: CrmStatus | null;
  crmTicketId: string | null;
  lastSyncAt: string | null;
  /** When the SOLVED auto-close timer fires, if one is pending. */
  solvedTimerDeadline: string | null;
  lastError: { at: string; operation: string; type: string; message: string } | null;
  counts: {
    notifications: number;
    syncs: number;
    userCommentsToCrm: number;
    agentRepliesToSource: number;
    statusChangesToCrm: number;
    statusChangesToSource: number;
  };
  /** Notes for a human (e.g. an unmapped assignee). */
  notes: string[];
  /** What happened, newest last, bounded: received notifications, writes, failures, timers. */
  timeline: TimelineEntry[];
  /**
   * What each side looked like at the last read (status and newest comment): the reconciler
   * compares fresh reads with these and signals only tickets whose side changed.
   */
  fingerprints: { source: string | null; crm: string | null };
  /**
   * What waits on a person or a remote, each with its reason: a write a side refused (retried on
   * a slow schedule, then parked with a note in the CRM), a side that reads as 404. Empty when
   * nothing does: no ticket is stuck without saying why here.
   */
  parked: { what: string; reason: string; since: string }[];
  /** Present while an operator has paused the ticket: since when and why (no personal data). */
  paused?: { since: string; reason: string };
  completed: boolean;
}

export interface TimelineEntry {
  at: string;
  kind: 'received' | 'synced' | 'failed' | 'timer' | 'operator';
  /** Short, free of personal data: e.g. "agent reply → app (comment 312)", "<crmName> status → open". */
  detail: string;
}

/** Ops: sync both sides now (a webhook was lost, a remote was fixed). Refused once the ticket completed. */
export interface ResyncRequest {
  /** Who asks and why, recorded in the timeline (no personal data). */
  reason?: string;
}

/** Ops: close the ticket on both sides now, with an internal note in the CRM saying why. */
export interface CloseRequest {
  reason: string;
}

/**
 * Ops: stop syncing the ticket until `resume` (a remote misbehaves, a migration). Notifications
 * are still taken in as pending work; nothing is written to either side while paused.
 */
export interface PauseRequest {
  reason: string;
}

/** Ops: sync again: one sync reads both sides, so what was said during the pause arrives once. */
export interface ResumeRequest {
  reason?: string;
}

export const resyncUpdate = defineUpdate<TicketStateView, [ResyncRequest]>('resync');
export const closeUpdate = defineUpdate<TicketStateView, [CloseRequest]>('close');
export const pauseUpdate = defineUpdate<TicketStateView, [PauseRequest]>('pause');
export const resumeUpdate = defineUpdate<TicketStateView, [ResumeRequest]>('resume');

export const stateQuery = defineQuery<TicketStateView>('state');
