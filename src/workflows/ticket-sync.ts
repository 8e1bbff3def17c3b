/**
 * One sync of a ticket, in four steps: collect the work (./ticket-workflow), read both sides,
 * let the pure lifecycle decide once (../domain/lifecycle), write conditionally. Progress is
 * recorded on the memory effect by effect (comment cursors, side statuses, intents), so a sync
 * that fails half-way redoes only what did not happen.
 *
 * Sync rules 1.0: these are the rules every run follows (docs/sync-rules.md). A change to what
 * this code does gets a `patched()` id of its own and a new recorded replay history
 * (test/replay); the meaning of an existing patch id never changes.
 */
import { ActivityFailure, ApplicationFailure, CancelledFailure, patched, proxyActivities, proxyLocalActivities, TemporalFailure, workflowInfo } from '@temporalio/workflow';
import {
  NON_RETRYABLE_FAILURE_TYPES,
  TICKET_ACTIVITY_OPTIONS,
  TICKET_FILE_WRITE_OPTIONS,
  TICKET_BOUNDED_LOCAL_READ_OPTIONS,
  TICKET_LOCAL_READ_OPTIONS,
  TICKET_WRITE_OPTIONS,
} from '../activities/retry-policy';
import type { CrmRead, FileOutcome, FullText, SourceRead, StatusWriteOutcome, TicketActivities } from '../activities/types';
import { boundedIds, compareComments, type CommentCursor } from '../domain/comments';
import { matchesDigest, textDigest } from '../domain/digest';
import { crmFingerprint, unverifiedFingerprint } from '../domain/fingerprints';
import { decide, sameSecondDecides, type Effect, type LifecycleSettings, type LifecycleState, type Observation } from '../domain/lifecycle';
import { crmBodyForSupportNote, crmBodyForUserComment, sourceBodyForAgentReply, SUPPORT_NOTE_PREFIX } from '../domain/messages';
import { CRM_BRIDGE_TAG, crmExternalId, type CrmStatus, type SourceComment, type SourceTicket } from '../domain/ticket';
import { PATCHES, type TicketWorkflowInput, type TicketWorkflowSettings } from './definitions';
import { ownEchoLine, tellCrmChanges } from './intake';
import { createIsUnseen } from './fresh-create';
import { mappedFieldsDue, writeMappedFields } from './mapped-fields';
import { describeKey, hasWork, MEMORY_BOUNDS, mergeWork, NO_WORK, type CommentMemory, type PendingWork, type TicketMemory } from './memory';
import { intentKey, isRefusal, noteRefusal, refusalKind, refusalsDue, type Refusals } from './refusals';
import type { SyncRules } from './rules';
import { addNote, describeAssignment, describeEffect, describeFiles, record, sideName, type SideNames } from './timeline';

/** Retried until the remote is back (see TICKET_ACTIVITY_OPTIONS for why these numbers). */
const activities = proxyActivities<TicketActivities>(TICKET_ACTIVITY_OPTIONS);
/** Writes within a bounded window (see TICKET_WRITE_OPTIONS). */
const writeActivities = proxyActivities<TicketActivities>(TICKET_WRITE_OPTIONS);
/** Writes that carry files, streamed in the activity (see TICKET_FILE_WRITE_OPTIONS). */
const fileWriteActivities = proxyActivities<TicketActivities>(TICKET_FILE_WRITE_OPTIONS);
/** Reads, first as local activities (see TICKET_LOCAL_READ_OPTIONS): their attempts bounded since rules 1.3. */
type LocalReads = Pick<TicketActivities, 'readSourceTicket' | 'readCrmTicket'>;
const unboundedLocalReads = proxyLocalActivities<LocalReads>(TICKET_LOCAL_READ_OPTIONS);
const boundedLocalReads = proxyLocalActivities<LocalReads>(TICKET_BOUNDED_LOCAL_READ_OPTIONS);

type SourceStatusEffect = Extract<Effect, { type: 'set-source-status' }>;
type CrmStatusEffect = Extract<Effect, { type: 'set-crm-status' }>;
type StatusEffect = SourceStatusEffect | CrmStatusEffect;

/** Statuses the helpdesk takes in a comment's write without more (solving needs an assignee, closing a solve). */
const WITH_COMMENT_CRM_STATUSES: ReadonlySet<CrmStatus> = new Set(['new', 'open', 'pending', 'hold']);

/** Which side's notification a sync answers: that side is read first, and may be the only one read. */
export type NotifiedSide = 'source' | 'crm' | 'both';

/** Conflicts in a row that one sync re-reads and re-decides before it backs off like a failure. */
const MAX_CONFLICTS_PER_SYNC = 3;

/**
 * Windows one sync reads and decides before it hands the rest to the next sync (and so lets the
 * workflow continue-as-new in between): a conversation of any length moves on, history never
 * grows without bound inside one sync.
 */
const MAX_WINDOWS_PER_SYNC = 20;

/**
 * Bytes of new comment text one read may bring into history: far below Temporal's 2 MB payload
 * limit, so a conversation of any length is read (and mirrored) in windows of this size.
 */
const READ_WINDOW_BYTES = 256 * 1024;

/** What the decision being performed saw: the conditions its status writes carry. */
interface Observed {
  sourceStatus: SourceTicket['status'];
  sourceCursor: CommentCursor | null;
  crmStatus: CrmRead['status'];
  crmCursor: CommentCursor | null;
  crmAssigned: boolean;
  /** The CRM side is the bridge's last knowledge of it, not a read (rules 1.2, `rememberedCrm`). */
  crmRemembered: boolean;
  /** The source side is the bridge's last knowledge of it, not a read (rules 1.4, `rememberedSource`). */
  sourceRemembered: boolean;
}

/**
 * A helpdesk's `updated_at` may have one-second resolution: a change later in the same second
 * carries the same version. How far the workflow's clock and the helpdesk's may be apart (NTP
 * keeps them closer).
 */
const CLOCK_SKEW_MS = 500;

/** No change can carry `version` any more: its second is over (by the workflow's clock, give or take the skew). */
function settled(version: string, now: number): boolean {
  return Math.floor(Date.parse(version) / 1000) * 1000 + 1000 + CLOCK_SKEW_MS <= now;
}

/** Effects written to the CRM conditionally, on the version the decision was made from. */
const CONDITIONAL_CRM_WRITES: ReadonlySet<Effect['type']> = new Set(['crm-user-comment', 'crm-support-note', 'crm-internal-note', 'set-crm-status']);

/** A CRM write made from the bridge's last knowledge was refused: read the CRM and decide again. */
class StaleCrmKnowledge extends Error {}

/** A source write made from the bridge's last knowledge was refused: read the source and decide again. */
class StaleSourceKnowledge extends Error {}

/** The writes to the source, each made by an activity that reads the ticket first (see `rememberedSource`). */
const SOURCE_WRITES: ReadonlySet<Effect['type']> = new Set(['source-agent-reply', 'set-source-status']);

/** The time of a remembered source ticket, which no decision from it may use (it has no news). */
const NO_TIME = new Date(0).toISOString();

/** How the bridge learns that a side's ticket is gone (404): confirmed by re-reads, never at once. */
export const MISSING_REREAD = { firstMs: 2_000, maxMs: 5 * 60_000 } as const;

export class TicketSync {
  constructor(
    private readonly input: TicketWorkflowInput,
    private readonly settings: TicketWorkflowSettings,
    private readonly memory: TicketMemory,
    /** Called after every lifecycle step (the workflow publishes status to the Temporal UI). */
    private readonly onStep: () => void,
    private readonly rules: SyncRules,
  ) {}

  private get localReads(): LocalReads {
    return this.rules.boundedLocalReads ? boundedLocalReads : unboundedLocalReads;
  }

  /** The helpdesk as the timeline and the notes name it (`crmName`). */
  private get crm(): string {
    return this.settings.crmName;
  }

  private get names(): SideNames {
    return { source: this.input.source, crm: this.crm };
  }

  /** Set while a decision's effects are performed. */
  private observed: Observed | null = null;
  /** The CRM ticket as the bridge's last conditional comment write left it (its answer). */
  private crmAfterOwnComment: { version: string; status: CrmStatus } | null = null;
  /**
   * A write to the CRM in this decision whose answer is unknown (a landed copy found after a lost
   * answer): what the helpdesk did with it (e.g. reopened the ticket) is read once more.
   */
  private crmAnswerUnknown = false;
  /** How the status written with a comment went (rules 1.2): null when written. */
  private statusAfterComment: ActivityFailure | null = null;
  /**
   * The source ticket as this sync's first comment to it found it, just before writing (the
   * activity's own read): the comment moved its `updatedAt`, so a read after it dates the user's
   * last status change by the bridge's own write (`sourceAsTheUserLeftIt`).
   */
  private sourceBeforeOwnComment: { status: SourceTicket['status']; updatedAt: string } | null = null;
  /** This run asked for its ticket's create (rules 1.7: a second ask looks up first). */
  private createTried = false;

  /** One sync. false when it failed for good (an outage past the write window, a read refused). */
  async run(pending: PendingWork): Promise<boolean> {
    const memory = this.memory;
    memory.counts.syncs++;
    this.sourceBeforeOwnComment = null;
    const work = this.heardFromCrm(pending);
    if (!hasWork(work)) return true;
    try {
      if (work.closeReason !== null) {
        // What is still to mirror travels first; the close then reads nothing new.
        if (!work.deleted) await this.syncBeforeClose();
        if (!memory.lifecycle.completed) await this.apply({ type: 'operator-closed', reason: work.closeReason, now: Date.now() });
      } else if (work.deleted) {
        await this.apply({ type: 'source-deleted', now: Date.now() });
      } else {
        // Every notification, the timer and retries: both sides read, one decision.
        const firedFor = work.solvedTimer ? memory.lifecycle.solvedTimerDeadline : null;
        await this.syncBoth(notifiedSide(work));
        if (!memory.lifecycle.completed && !this.sideMissing()) await this.retryRefused();
        // A side that reads as 404 is not read: nothing is closed on a guess.
        if (work.solvedTimer && !this.sideMissing()) await this.closeIfUnconfirmed(firedFor);
      }
      memory.lastSyncAt = new Date(Date.now()).toISOString();
      return true;
    } catch (err) {
      const failure = SyncFailure.from(err);
      if (!failure) throw err; // a bug in this code: let the workflow task fail and be fixed, not swallowed
      memory.lastError = { at: new Date(Date.now()).toISOString(), ...failure.describe() };
      record(memory, 'failed', `${failure.operation}: ${failure.type}`);
      memory.deferred = mergeWork(memory.deferred, work);
      return false;
    }
  }

  /**
   * Rules 1.2: the helpdesk's events told apart now that the answers of the writes they may echo are
   * in (see `PendingWork.crmChanges`); only news among them has the CRM read.
   */
  private heardFromCrm(pending: PendingWork): PendingWork {
    const { work, echoes, news } = tellCrmChanges(this.memory, pending);
    const ticket = this.memory.crm?.ticketId ?? '?';
    if (news > 0) record(this.memory, 'received', `${this.crm}: ticket ${ticket} changed`);
    for (const echo of echoes) record(this.memory, 'received', ownEchoLine(this.crm, echo));
    return work;
  }

  /** A side read as 404 and not yet readable again: the sync waits for it (`rereadAt`). */
  sideMissing(): boolean {
    return this.memory.sourceMissing !== null || this.memory.crmMissing !== null;
  }

  /** Let the lifecycle decide on an observation that needs no read, and perform what it decided. */
  private async apply(observation: Observation): Promise<void> {
    const decision = decide(this.memory.lifecycle, observation, this.lifecycleSettings());
    for (const effect of decision.effects) {
      const written = await this.perform(effect, null);
      record(this.memory, 'synced', describeEffect(effect, this.names, written));
    }
    this.memory.lifecycle = decision.state;
    this.onStep();
  }

  /**
   * Read both sides and decide once from both. A notification from one side reads that side
   * first, and only that side when it shows nothing new (a duplicate, the echo of the bridge's own
   * write): nothing to decide, so nothing is written. A status write that finds its side changed
   * since these reads (a conflict) is news: read both again and decide again.
   */
  private async syncBoth(notified: NotifiedSide = 'both'): Promise<void> {
    const { memory } = this;
    let conflicts = 0;
    for (let first = notified, windows = 1; ; first = 'both', windows++) {
      if (windows > MAX_WINDOWS_PER_SYNC) {
        // The rest is the next sync's: the workflow may continue-as-new in between.
        memory.pending = mergeWork(memory.pending, { ...NO_WORK, source: true, crm: true });
        return;
      }
      let crm = first === 'crm' && memory.crm !== null && memory.lifecycle.linked ? await this.readCrmWindow() : undefined;
      if (crm && !this.crmHasNews(crm)) return this.nothingNew(null, crm);
      const remembered = first === 'crm' && crm ? this.rememberedSource(crm) : undefined;
      const source = remembered ?? (await this.readSourceWindow());
      if (source === null) return this.onSourceMissing();
      if (!remembered) this.sourceReadable(source.fingerprint);
      if (memory.crm === null) {
        // Not linked yet: create the CRM ticket from this read, or adopt the one already there.
        const adopted = await this.link(source);
        if (memory.lifecycle.completed || (!adopted && !source.more)) return;
        continue;
      }
      if (first === 'source' && memory.lifecycle.linked && !this.sourceHasNews(source) && !mappedFieldsDue(memory, source, this.crm)) {
        return this.nothingNew(source, null);
      }
      if (crm === undefined && first === 'source') crm = this.rememberedCrm(source);
      if (crm === undefined) crm = await this.readCrmWindow();
      if (crm === null) return this.onCrmMissing(source);
      if (crm.status === 'closed' && wroteAgain(source)) {
        // A closed helpdesk ticket takes no more comments: the user's message opens a follow-up.
        await this.openFollowUp(source);
        continue;
      }
      try {
        await this.decideFromBoth(source, crm);
        if (this.crmAnswerUnknown) {
          this.crmAnswerUnknown = false;
          memory.pending = mergeWork(memory.pending, { ...NO_WORK, crm: true });
        }
        // A remembered source has no assignee or mapped fields to tell: they are its reads' news.
        if (!remembered && !memory.lifecycle.completed) await this.syncAssignee(memory.crm.ticketId, source.ticket.assigneeRef);
        if (!remembered) await writeMappedFields(memory, this.input, source, this.crm);
      } catch (err) {
        if (err instanceof StaleCrmKnowledge) {
          // Not a conflict of this sync's reads: the CRM is read now, once, and decided from.
          record(memory, 'received', `${this.crm} ticket ${memory.crm.ticketId} changed since the bridge last saw it: reading it`);
          continue;
        }
        if (err instanceof StaleSourceKnowledge) {
          record(memory, 'received', `${sideName(this.input.source)} ticket changed since the bridge last saw it: reading it`);
          continue;
        }
        if (!isWriteConflict(err) || ++conflicts > MAX_CONFLICTS_PER_SYNC) throw err;
        record(memory, 'received', `${writeConflictSide(err, this.names)} changed since it was read: reading both sides again`);
        continue;
      }
      if (memory.lifecycle.completed) return;
      if (!source.more && !crm.more) return;
    }
  }

  /**
   * Rules 1.2: the CRM ticket as the bridge last knew it, standing in for a read of it when a
   * source's news is decided, if the helpdesk itself will check that knowledge: the decision's first
   * effect is a CRM write, and every CRM write is conditional on the version known, so a ticket
   * changed since refuses it (409), which is the news that has it read (within the version's
   * resolution: a change in the same second as the version shares it, see docs/sync-rules.md,
   * "Limits"). Never while that
   * version's second may not be over, for a closed ticket (whose next write is a follow-up), for
   * a solved one (whose next write may be a close, which needs an assignee) unless rules 1.5 and
   * the last read showed it assigned, while a reply's landed copy is looked for, or when unknown.
   * undefined: read it.
   */
  private rememberedCrm(source: SourceRead): CrmRead | undefined {
    const { memory } = this;
    const { crmVersion: version } = memory;
    const status = memory.lifecycle.crmStatus;
    if (!this.rules.lean || memory.crm === null || version === null || status === null || memory.crmMissing !== null) return undefined;
    const solvedAndAssigned = status === 'solved' && this.rules.rememberedSolved && memory.crmAssigned === true;
    if ((status === 'solved' && !solvedAndAssigned) || status === 'closed' || !settled(version, Date.now())) return undefined;
    if (memory.intents.some((i) => i.key.startsWith('source:') && i.landedAs === undefined)) return undefined;
    const remembered: CrmRead = {
      status,
      version,
      newAgentReplies: [],
      cursor: memory.crmComments.cursor,
      ownIds: memory.crmComments.ownIds,
      more: false,
      recent: memory.crmComments.recent ?? null,
      fingerprint: memory.fingerprints.crm ?? '',
      requesterId: memory.crm.requesterId,
      remembered: true,
      ...(solvedAndAssigned && { assigned: true }),
    };
    const observation = this.bothRead(source, remembered);
    const [first] = decide(memory.lifecycle, observation, this.lifecycleSettings(observation)).effects;
    return first !== undefined && CONDITIONAL_CRM_WRITES.has(first.type) ? remembered : undefined;
  }

  /**
   * Rules 1.4: the source ticket as the bridge last knew it, standing in for a read of it when the
   * helpdesk's news is decided, if the source's write activities will check that knowledge
   * themselves: every effect of the decision is a write to the source (an agent's reply, a
   * status), and each of those activities reads the ticket first and refuses (a conflict) when the
   * user commented, closed, answered, marked it resolved or reopened it since what the decision saw
   * (`userActedSince` with `remembered`, `unlessClosed`): the news that has both sides read and
   * decided again; a refusal (4xx) of such a write has the source read (`StaleSourceKnowledge`). What a remembered source
   * cannot show (the user's comment whose notification is still on its way) is that
   * notification's to bring. Never for a SOLVED or CLOSED ticket (the user's answer decides
   * there), while any write's landed copy is looked for, or when nothing is known. undefined: read it.
   */
  private rememberedSource(crm: CrmRead): SourceRead | undefined {
    const { memory, input } = this;
    const status = memory.lifecycle.sourceStatus;
    if (!this.rules.rememberedSource || memory.crm === null || !memory.lifecycle.linked || status === null || memory.sourceMissing !== null) return undefined;
    if (status === 'SOLVED' || status === 'CLOSED' || memory.intents.some((i) => i.landedAs === undefined)) return undefined;
    const remembered: SourceRead = {
      ticket: {
        source: input.source,
        id: input.sourceTicketId,
        status,
        title: '',
        description: '',
        requester: { externalId: null, name: null, email: null },
        assigneeRef: memory.sourceAssigneeRef ?? null,
        comments: [],
        createdAt: NO_TIME,
        updatedAt: NO_TIME,
      },
      newComments: [],
      cursor: memory.sourceComments.cursor,
      ownIds: memory.sourceComments.ownIds,
      more: false,
      recent: memory.sourceComments.recent ?? null,
      fingerprint: memory.fingerprints.source ?? '',
      remembered: true,
    };
    const observation = this.bothRead(remembered, crm);
    const { effects } = decide(memory.lifecycle, observation, this.lifecycleSettings(observation));
    return effects.length > 0 && effects.every((e) => SOURCE_WRITES.has(e.type)) ? remembered : undefined;
  }

  /** The observation of a decision from both sides. */
  private bothRead(source: SourceRead, crm: CrmRead): Observation {
    return {
      type: 'both-read',
      source: { ticket: this.sourceAsTheUserLeftIt(source), newComments: source.newComments },
      crm: { status: crm.status, newAgentReplies: crm.newAgentReplies, updatedAt: crm.version ?? new Date(0).toISOString() },
      now: Date.now(),
    };
  }

  /**
   * The source ticket with the `updatedAt` of the user's last action, not of the bridge's own
   * comment this sync (`own-write-not-the-users-1`). When both sides have news, a changed source
   * status is dated by `updatedAt` (lifecycle `humanActionAt`). After the bridge posted an agent's
   * reply and its status write met the user's change (a conflict, both sides read again), that
   * `updatedAt` was the reply's own: a reply slow enough to land in a later second than the
   * agent's change made the user's older change look newer, and the agent's status was lost
   * (test/bridge/sync-correctness.test.ts, "the same with a slow app…"). The read before the
   * comment still dates it: the status is what it was then (no status was written since), and no
   * user comment is newer than it, so nothing the user did came after. Not when the read leaves
   * comments for the next window: a newer one may be among them.
   */
  private sourceAsTheUserLeftIt(source: SourceRead): SourceTicket {
    const before = this.sourceBeforeOwnComment;
    if (before === null || source.remembered || source.more || source.ticket.status !== before.status) return source.ticket;
    const beforeAt = Date.parse(before.updatedAt);
    if (!(Date.parse(source.ticket.updatedAt) > beforeAt)) return source.ticket;
    if (source.newComments.some((c) => c.author === 'USER' && Date.parse(c.createdAt) > beforeAt)) return source.ticket;
    if (!patched(PATCHES.ownWriteNotTheUsers)) return source.ticket;
    return { ...source.ticket, updatedAt: before.updatedAt };
  }

  /** The source shows something the lifecycle has not decided on: a comment, a status, an assignee. */
  private sourceHasNews(read: SourceRead): boolean {
    const { lifecycle, sourceAssigneeRef } = this.memory;
    const assigneeChanged = read.ticket.assigneeRef !== sourceAssigneeRef && !(sourceAssigneeRef === undefined && read.ticket.assigneeRef === null);
    return read.newComments.length > 0 || read.more || read.ticket.status !== lifecycle.sourceStatus || assigneeChanged;
  }

  /** The CRM shows something the lifecycle has not decided on: an agent's reply or a status. */
  private crmHasNews(read: CrmRead): boolean {
    return read.newAgentReplies.length > 0 || read.more || read.status !== this.memory.lifecycle.crmStatus;
  }

  /** A read with nothing new: its cursor moves past the bridge's own comments it saw. */
  private nothingNew(source: SourceRead | null, crm: CrmRead | null): void {
    const memory = this.memory;
    if (source) memory.sourceComments = { cursor: source.cursor, ownIds: boundedIds(source.ownIds, MEMORY_BOUNDS.ownIds), recent: source.recent };
    if (crm) memory.crmComments = { cursor: crm.cursor, ownIds: boundedIds(crm.ownIds, MEMORY_BOUNDS.ownIds), recent: crm.recent };
  }

  private readSourceWindow(): Promise<SourceRead | null> {
    const { input, memory } = this;
    const request = { source: input.source, ticketId: input.sourceTicketId, window: { ...memory.sourceComments, maxBytes: READ_WINDOW_BYTES } };
    return localFirst(
      'readSourceTicket',
      () => this.localReads.readSourceTicket(request),
      () => activities.readSourceTicket(request),
    );
  }

  /** What is still to mirror travels before an operator's close; a sync that fails does not hold the close back. */
  private async syncBeforeClose(): Promise<void> {
    try {
      await this.syncBoth();
    } catch (err) {
      const failure = SyncFailure.from(err);
      if (!failure) throw err;
      record(this.memory, 'failed', `${failure.operation}: ${failure.type} (closing anyway, as the operator asked)`);
    }
  }

  /**
   * The SOLVED timer, after both sides were just read: if the user neither confirmed nor
   * answered, close both sides, conditionally (the CRM first: see `onSolvedTimerFired`). A side
   * that changed meanwhile is read again first.
   */
  private async closeIfUnconfirmed(firedFor: number | null): Promise<void> {
    for (let conflicts = 0; !this.memory.lifecycle.completed; ) {
      // The timer fired for `firedFor`: still the deadline (nobody re-solved meanwhile), it is due.
      const now = firedFor !== null && this.memory.lifecycle.solvedTimerDeadline === firedFor ? Math.max(Date.now(), firedFor) : Date.now();
      try {
        return await this.apply({ type: 'solved-timer-fired', now });
      } catch (err) {
        if (!isWriteConflict(err) || ++conflicts > MAX_CONFLICTS_PER_SYNC) throw err;
        record(this.memory, 'received', `${writeConflictSide(err, this.names)} changed since it was read: reading both sides again`);
        await this.syncBoth();
        if (this.sideMissing()) return;
      }
    }
  }

  /** The CRM ticket's news since the cursor; null when the helpdesk says 404. */
  private async readCrmWindow(): Promise<CrmRead | null> {
    const linked = this.memory.crm!;
    const request = {
      crmTicketId: linked.ticketId,
      window: { ...this.memory.crmComments, maxBytes: READ_WINDOW_BYTES },
      participants: { requesterId: linked.requesterId, bridgeUserId: null },
    };
    const read = await localFirst(
      'readCrmTicket',
      () => this.localReads.readCrmTicket(request),
      () => activities.readCrmTicket(request),
    );
    if (read === null) return null;
    if (this.memory.crmMissing) record(this.memory, 'received', `${this.crm} ticket ${linked.ticketId} readable again`);
    this.memory.crmMissing = null;
    if (this.memory.sourceMissing === null) this.memory.rereadAt = null;
    // The requester is whoever the helpdesk says now (a merged requester has a new id).
    if (read.requesterId && read.requesterId !== linked.requesterId) this.memory.crm = { ...linked, requesterId: read.requesterId };
    this.memory.fingerprints.crm = read.fingerprint;
    this.memory.crmVersion = read.version;
    if (this.rules.rememberedSolved) this.memory.crmAssigned = read.assigned === true;
    return read;
  }

  /**
   * One decision from both reads, performed effect by effect. Each side's cursor moves past what
   * its read saw only once every effect is done; the comments the bridge wrote meanwhile (after
   * the read) stay known as its own. On a conflict, the lifecycle keeps what was decided, but
   * forgets the status of each side it did not get to write: the next read of that side is news,
   * and the later change wins. A write a side refuses for good blocks nothing: it is kept to try
   * again (`refused`), and the rest of the decision goes on.
   */
  private async decideFromBoth(read: SourceRead, crm: CrmRead): Promise<void> {
    const memory = this.memory;
    const source = this.claimLanded(read);
    const before = { source: new Set(memory.sourceComments.ownIds), crm: new Set(memory.crmComments.ownIds) };
    this.observed = {
      sourceStatus: source.ticket.status,
      sourceCursor: source.cursor,
      crmStatus: crm.status,
      crmCursor: crm.cursor,
      crmAssigned: crm.assigned === true,
      crmRemembered: crm.remembered === true,
      sourceRemembered: read.remembered === true,
    };
    const beforeTheClose = this.deliveredBeforeTheClose(source, crm);
    const observation = this.bothRead(source, beforeTheClose.crm);
    const decision = decide(memory.lifecycle, observation, this.lifecycleSettings(observation));
    if (crm.status === 'closed' && source.newComments.some((c) => c.author === 'USER')) {
      const ids = source.newComments.filter((c) => c.author === 'USER').map((c) => c.id);
      addNote(memory, `${this.crm} ticket ${memory.crm!.ticketId} is closed: user comment(s) ${ids.join(', ')} could not reach it.`);
    }
    const refusedStatus = { crm: false, source: false };
    try {
      // On a failure or a conflict, the lifecycle stays where it was before this decision (plus
      // the status writes that landed, see perform): what the decision read as news is news
      // again on the next read, and a CLOSED is decided again, not taken as done.
      const effects = decision.effects;
      for (let i = 0; i < effects.length; i++) {
        const effect = effects[i]!;
        const withStatus = this.statusWithComment(effect, effects[i + 1]);
        if (withStatus) i++;
        for (const refused of await this.performOrKeep(effect, source.ticket, withStatus)) {
          if (refused === 'set-crm-status') refusedStatus.crm = true;
          if (refused === 'set-source-status') refusedStatus.source = true;
        }
      }
    } finally {
      this.observed = null;
    }
    for (const replyId of beforeTheClose.delivered) this.replyDone(replyId);
    const ownSince = (ids: string[], known: Set<string>) => ids.filter((id) => !known.has(id));
    memory.sourceComments = {
      cursor: source.cursor,
      ownIds: boundedIds([...source.ownIds, ...ownSince(memory.sourceComments.ownIds, before.source)], MEMORY_BOUNDS.ownIds),
      recent: source.recent,
    };
    memory.crmComments = {
      cursor: crm.cursor,
      ownIds: boundedIds([...crm.ownIds, ...ownSince(memory.crmComments.ownIds, before.crm)], MEMORY_BOUNDS.ownIds),
      recent: crm.recent,
    };
    // A refused status write: that side is remembered as it was read, so the next decision sees it again.
    let state = this.withOwnWriteStatus(decision.state);
    if (refusedStatus.crm) state = { ...state, crmStatus: crm.status };
    if (refusedStatus.source) state = { ...state, sourceStatus: source.ticket.status };
    memory.lifecycle = state;
    this.onStep();
  }

  /**
   * A closed source ticket: the agent's replies whose landed copies are in it (claimed by this
   * read or an earlier one) reached the user before the close. Not news for the lifecycle, which
   * would note them in the helpdesk as not delivered; done once the decision is (`replyDone`):
   * until then their intents say so again to a read after a conflict.
   */
  private deliveredBeforeTheClose(source: SourceRead, crm: CrmRead): { crm: CrmRead; delivered: string[] } {
    if (source.ticket.status !== 'CLOSED') return { crm, delivered: [] };
    const landed = new Set(this.memory.intents.filter((i) => i.landedAs !== undefined).map((i) => i.key));
    const delivered = crm.newAgentReplies.filter((reply) => landed.has(`source:${reply.id}`)).map((reply) => reply.id);
    if (delivered.length === 0 || !patched(PATCHES.deliveredBeforeTheClose)) return { crm, delivered: [] };
    return { crm: { ...crm, newAgentReplies: crm.newAgentReplies.filter((reply) => !delivered.includes(reply.id)) }, delivered };
  }

  /** An agent's reply whose copy reached the source before the user closed the ticket: done. */
  private replyDone(replyId: string): void {
    const memory = this.memory;
    memory.intents = memory.intents.filter((i) => i.key !== `source:${replyId}`);
    memory.counts.agentRepliesToSource++;
    record(memory, 'synced', `agent reply ${replyId} reached the ${sideName(this.input.source)} before the user closed the ticket`);
  }

  /**
   * Rules 1.2: the status that follows a comment to the same side in a decision is written by
   * the comment's activity (one write per side): with an agent's reply, right after it; with a
   * message to the helpdesk, in the same write (see the adapter). Not for a reply whose landed
   * copy was found (nothing to write but the status), nor a helpdesk status that needs more than
   * the write.
   */
  private statusWithComment(effect: Effect, next: Effect | undefined): StatusEffect | undefined {
    if (!this.rules.lean) return undefined;
    if (effect.type === 'source-agent-reply' && next?.type === 'set-source-status') {
      const key = `source:${effect.comment.id}`;
      return this.memory.intents.some((i) => i.key === key && i.landedAs !== undefined) ? undefined : next;
    }
    const toCrm = effect.type === 'crm-user-comment' || effect.type === 'crm-support-note';
    return toCrm && next?.type === 'set-crm-status' && WITH_COMMENT_CRM_STATUSES.has(next.status) ? next : undefined;
  }

  /**
   * One effect (an agent's reply with the status after it: both); a refusal for good (a 4xx
   * other than a conflict) is recorded instead of failing the decision. Returns the types of the
   * refused effects.
   */
  private async performOrKeep(effect: Effect, ticket: SourceTicket | null, withStatus?: StatusEffect): Promise<Effect['type'][]> {
    // Refused earlier in this sync and kept: news again only because a conflict had both sides read
    // before the decision's end. Written now (the ticket may be closing: no retry comes after
    // that), and the write ends its kept retry, which would write it again.
    const key = intentKey(effect);
    const kept = key !== null && this.memory.refused.some((r) => r.key === key) && patched(PATCHES.keptWritesWrittenOnce);
    try {
      const written = await this.perform(effect, ticket, { withStatus });
      if (kept) this.memory.refused = this.memory.refused.filter((r) => r.key !== key);
      record(this.memory, 'synced', `${describeEffect(effect, this.names, written)}${kept ? ' (kept after a refusal: written now, not retried)' : ''}`);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      // Refused from the bridge's last knowledge (the ticket was closed or deleted since): read it first.
      if (this.observed?.crmRemembered && CONDITIONAL_CRM_WRITES.has(effect.type)) throw new StaleCrmKnowledge();
      if (this.observed?.sourceRemembered && SOURCE_WRITES.has(effect.type)) throw new StaleSourceKnowledge();
      // Already kept: its retry comes on its schedule, and counts its own refusals.
      if (kept) record(this.memory, 'failed', `${describeEffect(effect, this.names)} refused again (${refusalKind(err)}): still kept, tried again on its schedule`);
      else await this.keepRefused(effect, err);
      // The reply did not go: its status is written on its own.
      return withStatus ? [effect.type, ...(await this.performOrKeep(withStatus, ticket))] : [effect.type];
    }
    if (!withStatus) return [];
    const statusFailure = this.statusAfterComment;
    this.statusAfterComment = null;
    if (statusFailure === null) {
      record(this.memory, 'synced', describeEffect(withStatus, this.names));
      return [];
    }
    if (!isRefusal(statusFailure)) throw statusFailure; // a conflict: news, read both sides again
    // Refused from the bridge's last knowledge of the source: read it first, as for the reply itself.
    if (this.observed?.sourceRemembered && withStatus.type === 'set-source-status') throw new StaleSourceKnowledge();
    await this.keepRefused(withStatus, statusFailure);
    return [withStatus.type];
  }

  /** A refused write: kept to try again later (comments), or left for the next decision (statuses). */
  private async keepRefused(effect: Effect, err: ActivityFailure): Promise<void> {
    const memory = this.memory;
    const kind = refusalKind(err);
    memory.lastError = { at: new Date(Date.now()).toISOString(), ...SyncFailure.from(err)!.describe() };
    const key = intentKey(effect);
    const outcome: Refusals = noteRefusal(memory, effect, key, kind, Date.now(), this.settings.refusedWriteRetryMs);
    const next = { kept: 'kept, tried again later', parked: 'parked', 'next-decision': 'decided again with the next sync', dropped: 'dropped' }[outcome];
    record(memory, 'failed', `${describeEffect(effect, this.names)} refused (${kind}): ${next}`);
    if (outcome === 'parked' && key !== null) {
      // Said where the agents work; the note is best-effort (the CRM ticket may be what refuses).
      const note: Effect = { type: 'crm-internal-note', body: parkedWriteNote(effect, kind, this.crm) };
      try {
        await this.perform(note, null);
      } catch (err) {
        if (!isRefusal(err)) throw err;
      }
    }
  }

  /** Comment writes refused earlier whose next attempt is due: tried again, each on its own. */
  private async retryRefused(): Promise<void> {
    for (const entry of refusalsDue(this.memory, Date.now())) {
      try {
        const written = await this.perform(entry.effect, null, { retry: true });
        this.memory.refused = this.memory.refused.filter((r) => r.key !== entry.key);
        record(this.memory, 'synced', `${describeEffect(entry.effect, this.names, written)} (after ${entry.refusals} refusal(s))`);
      } catch (err) {
        if (isWriteConflict(err)) {
          // The user closed the ticket meanwhile: the reply can no longer reach them, and waits no more.
          this.memory.refused = this.memory.refused.filter((r) => r.key !== entry.key);
          this.memory.intents = this.memory.intents.filter((i) => i.key !== entry.key);
          park(this.memory, describeKey(entry.key), 'not delivered: the ticket was closed meanwhile');
          record(this.memory, 'failed', `${describeEffect(entry.effect, this.names)}: not delivered, the ticket was closed meanwhile`);
          continue;
        }
        if (!isRefusal(err)) throw err;
        await this.keepRefused(entry.effect, err);
      }
    }
  }

  /**
   * A helpdesk may reopen a ticket when the requester's comment lands (a rule of its own), also
   * when the bridge writes an older comment after the agent's newer `pending` (the decision keeps
   * the agent's status). The answer of that write says so, and the helpdesk's event of it is
   * dropped at the door as an echo: the lifecycle takes the status from the answer, unless a
   * later write of this decision moved on.
   */
  private withOwnWriteStatus(state: LifecycleState): LifecycleState {
    const after = this.crmAfterOwnComment;
    if (after === null || after.version !== this.memory.crmVersion || after.status === state.crmStatus) return state;
    record(this.memory, 'received', `${this.crm} status ${after.status} after the bridge's comment (${this.crm}'s own rule)`);
    return { ...state, crmStatus: after.status };
  }

  /**
   * Link the CRM ticket: create it from this read of the source, or find the one a previous run
   * made (after a failed or terminated run, or after retention). A found ticket is adopted: what
   * was mirrored already is recovered from both conversations, nothing is written now, and the
   * next read decides from both sides. true when it adopted.
   */
  private async link(source: SourceRead): Promise<boolean> {
    const memory = this.memory;
    const decision = decide(memory.lifecycle, { type: 'source-read', ticket: source.ticket, newComments: source.newComments, now: Date.now() }, this.lifecycleSettings());
    const [create, ...rest] = decision.effects;
    if (create?.type !== 'create-crm-ticket') throw new Error('an unlinked ticket decides a create first');
    const urls = source.ticket.descriptionAttachments ?? [];
    const ensure = urls.length > 0 ? fileWriteActivities : writeActivities;
    const ticket = this.newCrmTicket(source.ticket, create.status);
    // After the end, a CRM ticket is found and adopted, or made only for a message written since.
    const afterEnd = this.input.afterEnd;
    const found = afterEnd ? await activities.findCrmTicket({ externalId: ticket.externalId }) : null;
    if (afterEnd && found === null && !wroteSince(source, afterEnd.endedAt)) {
      record(memory, 'received', `nothing new since the ticket ended${afterEnd.endedAt ? ` (${afterEnd.endedAt})` : ''}, and no ${this.crm} ticket to adopt: nothing to do`);
      memory.lifecycle = { ...memory.lifecycle, status: 'CLOSED', completed: true };
      this.onStep();
      return false;
    }
    const unseen = found === null && this.createUnseen(source.ticket);
    this.createTried = true;
    const created =
      found ??
      (await ensure.ensureCrmTicket({ ...ticket, ...(urls.length > 0 && { files: { source: this.input.source, urls } }), ...(unseen && { unseen: true as const }) }));
    const link = { ticketId: created.id, requesterId: created.requesterId };
    if (created.found) {
      // Linked only once adopted: a failed adoption is retried whole, never half-remembered.
      const adopted = await activities.adoptCrmTicket({
        source: this.input.source,
        ticketId: this.input.sourceTicketId,
        crmTicketId: created.id,
        requesterId: created.requesterId,
      });
      memory.crm = link;
      memory.crmVersion = created.updatedAt ?? null;
      memory.sourceComments = adopted.sourceComments;
      memory.crmComments = adopted.crmComments;
      // Nothing is known of what either side showed last: both reads are news, the later wins.
      memory.lifecycle = { ...memory.lifecycle, linked: true, sourceStatus: null, crmStatus: null };
      record(
        memory,
        'synced',
        `adopted ${this.crm} ticket ${created.id}: ${adopted.mirrored.toCrm} comment(s) already in ${this.crm}, ${adopted.mirrored.toSource} already in the ${sideName(this.input.source)}`,
      );
      this.onStep();
      return true;
    }
    memory.crm = link;
    memory.crmVersion = created.updatedAt ?? null;
    if (created.mapped) memory.mappedFields = created.mapped;
    // Rules 1.2: the create's own events are known by what its answer says, like a write's.
    if (this.rules.lean) {
      memory.crmComments.ownIds = boundedIds([...memory.crmComments.ownIds, ...created.comments.map((c) => c.id)], MEMORY_BOUNDS.ownIds);
      if (created.updatedAt) memory.crmOwnWrite = { version: created.updatedAt, status: created.status };
    }
    // The ticket as created: what the reconciler compares, until the next write or read moves it.
    memory.fingerprints.crm = crmFingerprint(created);
    memory.crmComments.cursor = firstCursor(created.comments) ?? memory.crmComments.cursor;
    record(memory, 'synced', describeEffect(create, this.names, created.id));
    if (created.files) this.recordFiles(created.files, 'the opening message', this.crm);
    memory.lifecycle = { ...memory.lifecycle, linked: true, crmStatus: created.status };
    for (const effect of rest) await this.performOrKeep(effect, source.ticket);
    memory.sourceComments = { cursor: source.cursor, ownIds: source.ownIds, recent: source.recent };
    memory.lifecycle = { ...decision.state, crmStatus: createdStatus(decision.state.crmStatus, create.status, created.status) };
    this.onStep();
    if (!memory.lifecycle.completed) await this.syncAssignee(created.id, source.ticket.assigneeRef);
    return false;
  }

  /**
   * The user wrote again after the helpdesk ticket was closed (a late message, or one that crossed
   * the agent's close): a follow-up ticket (linked to the closed one as the helpdesk allows, see
   * the adapter) takes the conversation on, and the next read mirrors the message into it.
   */
  private async openFollowUp(source: SourceRead): Promise<void> {
    const memory = this.memory;
    const closedId = memory.crm!.ticketId;
    const { fullText: _description, ...ticket } = this.newCrmTicket(source.ticket, 'open');
    const created = await writeActivities.ensureCrmTicket({
      ...ticket,
      description: followUpDescription(closedId, sideName(this.input.source)),
      followUpOf: closedId,
      idempotencyKey: `${workflowInfo().workflowId}/follow-up-of-${closedId}`,
    });
    memory.crm = { ticketId: created.id, requesterId: created.requesterId };
    memory.crmVersion = created.updatedAt ?? null;
    if (created.mapped) memory.mappedFields = created.mapped;
    memory.fingerprints.crm = crmFingerprint(created);
    // Its description is the bridge's own: not news for the source.
    memory.crmComments = { cursor: firstCursor(created.comments), ownIds: created.comments.map((c) => c.id) };
    memory.lifecycle = { ...memory.lifecycle, status: 'OPEN', crmStatus: created.status, solvedTimerDeadline: null, completed: false };
    addNote(memory, `${this.crm} ticket ${closedId} is closed and the user wrote again: follow-up ${this.crm} ticket ${created.id} created for it.`);
    this.onStep();
  }

  /** Rules 1.7: no helpdesk copy of the ticket can exist yet (see fresh-create.ts). */
  private createUnseen(ticket: SourceTicket): boolean {
    const { runId, originalExecutionRunId, continuedFromExecutionRunId } = workflowInfo();
    return createIsUnseen({
      freshCreate: this.rules.freshCreate,
      input: this.input,
      run: { runId, originalExecutionRunId, continuedFromExecutionRunId },
      ticketCreatedAt: ticket.createdAt,
      now: Date.now(),
      triedBefore: this.createTried,
    });
  }

  private newCrmTicket(ticket: SourceTicket, status: CrmRead['status']) {
    const { input } = this;
    return {
      externalId: crmExternalId(input.source, input.sourceTicketId),
      subject: ticket.title,
      description: ticket.description,
      ...(ticket.descriptionTruncated && { fullText: { of: 'source-description' as const, source: input.source, ticketId: input.sourceTicketId } }),
      requester: ticket.requester,
      status,
      tags: [CRM_BRIDGE_TAG, `source-${input.source}`],
      // Per chain of runs (continue-as-new keeps it): a run started after the end must not get the
      // answer the helpdesk keeps for an earlier run's create (a ticket an admin deleted).
      idempotencyKey: `${workflowInfo().workflowId}/${workflowInfo().firstExecutionRunId}/create`,
    };
  }

  /** `observation`: the decision's, when it may need a rule asked only where it changes one. */
  private lifecycleSettings(observation?: Observation): LifecycleSettings {
    const settings: LifecycleSettings = { ...this.settings, linkedNewIsNoChange: true };
    if (observation && sameSecondDecides(this.memory.lifecycle, observation, settings) && patched(PATCHES.sameSecondToCrm)) settings.sameSecondToCrm = true;
    return settings;
  }

  private sourceReadable(fingerprint: string): void {
    const memory = this.memory;
    if (memory.sourceMissing) {
      record(memory, 'received', `${sideName(this.input.source)} ticket readable again`);
      memory.parked = memory.parked.filter((p) => p.what !== SOURCE_UNREADABLE);
    }
    memory.sourceMissing = null;
    if (memory.crmMissing === null) memory.rereadAt = null;
    memory.fingerprints.source = fingerprint;
  }

  /**
   * A 404 from the source is read again within seconds, then less and less often (at most every
   * `MISSING_REREAD.maxMs`): a read-after-write lag on a CREATE, or a blip, costs seconds. It never
   * ends the ticket: only an explicit DELETE (or an operator) does. Once it has lasted
   * `sourceGoneAfterMs` the ticket is parked with a note for the agents, and it resumes by itself
   * as soon as the source reads again.
   */
  private async onSourceMissing(): Promise<void> {
    const { memory, settings } = this;
    const now = Date.now();
    if (this.input.afterEnd && !memory.lifecycle.linked) {
      // The ticket's previous run had completed and the source no longer has it: nothing to do.
      record(memory, 'received', `${sideName(this.input.source)} ticket read as 404 after its workflow had completed: gone, nothing to do`);
      return this.apply({ type: 'source-deleted', now });
    }
    const missing = { since: memory.sourceMissing?.since ?? now, reads: (memory.sourceMissing?.reads ?? 0) + 1 };
    memory.sourceMissing = missing;
    memory.rereadAt = now + rereadDelayMs(missing.reads);
    const app = sideName(this.input.source);
    const parked = memory.parked.some((p) => p.what === SOURCE_UNREADABLE);
    if (parked || now - missing.since < settings.sourceGoneAfterMs) {
      record(memory, 'received', `${app} ticket read as 404 (${missing.reads}): read again in ${Math.round((memory.rereadAt - now) / 1000)} s`);
      return;
    }
    park(memory, SOURCE_UNREADABLE, `the ${app} has answered 404 since ${new Date(missing.since).toISOString()}; read again every ${MISSING_REREAD.maxMs / 60_000} min, resumes by itself`);
    addNote(memory, `The ${app} ticket has read as 404 for ${Math.round((now - missing.since) / 60_000)} min: parked. Only a DELETE from the ${app} or an operator ends it.`);
    if (memory.crm !== null && memory.lifecycle.linked) {
      try {
        await this.perform({ type: 'crm-internal-note', body: sourceUnreadableNote(app) }, null);
      } catch (err) {
        if (!isRefusal(err)) throw err;
      }
    }
  }

  /**
   * A 404 from the helpdesk, confirmed like the source's (re-read within seconds, then less often).
   * Once it has lasted `sourceGoneAfterMs`, an admin deleted the ticket: the agents' side of the
   * conversation is over, so the source ticket is closed and the workflow completes. A message
   * the user writes later starts a new run, with a new helpdesk ticket.
   */
  private async onCrmMissing(source: SourceRead): Promise<void> {
    const { memory, settings } = this;
    const now = Date.now();
    const missing = { since: memory.crmMissing?.since ?? now, reads: (memory.crmMissing?.reads ?? 0) + 1 };
    memory.crmMissing = missing;
    memory.rereadAt = now + rereadDelayMs(missing.reads);
    const crmTicketId = memory.crm!.ticketId;
    if (now - missing.since < settings.sourceGoneAfterMs) {
      record(memory, 'received', `${this.crm} ticket ${crmTicketId} read as 404 (${missing.reads}): read again in ${Math.round((memory.rereadAt - now) / 1000)} s`);
      return;
    }
    addNote(memory, `${this.crm} ticket ${crmTicketId} was deleted in ${this.crm} (404 for ${Math.round((now - missing.since) / 60_000)} min): the ${sideName(this.input.source)} ticket is closed.`);
    const unsent = source.newComments.filter((c) => c.author === 'USER').map((c) => c.id);
    if (unsent.length > 0) addNote(memory, `user comment(s) ${unsent.join(', ')} could not reach ${this.crm}: its ticket was deleted.`);
    // Closed as this read saw the source: a user who writes meanwhile makes it a conflict, decided again.
    this.observed = { sourceStatus: source.ticket.status, sourceCursor: source.cursor, crmStatus: 'closed', crmCursor: null, crmAssigned: false, crmRemembered: false, sourceRemembered: false };
    try {
      await this.apply({ type: 'crm-deleted', now });
    } finally {
      this.observed = null;
    }
    memory.crmMissing = null;
    memory.rereadAt = null;
  }

  /** Mirror a change of the source's assignee (white-label `teammate_id`) to the CRM. */
  private async syncAssignee(crmTicketId: string, assigneeRef: string | null): Promise<void> {
    const known = this.memory.sourceAssigneeRef;
    // A ticket that starts unassigned needs no write; after that, only changes do.
    if (assigneeRef === known || (known === undefined && assigneeRef === null)) return;
    let result: { mapped: boolean; crmAssigneeId: string | null };
    try {
      result = await writeActivities.assignCrmTicket({ crmTicketId, source: this.input.source, assigneeRef });
    } catch (err) {
      if (!isRefusal(err)) throw err;
      // Left for the next decision (the assignee is still news then), and said.
      record(this.memory, 'failed', `assignee → ${this.crm} refused (${refusalKind(err)}): tried again with the next sync`);
      return;
    }
    this.memory.sourceAssigneeRef = assigneeRef;
    // The assignment changed the CRM ticket: its version is unknown until the next read.
    this.memory.crmVersion = null;
    this.memory.crmOwnWrite = null;
    record(this.memory, 'synced', describeAssignment(this.names, assigneeRef, result.crmAssigneeId));
    if (!result.mapped) {
      addNote(this.memory, `Assignee ${assigneeRef} has no CRM user in the assignee mapping: the CRM ticket was left unassigned.`);
    }
  }

  /**
   * One effect as an activity; returns the id of what it wrote (a comment), for the timeline.
   * A comment is written at most once: each write records the new comment's id (its read-back is
   * then recognised as the bridge's own), and a retried write first looks for a copy of itself
   * that landed. `retry`: a refused write tried again later, which moves no cursor.
   */
  private async perform(
    effect: Effect,
    ticket: SourceTicket | null,
    { retry = false, withStatus }: { retry?: boolean; withStatus?: StatusEffect } = {},
  ): Promise<string | undefined> {
    const { input, memory } = this;
    switch (effect.type) {
      case 'create-crm-ticket':
        // Linking creates the CRM ticket (`link`), with its opening message's files.
        throw new Error('the CRM ticket is created by link(), never as a later effect');
      case 'crm-user-comment': {
        const body = crmBodyForUserComment(effect.comment, true);
        const fullText = this.sourceCommentText(effect.comment, '');
        const commentId = await this.addCrmComment(body, true, 'requester', `crm:${effect.comment.id}`, effect.comment.attachments, !retry, fullText, withStatus);
        if (!retry) memory.sourceComments = passed(memory.sourceComments, effect.comment);
        memory.counts.userCommentsToCrm++;
        return commentId;
      }
      case 'crm-support-note': {
        const body = crmBodyForSupportNote(effect.comment, true);
        const fullText = this.sourceCommentText(effect.comment, SUPPORT_NOTE_PREFIX);
        const commentId = await this.addCrmComment(body, false, 'bridge', `crm:${effect.comment.id}`, effect.comment.attachments, !retry, fullText, withStatus);
        if (!retry) memory.sourceComments = passed(memory.sourceComments, effect.comment);
        return commentId;
      }
      case 'crm-internal-note':
        return this.addCrmComment(effect.body, false, 'bridge', 'crm:internal-note');
      case 'set-crm-status':
        if (this.alreadyThere(effect.status)) {
          // The bridge's own comment left the ticket there already (a helpdesk may reopen a
          // ticket on the requester's reply), and nothing has changed it since: no write to make.
        } else {
          const result = await writeActivities.setCrmStatus({
            crmTicketId: memory.crm!.ticketId,
            status: effect.status,
            condition: this.crmStatusCondition(effect.status),
          });
          memory.crmVersion = result ? result.version : null;
          if (!result?.version) this.crmAnswerUnknown = true;
          // A conditional write answers the ticket as it wrote it, nobody else's change in between.
          if (result?.version) memory.fingerprints.crm = this.writtenFingerprint({ status: effect.status, updatedAt: result.version });
          memory.crmOwnWrite = result?.version ? { version: result.version, status: effect.status } : null;
        }
        this.crmStatusWritten(effect.status);
        break;
      case 'source-agent-reply': {
        const key = `source:${effect.comment.id}`;
        const body = sourceBodyForAgentReply(effect.comment);
        const landed = memory.intents.find((i) => i.key === key && i.landedAs !== undefined);
        if (landed) {
          // A read found this reply's copy in the source already (its answer was lost): done.
          memory.intents = memory.intents.filter((i) => i !== landed);
          if (!retry) memory.crmComments = passed(memory.crmComments, effect.comment);
          memory.counts.agentRepliesToSource++;
          return landed.landedAs;
        }
        // A public reply's files travel with it (an internal note is never a reply).
        const files = effect.comment.public ? (effect.comment.attachments ?? []) : [];
        const writes = files.length > 0 ? fileWriteActivities : writeActivities;
        const { commentId, files: outcomes, followUpId, statusWrite, readBefore } = await this.openWrite(key, body, memory.sourceComments.cursor?.id ?? null, (dedupe) =>
          writes.postSourceComment({
            source: input.source,
            ticketId: input.sourceTicketId,
            body,
            ...(effect.comment.truncated && { fullText: { of: 'crm-comment' as const, crmTicketId: memory.crm!.ticketId, commentId: effect.comment.id } }),
            unlessClosed: true,
            ...(files.length > 0 && { files }),
            ...(withStatus?.type === 'set-source-status' && { thenStatus: { status: withStatus.status, condition: this.sourceStatusCondition(withStatus.status) } }),
            excludeIds: memory.sourceComments.ownIds,
            ...dedupe,
          }),
        );
        if (withStatus) this.statusAfterComment = this.statusWriteFailure(withStatus, statusWrite);
        if (readBefore) this.sourceBeforeOwnComment ??= readBefore;
        // A follow-up comment (files that failed after the reply was written) is the bridge's own too.
        const own = followUpId ? [commentId, followUpId] : [commentId];
        memory.sourceComments.ownIds = boundedIds([...memory.sourceComments.ownIds, ...own], MEMORY_BOUNDS.ownIds);
        if (files.length > 0) this.recordFiles(outcomes, `agent reply ${effect.comment.id}`, sideName(input.source));
        if (!retry) memory.crmComments = passed(memory.crmComments, effect.comment);
        memory.counts.agentRepliesToSource++;
        return commentId;
      }
      case 'set-source-status':
        await writeActivities.setSourceStatus({
          source: input.source,
          ticketId: input.sourceTicketId,
          status: effect.status,
          condition: this.sourceStatusCondition(effect.status),
        });
        this.sourceStatusWritten(effect.status);
        break;
    }
    return undefined;
  }

  /** What a CRM status write expects to still be true: the ticket as the decision saw it. */
  private crmStatusCondition(status: CrmStatus) {
    const { memory } = this;
    return {
      version: memory.crmVersion,
      status: this.observed?.crmStatus ?? memory.lifecycle.crmStatus ?? status,
      afterCommentId: (this.observed?.crmCursor ?? memory.crmComments.cursor)?.id ?? null,
      excludeIds: memory.crmComments.ownIds,
      // Only the bridge's conditional writes moved the version since that read: still assigned.
      assigned: this.observed?.crmAssigned === true,
    };
  }

  private crmStatusWritten(status: CrmStatus): void {
    this.memory.lifecycle = { ...this.memory.lifecycle, crmStatus: status };
    this.memory.counts.statusChangesToCrm++;
  }

  /** What a source status write expects to still be true: the source as the decision saw it. */
  private sourceStatusCondition(status: SourceTicket['status']) {
    const { memory } = this;
    return {
      status: this.observed?.sourceStatus ?? memory.lifecycle.sourceStatus ?? status,
      cursor: this.observed?.sourceCursor ?? memory.sourceComments.cursor,
      excludeIds: memory.sourceComments.ownIds,
      ...(this.observed?.sourceRemembered && { remembered: true }),
    };
  }

  private sourceStatusWritten(status: SourceTicket['status']): void {
    this.memory.lifecycle = { ...this.memory.lifecycle, sourceStatus: status };
    this.memory.counts.statusChangesToSource++;
    // The status changed after the read that dated it: a read showing that status again is news.
    this.sourceBeforeOwnComment = null;
  }

  /**
   * The outcome of a status written with a comment, as the failure a status write of its own
   * would have thrown (null: written): a refusal is kept, a conflict is news, as for that write.
   */
  private statusWriteFailure(effect: StatusEffect, outcome: StatusWriteOutcome | undefined): ActivityFailure | null {
    const toCrm = effect.type === 'set-crm-status';
    if (outcome === 'written') {
      if (toCrm) this.crmStatusWritten(effect.status);
      else this.sourceStatusWritten(effect.status);
      return null;
    }
    const kind = outcome?.refused ?? 'unprocessable';
    const cause = ApplicationFailure.create({ type: kind, message: `the status write was refused (${kind})`, nonRetryable: true });
    const [activity, by] = toCrm ? ['setCrmStatus', 'addCrmComment'] : ['setSourceStatus', 'postSourceComment'];
    return new ActivityFailure(cause.message, activity, undefined, 'NON_RETRYABLE_FAILURE', by, cause);
  }

  /**
   * `attachments`: the source comment's file URLs, attached in the same write. `conditional`:
   * within a decision from both reads, only onto the ticket as read (or as the bridge's own last
   * write left it), so the answer's version is the ticket after this write and nothing else.
   */
  private async addCrmComment(
    body: string,
    isPublic: boolean,
    as: 'requester' | 'bridge',
    key: string,
    attachments: readonly string[] = [],
    conditional = true,
    fullText?: FullText,
    withStatus?: StatusEffect,
  ): Promise<string> {
    const memory = this.memory;
    const condition = conditional && this.observed && memory.crmVersion !== null ? { version: memory.crmVersion } : undefined;
    const urls = [...attachments];
    const writes = urls.length > 0 ? fileWriteActivities : writeActivities;
    const thenStatus = withStatus?.type === 'set-crm-status' ? { status: withStatus.status, condition: this.crmStatusCondition(withStatus.status) } : undefined;
    const { commentId, version, status, files, statusWrite } = await this.openWrite(key, body, memory.crmComments.cursor?.id ?? null, (dedupe) =>
      writes.addCrmComment({
        crmTicketId: memory.crm!.ticketId,
        body,
        ...(fullText && { fullText }),
        public: isPublic,
        ...(urls.length > 0 && { files: { source: this.input.source, urls } }),
        // The requester's id as the last read of the CRM ticket said (see readCrmWindow).
        author: as === 'requester' ? { as, id: memory.crm!.requesterId } : { as },
        excludeIds: memory.crmComments.ownIds,
        ...(condition && { condition }),
        ...(thenStatus && { thenStatus }),
        ...dedupe,
      }),
    );
    if (withStatus) this.statusAfterComment = this.statusWriteFailure(withStatus, statusWrite);
    memory.crmComments.ownIds = boundedIds([...memory.crmComments.ownIds, commentId], MEMORY_BOUNDS.ownIds);
    memory.crmVersion = version ?? null;
    if (!version) this.crmAnswerUnknown = true;
    // Nothing but this write since the read: what the reconciler compares moves with it.
    if (condition && version && status) {
      memory.fingerprints.crm = this.writtenFingerprint({ status, updatedAt: version });
      this.crmAfterOwnComment = { version, status };
    }
    // Only a conditional write's answer is the ticket as this write alone left it.
    memory.crmOwnWrite = condition && version && status ? { version, status } : null;
    if (urls.length > 0) this.recordFiles(files, `comment ${key.slice('crm:'.length)}`, this.crm);
    return commentId;
  }

  /** Where the write reads the whole of a source comment the read carried only the start of. */
  private sourceCommentText(comment: SourceComment, prefix: string): FullText | undefined {
    if (!comment.truncated) return undefined;
    return { of: 'source-comment', source: this.input.source, ticketId: this.input.sourceTicketId, commentId: comment.id, prefix };
  }

  /**
   * What the reconciler compares, from a conditional write's answer. The helpdesk's version
   * may have one-second resolution, so a person's change in the second of the read can pass inside that
   * answer; marked unverified (rules 1.1), it never equals a fresh read's, and the reconciler's
   * next round has the ticket read once.
   */
  private writtenFingerprint(ticket: { status: CrmStatus; updatedAt: string }): string {
    const fingerprint = crmFingerprint(ticket);
    return this.rules.unverifiedWriteFingerprints ? unverifiedFingerprint(fingerprint) : fingerprint;
  }

  /** The CRM ticket is at `status` by the answer of the bridge's last write, still its latest version. */
  private alreadyThere(status: CrmStatus): boolean {
    const after = this.crmAfterOwnComment;
    return after !== null && after.version === this.memory.crmVersion && after.status === status;
  }

  /**
   * The timeline line for a comment's files (never a name: sizes, types, hash prefixes). Files
   * that did not travel are a note as well: each is also a line in the mirrored comment.
   */
  private recordFiles(files: FileOutcome[] | undefined, what: string, to: string): void {
    if (files === undefined) {
      record(this.memory, 'synced', `attachments of ${what} → ${to}: already there (an earlier attempt landed them)`);
      return;
    }
    if (files.length === 0) return;
    record(this.memory, 'synced', `attachments of ${what} → ${to}: ${describeFiles(files)}`);
    const left = files.filter((f) => f.outcome !== 'transferred' && f.outcome !== 'already-there');
    if (left.length > 0) addNote(this.memory, `${left.length} attachment(s) of ${what} not transferred to ${to} (${left.map((f) => f.outcome).join(', ')}): said in the mirrored comment.`);
  }

  /**
   * A comment write, exactly once by design: the intent is recorded (key, where the side's
   * comments stood, a digest of the text) before the write and closed once it is known to have
   * landed. A write whose intent is still open from an earlier activity (one that failed after its
   * write may have landed) looks for the landed copy first, after where the comments stood when
   * the intent was opened (the cursor may have moved since), even as attempt 1 of a new activity.
   */
  private async openWrite<T>(
    key: string,
    text: string,
    cursorId: string | null,
    write: (dedupe: { afterCommentId: string | null; landedCheck?: boolean }) => Promise<T>,
  ): Promise<T> {
    const memory = this.memory;
    const open = memory.intents.find((i) => i.key === key);
    if (!open) memory.intents = [...memory.intents, { key, after: cursorId, digest: textDigest(text) }].slice(-MEMORY_BOUNDS.ownIds);
    const result = await write(open ? { afterCommentId: open.after, landedCheck: true } : { afterCommentId: cursorId });
    memory.intents = memory.intents.filter((i) => i.key !== key);
    return result;
  }

  /**
   * Before anything is decided: a support comment in the source that is the landed copy of an
   * open intent (a reply whose answer was lost) is the bridge's own, never news to mirror back.
   * Its intent is marked landed, so the reply is not posted again, now or by a kept retry.
   */
  private claimLanded(source: SourceRead): SourceRead {
    const memory = this.memory;
    const open = memory.intents.filter((i) => i.key.startsWith('source:') && i.landedAs === undefined);
    if (open.length === 0) return source;
    const claimed: string[] = [];
    const newComments = source.newComments.filter((c) => {
      const intent = c.author === 'SUPPORT' ? open.find((i) => i.landedAs === undefined && matchesDigest(c.body, i.digest)) : undefined;
      if (!intent) return true;
      intent.landedAs = c.id;
      claimed.push(c.id);
      memory.refused = memory.refused.filter((r) => r.key !== intent.key);
      record(memory, 'synced', `agent reply ${intent.key.slice('source:'.length)} found in the ${sideName(this.input.source)} as comment ${c.id} (an earlier write landed): not posted again`);
      return false;
    });
    if (claimed.length === 0) return source;
    if (patched(PATCHES.claimedCopiesOwned)) {
      // Known as the bridge's own now, whatever becomes of this decision: its end would say so,
      // but a conflict before it reads again, and by then the intent that claimed the copy may be closed.
      memory.sourceComments = { ...memory.sourceComments, ownIds: boundedIds([...memory.sourceComments.ownIds, ...claimed], MEMORY_BOUNDS.ownIds) };
    }
    return { ...source, newComments, ownIds: boundedIds([...source.ownIds, ...claimed], MEMORY_BOUNDS.ownIds) };
  }
}

/**
 * The user wrote in the source after `endedAt` (the end of the ticket's previous run). A read cut
 * short by its budget may not reach the newest comments: then a ticket changed since counts.
 */
function wroteSince(source: SourceRead, endedAt: string | null): boolean {
  const since = endedAt === null ? Number.NEGATIVE_INFINITY : Date.parse(endedAt);
  if (source.more && Date.parse(source.ticket.updatedAt) > since) return true;
  return source.newComments.some((c) => c.author === 'USER' && Date.parse(c.createdAt) > since);
}

/** New words from the user that a closed CRM ticket cannot take: the source itself is not closed. */
function wroteAgain(source: SourceRead): boolean {
  return source.ticket.status !== 'CLOSED' && source.newComments.some((c) => c.author === 'USER');
}

/**
 * The CRM status the lifecycle remembers after a create: the one the helpdesk gave the ticket when
 * it differs from the one asked for (a helpdesk without a "new" status) and the decision wrote no
 * other since; else the decision's (created-status-kept-1; before it, the decision's always, and
 * the first read after such a create took its open for an agent's move).
 */
function createdStatus(decided: CrmStatus | null, asked: CrmStatus, created: CrmStatus): CrmStatus | null {
  if (decided !== asked || created === asked) return decided;
  return patched(PATCHES.createdStatusKept) ? created : decided;
}

function followUpDescription(closedId: string, app: string): string {
  return `Follow-up of ticket #${closedId}, which was closed: the user wrote again in the ${app}. Their message follows.`;
}

/** What `parked` calls a source that keeps answering 404. */
const SOURCE_UNREADABLE = 'source ticket';

function park(memory: TicketMemory, what: string, reason: string): void {
  const item = { what, reason, since: new Date(Date.now()).toISOString() };
  memory.parked = [...memory.parked.filter((p) => p.what !== what), item].slice(-MEMORY_BOUNDS.parked);
}

/** 2 s, 4 s, 8 s, … at most `MISSING_REREAD.maxMs`: seconds for a blip, minutes for an incident. */
export function rereadDelayMs(reads: number): number {
  return Math.min(MISSING_REREAD.maxMs, MISSING_REREAD.firstMs * 2 ** Math.min(20, Math.max(0, reads - 1)));
}

function sourceUnreadableNote(app: string): string {
  return `ticket-bridge cannot read this ticket in the ${app} (404): nothing from the ${app} reaches this ticket until it can. It keeps trying and resumes by itself; it has not closed anything.`;
}

/** The internal note for agents when a write is given up on: which message, never its text. */
function parkedWriteNote(effect: Effect, kind: string, crm: string): string {
  switch (effect.type) {
    case 'source-agent-reply':
      return `ticket-bridge could not deliver the reply in comment ${effect.comment.id} to the user: it was refused (${kind}) after several attempts. Please reach the user another way if it matters.`;
    case 'crm-user-comment':
    case 'crm-support-note':
      return `ticket-bridge could not add a message from the app (its comment ${effect.comment.id}) to this ticket: ${crm} refused it (${kind}) after several attempts. Read it in the app.`;
    default:
      return `ticket-bridge gave up on a write refused (${kind}) after several attempts.`;
  }
}

/** A sync step that failed for good: recorded in the state, retried after a back-off. */
class SyncFailure extends Error {
  constructor(
    readonly operation: string,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }

  /** Activity failures (retries exhausted or a non-retryable 4xx) become SyncFailures; anything else is a bug. */
  static from(err: unknown): SyncFailure | null {
    if (err instanceof SyncFailure) return err;
    if (!(err instanceof ActivityFailure)) return null;
    const cause = err.cause;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : (cause?.name ?? 'Error');
    return new SyncFailure(err.activityType ?? 'activity', type, cause?.message ?? err.message);
  }

  describe(): { operation: string; type: string; message: string } {
    return { operation: this.operation, type: this.type, message: this.message };
  }
}

/**
 * A comment mirrored before the decision's end (a later effect may fail): the cursor moves past
 * it, never back (a comment that became visible late is behind it), and it is known as seen.
 */
function passed(memory: CommentMemory, comment: { id: string; createdAt: string }): CommentMemory {
  const cursor = memory.cursor === null || compareComments(comment, memory.cursor) > 0 ? cursorOf(comment) : memory.cursor;
  const recent = memory.recent ? { ...memory.recent, ids: [...memory.recent.ids, comment.id] } : memory.recent;
  return { ...memory, cursor, recent };
}

function cursorOf(comment: { id: string; createdAt: string }): CommentCursor {
  return { id: comment.id, createdAt: comment.createdAt };
}

function firstCursor(comments: readonly { id: string; createdAt: string }[]): CommentCursor | null {
  const first = [...comments].sort(compareComments)[0];
  return first ? cursorOf(first) : null;
}

/** The side a sync answers (see `NotifiedSide`): one side's notification alone reads that side first. */
export function notifiedSide(work: PendingWork): NotifiedSide {
  if (work.solvedTimer || work.snapshot !== null || work.closeReason !== null || work.deleted) return 'both';
  if (work.source && !work.crm) return 'source';
  if (work.crm && !work.source) return 'crm';
  return 'both';
}

/**
 * A read as a local activity, and, when that fails for good but for a refusal, as the regular
 * activity, retried until the remote is back (since rules 1.3: before, the local attempts never
 * ended in an outage, see TICKET_BOUNDED_LOCAL_READ_OPTIONS). A 4xx is an answer, not an outage: thrown,
 * as the `ActivityFailure` a regular activity's would be (a local one's arrives unwrapped).
 */
async function localFirst<T>(activityType: string, local: () => Promise<T>, regular: () => Promise<T>): Promise<T> {
  try {
    return await local();
  } catch (err) {
    if (err instanceof CancelledFailure || !(err instanceof TemporalFailure)) throw err;
    const failure = err instanceof ActivityFailure ? err : new ActivityFailure(err.message, activityType, undefined, 'NON_RETRYABLE_FAILURE', 'local activity', err);
    const cause = failure.cause;
    const refused = cause instanceof ApplicationFailure && (cause.nonRetryable || (NON_RETRYABLE_FAILURE_TYPES as readonly string[]).includes(cause.type ?? ''));
    if (refused) throw failure;
    return regular();
  }
}

/** A conditional write found its side changed since the read (see `IntegrationErrorKind`). */
function isWriteConflict(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'write-conflict';
}

function writeConflictSide(err: unknown, names: SideNames): string {
  const crmWrites = ['setCrmStatus', 'addCrmComment'];
  return err instanceof ActivityFailure && crmWrites.includes(err.activityType) ? names.crm : sideName(names.source);
}
