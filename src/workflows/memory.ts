/**
 * Everything a ticket workflow remembers between syncs. Small and bounded on purpose: it is
 * carried whole across continue-as-new, and every id list is capped.
 */
import type { MappedDigest } from '../activities/types';
import type { CommentCursor, RecentComments } from '../domain/comments';
import { INITIAL_LIFECYCLE_STATE, type Effect, type LifecycleState } from '../domain/lifecycle';
import type { SourceTicket } from '../domain/ticket';
import type { CrmChange, TicketStateView, TicketWorkflowInput } from './definitions';

/** How many ids of each kind are remembered (own comments, seen event ids, notes). */
export const MEMORY_BOUNDS = { ownIds: 100, eventIds: 200, notes: 20, timeline: 50, refused: 10, parked: 20 } as const;

export interface PendingWork {
  source: boolean;
  crm: boolean;
  deleted: boolean;
  /** The newest snapshot an event carried (full-payload sources), not applied yet. */
  snapshot: SourceTicket | null;
  /** An operator asked to close the ticket, with this reason. */
  closeReason: string | null;
  /** The SOLVED timer fired: read both sides, then close if the ticket is still unconfirmed. */
  solvedTimer?: boolean;
  /**
   * Rules 1.2: helpdesk events not yet told apart, the bridge's own echoes from news. Told when the
   * sync starts, once the answers of the writes they may echo have been taken in (an event often
   * overtakes its write's answer); news among them makes `crm` work.
   */
  crmChanges?: CrmChange[];
}

/** Events waiting to be told apart (`crmChanges`) beyond which the CRM is simply read. */
const MAX_PENDING_CRM_CHANGES = 20;

export const NO_WORK: PendingWork = { source: false, crm: false, deleted: false, snapshot: null, closeReason: null, solvedTimer: false };

/** Both pieces of work at once. */
export function mergeWork(a: PendingWork, b: PendingWork): PendingWork {
  // Of two snapshots the newer wins. Two of the same second cannot be ordered (the platform's
  // clock has second resolution): neither is trusted, the ticket is read back instead.
  let snapshot = a.snapshot ?? b.snapshot;
  let readBack = false;
  if (a.snapshot && b.snapshot) {
    const [ta, tb] = [Date.parse(a.snapshot.updatedAt), Date.parse(b.snapshot.updatedAt)];
    snapshot = ta === tb ? null : ta > tb ? a.snapshot : b.snapshot;
    readBack = ta === tb;
  }
  return {
    source: a.source || b.source || readBack,
    crm: a.crm || b.crm || tooManyCrmChanges(a, b),
    deleted: a.deleted || b.deleted,
    snapshot,
    closeReason: a.closeReason ?? b.closeReason,
    solvedTimer: Boolean(a.solvedTimer || b.solvedTimer),
    ...crmChangesOf(a, b),
  };
}

/** Too many events to tell apart: the CRM is read (what the read finds counts, not the events). */
function tooManyCrmChanges(a: PendingWork, b: PendingWork): boolean {
  return (a.crmChanges?.length ?? 0) + (b.crmChanges?.length ?? 0) > MAX_PENDING_CRM_CHANGES;
}

/** Both lists of events to tell apart; absent when there are none (work as rules 1.1 knew it). */
function crmChangesOf(a: PendingWork, b: PendingWork): Pick<PendingWork, 'crmChanges'> {
  const changes = [...(a.crmChanges ?? []), ...(b.crmChanges ?? [])];
  return changes.length === 0 || tooManyCrmChanges(a, b) ? {} : { crmChanges: changes };
}

/**
 * The memory's shape. Memory is carried across continue-as-new into code that may be newer than
 * the code that wrote it: `upgradeMemory` fills in what an older version lacks.
 */
export const MEMORY_VERSION = 4;

export interface TicketMemory {
  version: number;
  lifecycle: LifecycleState;
  /** The linked CRM ticket; `requesterId` is refreshed by every read (a requester can be merged away). */
  crm: { ticketId: string; requesterId: string } | null;
  /** Comment cursors and the comments the bridge wrote on each side (echo suppression). */
  sourceComments: CommentMemory;
  crmComments: CommentMemory;
  /** Work announced by signals and not yet done: survives continue-as-new. */
  pending: PendingWork;
  /** Work whose sync failed for good (a 4xx): retried after a back-off, or with the next sync. */
  deferred: PendingWork;
  /** The source's assignee as last mirrored to the CRM (undefined: never looked at). */
  sourceAssigneeRef?: string | null;
  /** `updatedAt` of the last snapshot applied: older ones are ignored. */
  appliedSnapshotUpdatedAt: string | null;
  seenEventIds: string[];
  /** Consecutive failed syncs, for the back-off before the next attempt. */
  failedSyncs: number;
  lastSyncAt: string | null;
  lastError: TicketStateView['lastError'];
  counts: TicketStateView['counts'];
  notes: string[];
  timeline: TicketStateView['timeline'];
  fingerprints: TicketStateView['fingerprints'];
  /** The source read as 404 since `since` (epoch ms), `reads` times: never taken as a deletion. */
  sourceMissing: { since: number; reads: number } | null;
  /** When to read again a side that answered 404 (`sourceMissing`, `crmMissing`). */
  rereadAt: number | null;
  /** The CRM ticket read as 404 since `since`, `reads` times (deleted by an admin, once it persists). */
  crmMissing: { since: number; reads: number } | null;
  /**
   * Writes a side refused for good (a 4xx other than a conflict), kept to try again on a slow
   * schedule while every other effect goes on; parked (`parked`) after `MAX_REFUSALS`.
   */
  refused: RefusedWrite[];
  /** What the bridge gave up on or waits for, with the reason: shown to operators, never silent. */
  parked: ParkedItem[];
  /**
   * Comment writes begun and not known to have landed (intents), by key (`crm:<source comment
   * id>`, `source:<crm comment id>`): a write whose intent is still open checks for a landed copy
   * first, whichever activity attempt it is, and a read that brings such a copy back claims it as
   * the bridge's own before anything is decided.
   */
  intents: Intent[];
  /**
   * The CRM ticket's version (the helpdesk's `updated_at`) from the last read or write, for conditional
   * writes (v3); null when unknown (a write's answer was lost, or an assignment changed it).
   */
  crmVersion: string | null;
  /**
   * Whether the CRM ticket had an assignee at the last read (rules 1.5; undefined: not known, as
   * in every run before them). A helpdesk may close only an assigned ticket: known, the close is one
   * conditional write; a change since moves the version, which that write is conditional on.
   */
  crmAssigned?: boolean;
  /**
   * The CRM ticket as the bridge's last conditional write left it (its answer's version and
   * status): an event that tells exactly this is the echo of that write (see `isOwnEcho`).
   */
  crmOwnWrite?: { version: string; status: string } | null;
  /**
   * The digests of the mapped fields last written to the CRM ticket (`mapped-field-changes-1`);
   * undefined: not known (a ticket linked before, adopted, or created without its mapped fields).
   */
  mappedFields?: MappedDigest;
  /**
   * Set while an operator has paused the ticket (src/workflows/pause.ts). Optional, and absent on a
   * ticket never paused: memory carried from older code has none, and a run that is never paused
   * carries exactly what it carried before.
   */
  pause?: { since: string; reason: string } | null;
}

/** Memory carried from a run of older code, with what that version lacked filled in. */
export function upgradeMemory(carried: Partial<TicketMemory>): TicketMemory {
  return { ...initialMemory(), ...carried, version: MEMORY_VERSION };
}

export function initialMemory(): TicketMemory {
  return {
    version: MEMORY_VERSION,
    lifecycle: INITIAL_LIFECYCLE_STATE,
    crm: null,
    sourceComments: { cursor: null, ownIds: [] },
    crmComments: { cursor: null, ownIds: [] },
    // Work arrives with the start signal (signal-with-start).
    pending: NO_WORK,
    deferred: NO_WORK,
    appliedSnapshotUpdatedAt: null,
    seenEventIds: [],
    failedSyncs: 0,
    lastSyncAt: null,
    lastError: null,
    counts: {
      notifications: 0,
      syncs: 0,
      userCommentsToCrm: 0,
      agentRepliesToSource: 0,
      statusChangesToCrm: 0,
      statusChangesToSource: 0,
    },
    notes: [],
    timeline: [],
    fingerprints: { source: null, crm: null },
    sourceMissing: null,
    rereadAt: null,
    intents: [],
    crmVersion: null,
    crmOwnWrite: null,
    crmMissing: null,
    refused: [],
    parked: [],
  };
}

/**
 * The work handed to the next run with events not yet told apart taken as a read of the helpdesk:
 * what any worker, whatever its rules, does with `crm` work. Costs that run one read.
 */
export function withCrmChangesAsRead(work: PendingWork): PendingWork {
  const { crmChanges, ...rest } = work;
  return (crmChanges?.length ?? 0) > 0 ? { ...rest, crm: true } : work;
}

export function hasWork(work: PendingWork): boolean {
  return (
    work.source ||
    work.crm ||
    work.deleted ||
    work.snapshot !== null ||
    work.closeReason !== null ||
    Boolean(work.solvedTimer) ||
    (work.crmChanges?.length ?? 0) > 0
  );
}

export function toStateView(input: TicketWorkflowInput, memory: TicketMemory): TicketStateView {
  const { lifecycle } = memory;
  return {
    source: input.source,
    sourceTicketId: input.sourceTicketId,
    status: lifecycle.status,
    sourceStatus: lifecycle.sourceStatus,
    crmStatus: lifecycle.crmStatus,
    crmTicketId: memory.crm?.ticketId ?? null,
    lastSyncAt: memory.lastSyncAt,
    solvedTimerDeadline: lifecycle.solvedTimerDeadline === null ? null : new Date(lifecycle.solvedTimerDeadline).toISOString(),
    lastError: memory.lastError,
    counts: { ...memory.counts },
    notes: [...memory.notes],
    timeline: [...memory.timeline],
    fingerprints: { ...memory.fingerprints },
    parked: parkedView(memory),
    ...(memory.pause && { paused: { ...memory.pause } }),
    completed: lifecycle.completed,
  };
}

/** Where a side's comments were read up to: the cursor, the bridge's own ids ahead of it, the ids just behind it. */
export interface CommentMemory {
  cursor: CommentCursor | null;
  ownIds: string[];
  recent?: RecentComments | null;
}

/** A comment write begun and not known to have landed (see `TicketMemory.intents`). */
export interface Intent {
  key: string;
  /** The side's comment cursor when the intent was opened: a landed copy comes after it. */
  after: string | null;
  /** `textDigest` of the text written: how a read recognises the landed copy. */
  digest: string;
  /** The id a read found the landed copy under: the write is done, nothing is posted again. */
  landedAs?: string;
}

/** A comment write a side refused for good, kept to try again (see `TicketMemory.refused`). */
export interface RefusedWrite {
  /** The write's intent key (`crm:<source comment id>`, `source:<crm comment id>`). */
  key: string;
  effect: Effect;
  refusals: number;
  /** The refusal's kind (`unprocessable`, `forbidden`, ...): never the remote's message text. */
  reason: string;
  since: string;
  /** Epoch ms of the next attempt. */
  retryAt: number;
}

export interface ParkedItem {
  what: string;
  reason: string;
  since: string;
}

/** Everything waiting on a person or a remote, each with its reason: refusals still retried, parked items, missing sides. */
function parkedView(memory: TicketMemory): TicketStateView['parked'] {
  // A completed ticket retries nothing: what was still kept stays undelivered, and says so.
  const next = (r: RefusedWrite) => (memory.lifecycle.completed ? 'not delivered: the ticket ended first' : `next attempt ${new Date(r.retryAt).toISOString()}`);
  const retrying = memory.refused.map((r) => ({
    what: describeKey(r.key),
    reason: `refused (${r.reason}) ${r.refusals} time(s); ${next(r)}`,
    since: r.since,
  }));
  const missing = [
    ...(memory.sourceMissing ? [{ what: 'source ticket', reason: `reads as 404 (${memory.sourceMissing.reads} reads)`, since: new Date(memory.sourceMissing.since).toISOString() }] : []),
    ...(memory.crmMissing ? [{ what: 'CRM ticket', reason: `reads as 404 (${memory.crmMissing.reads} reads)`, since: new Date(memory.crmMissing.since).toISOString() }] : []),
  ];
  return [...retrying, ...memory.parked, ...missing];
}

/** An intent key as an operator reads it: which comment, to which side. */
export function describeKey(key: string): string {
  const [side, id] = key.split(':', 2);
  return side === 'crm' ? `source comment ${id} → CRM` : side === 'source' ? `CRM comment ${id} → source` : key;
}
