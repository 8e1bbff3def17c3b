/**
 * One sync of a ticket: read each side back, let the pure lifecycle decide, perform its effects
 * as activities. Progress is recorded on the memory effect by effect (comment cursors, side
 * statuses), so a sync that fails half-way redoes only what did not happen.
 */
import { ActivityFailure, ApplicationFailure, CancelledFailure, proxyActivities, proxyLocalActivities, TemporalFailure, workflowInfo } from '@temporalio/workflow';
import {
  NON_RETRYABLE_FAILURE_TYPES,
  TICKET_ACTIVITY_OPTIONS,
  TICKET_FILE_WRITE_OPTIONS,
  TICKET_LOCAL_READ_OPTIONS,
  TICKET_WRITE_OPTIONS,
} from '../activities/retry-policy';
import type { CrmRead, FileOutcome, SourceRead, TicketActivities } from '../activities/types';
import { boundedIds, compareComments, newAgentReplies, newSourceComments, type CommentCursor } from '../domain/comments';
import { crmFingerprint, sourceFingerprint } from '../domain/fingerprints';
import { decide, type Effect, type LifecycleState, type Observation } from '../domain/lifecycle';
import { crmBodyForSupportNote, crmBodyForUserComment, sourceBodyForAgentReply, withAttachments } from '../domain/messages';
import { crmExternalId, type CrmStatus, type SourceComment, type SourceTicket } from '../domain/ticket';
import type { TicketWorkflowInput, TicketWorkflowSettings } from './definitions';
import { hasWork, MEMORY_BOUNDS, mergeWork, NO_WORK, type PendingWork, type TicketMemory } from './memory';
import { addNote, describeAssignment, describeEffect, describeFiles, record, sideName } from './timeline';

/** Retried until the remote is back (see TICKET_ACTIVITY_OPTIONS for why these numbers). */
const activities = proxyActivities<TicketActivities>(TICKET_ACTIVITY_OPTIONS);
/** v3: writes within a bounded window (see TICKET_WRITE_OPTIONS). */
const writeActivities = proxyActivities<TicketActivities>(TICKET_WRITE_OPTIONS);
/** v3: writes that carry files, streamed in the activity (see TICKET_FILE_WRITE_OPTIONS). */
const fileWriteActivities = proxyActivities<TicketActivities>(TICKET_FILE_WRITE_OPTIONS);
/** v3: reads, first as local activities (see TICKET_LOCAL_READ_OPTIONS). */
const localReads = proxyLocalActivities<Pick<TicketActivities, 'readSourceTicket' | 'readCrmTicket'>>(TICKET_LOCAL_READ_OPTIONS);

/** Which side's notification a sync answers: that side is read first, and may be the only one read. */
export type NotifiedSide = 'source' | 'crm' | 'both';

/** Conflicts in a row that one sync re-reads and re-decides before it backs off like a failure. */
const MAX_CONFLICTS_PER_SYNC = 3;

/**
 * Bytes of new comment text one read may bring into history: far below Temporal's 2 MB payload
 * limit, so a conversation of any length is read (and mirrored) in windows of this size.
 */
const READ_WINDOW_BYTES = 256 * 1024;

/**
 * Which sync rules a run follows. `v2` (read both sides before the SOLVED timer closes, confirm a
 * 404 before taking it as a deletion, open-write checks, no author-based dropping of the bridge
 * user's replies, a linked NEW read is no change) is on for every run that starts on this code;
 * runs that began before it keep the v1 rules on replay (`patched(SYNC_V2_PATCH)`).
 */
export interface SyncRules {
  v2: boolean;
  /**
   * v3: every sync reads both sides and decides once from both (`both-read`); status writes are
   * conditional (Zendesk `safe_update`, a re-read of the source), and a conflict is news: read
   * both sides again and decide again. White-label events are notifications (read back). A run
   * that finds its CRM ticket already there adopts it: what was mirrored is recovered, only what
   * is missing is sent.
   */
  v3?: boolean;
}

/** What the decision being performed saw: the conditions its status writes carry. */
interface Observed {
  sourceStatus: SourceTicket['status'];
  sourceCursor: CommentCursor | null;
  crmStatus: CrmRead['status'];
  crmCursor: CommentCursor | null;
  crmAssigned: boolean;
}

export class TicketSync {
  constructor(
    private readonly input: TicketWorkflowInput,
    private readonly settings: TicketWorkflowSettings,
    private readonly memory: TicketMemory,
    /** Called after every lifecycle step (the workflow publishes status to the Temporal UI). */
    private readonly onStep: () => void,
    private readonly rules: SyncRules = { v2: true },
  ) {}

  /** Set while a v3 decision's effects are performed. */
  private observed: Observed | null = null;
  /** The CRM ticket as the bridge's last conditional comment write left it (its answer). */
  private crmAfterOwnComment: { version: string; status: CrmStatus } | null = null;
  /**
   * A write to the CRM in this decision whose answer is unknown (a landed copy found after a lost
   * answer): what Zendesk did with it (e.g. reopened the ticket) is read once more.
   */
  private crmAnswerUnknown = false;

  /** One sync: the source side, then the CRM side. false when an operation failed for good. */
  async run(work: PendingWork): Promise<boolean> {
    const memory = this.memory;
    memory.counts.syncs++;
    try {
      if (work.closeReason !== null) {
        // v3: what is still to mirror travels first; the close then reads nothing new.
        if (this.rules.v3 && !work.deleted) await this.syncBeforeClose();
        if (!memory.lifecycle.completed) await this.apply({ type: 'operator-closed', reason: work.closeReason, now: Date.now() }, null);
      } else if (work.deleted) {
        await this.apply({ type: 'source-deleted', now: Date.now() }, null);
      } else if (this.rules.v3) {
        // Every notification, the timer and retries: both sides read, one decision.
        const firedFor = work.solvedTimer ? memory.lifecycle.solvedTimerDeadline : null;
        await this.syncBoth(notifiedSide(work));
        if (work.solvedTimer) await this.closeIfUnconfirmed(firedFor);
      } else if (work.source || work.snapshot || work.solvedTimer) {
        // The timer decides from a fresh read, never from a snapshot or from memory alone.
        await this.syncSource(work.solvedTimer ? null : work.snapshot);
      }
      if (!this.rules.v3 && !memory.lifecycle.completed && memory.crm && hasWork(work)) await this.syncCrm();
      // Both sides read: if the user neither confirmed nor answered meanwhile, the timer closes it.
      if (!this.rules.v3 && work.solvedTimer && !memory.lifecycle.completed) {
        await this.apply({ type: 'solved-timer-fired', now: Date.now() }, null);
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

  /** Let the lifecycle decide on `observation` and perform what it decided. */
  async apply(observation: Observation, ticket: SourceTicket | null): Promise<void> {
    const decision = decide(this.memory.lifecycle, observation, this.lifecycleSettings());
    for (const effect of decision.effects) {
      const written = await this.perform(effect, ticket);
      record(this.memory, 'synced', describeEffect(effect, this.input.source, written));
    }
    this.memory.lifecycle = decision.state;
    this.onStep();
  }

  /**
   * v3: read both sides and decide once from both. A notification from one side reads that side
   * first, and only that side when it shows nothing new (a duplicate, the echo of the bridge's own
   * write): nothing to decide, so nothing is written. A status write that finds its side changed
   * since these reads (a conflict) is news: read both again and decide again.
   */
  private async syncBoth(notified: NotifiedSide = 'both'): Promise<void> {
    const { memory } = this;
    let conflicts = 0;
    for (let first = notified; ; first = 'both') {
      let crm = first === 'crm' && memory.crm !== null && memory.lifecycle.linked ? await this.readCrmWindow(memory.crm.ticketId, memory.crm.requesterId) : null;
      if (crm !== null && !this.crmHasNews(crm)) return this.nothingNew(null, crm);
      const source = await this.readSourceWindow();
      if (source === null) return this.onSourceMissing();
      this.sourceReadable(source.fingerprint);
      if (memory.crm === null) {
        // Not linked yet: create the CRM ticket from this read, or adopt the one already there.
        const adopted = await this.link(source);
        if (!adopted && !source.more) return;
        continue;
      }
      if (first === 'source' && memory.lifecycle.linked && !this.sourceHasNews(source)) return this.nothingNew(source, null);
      crm ??= await this.readCrmWindow(memory.crm.ticketId, memory.crm.requesterId);
      try {
        await this.decideFromBoth(source, crm);
        if (this.crmAnswerUnknown) {
          this.crmAnswerUnknown = false;
          memory.pending = mergeWork(memory.pending, { ...NO_WORK, crm: true });
        }
      } catch (err) {
        if (!isWriteConflict(err) || ++conflicts > MAX_CONFLICTS_PER_SYNC) throw err;
        record(memory, 'received', `${writeConflictSide(err, this.input.source)} changed since it was read: reading both sides again`);
        continue;
      }
      if (memory.lifecycle.completed) return;
      if (memory.crm && memory.lifecycle.linked) await this.syncAssignee(memory.crm.ticketId, source.ticket.assigneeRef);
      if (!source.more && !crm.more) return;
    }
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
    if (source) memory.sourceComments = { cursor: source.cursor, ownIds: boundedIds(source.ownIds, MEMORY_BOUNDS.ownIds) };
    if (crm) memory.crmComments = { cursor: crm.cursor, ownIds: boundedIds(crm.ownIds, MEMORY_BOUNDS.ownIds) };
  }

  private readSourceWindow(): Promise<SourceRead | null> {
    const { input, memory } = this;
    const request = { source: input.source, ticketId: input.sourceTicketId, window: { ...memory.sourceComments, maxBytes: READ_WINDOW_BYTES } };
    return localFirst(
      'readSourceTicket',
      () => localReads.readSourceTicket(request),
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
   * v3: the SOLVED timer, after both sides were just read: if the user neither confirmed nor
   * answered, close both sides, conditionally. A side that changed meanwhile is read again first.
   */
  private async closeIfUnconfirmed(firedFor: number | null): Promise<void> {
    for (let conflicts = 0; !this.memory.lifecycle.completed; ) {
      // The timer fired for `firedFor`: still the deadline (nobody re-solved meanwhile), it is due.
      const now = firedFor !== null && this.memory.lifecycle.solvedTimerDeadline === firedFor ? Math.max(Date.now(), firedFor) : Date.now();
      try {
        return await this.apply({ type: 'solved-timer-fired', now }, null);
      } catch (err) {
        if (!isWriteConflict(err) || ++conflicts > MAX_CONFLICTS_PER_SYNC) throw err;
        record(this.memory, 'received', `${writeConflictSide(err, this.input.source)} changed since it was read: reading both sides again`);
        await this.syncBoth();
      }
    }
  }

  private async readCrmWindow(crmTicketId: string, requesterId: string): Promise<CrmRead> {
    const request = {
      crmTicketId,
      window: { ...this.memory.crmComments, maxBytes: READ_WINDOW_BYTES },
      participants: { requesterId, bridgeUserId: null },
    };
    const read = await localFirst(
      'readCrmTicket',
      () => localReads.readCrmTicket(request),
      () => activities.readCrmTicket(request),
    );
    if (read === null) throw new SyncFailure('readCrmTicket', 'not-found', `CRM ticket ${crmTicketId} no longer exists (deleted in the CRM?)`);
    this.memory.fingerprints.crm = read.fingerprint;
    this.memory.crmVersion = read.version;
    return read;
  }

  /**
   * One decision from both reads, performed effect by effect. Each side's cursor moves past what
   * its read saw only once every effect is done; the comments the bridge wrote meanwhile (after
   * the read) stay known as its own. On a conflict, the lifecycle keeps what was decided, but
   * forgets the status of each side it did not get to write: the next read of that side is news,
   * and the later change wins.
   */
  private async decideFromBoth(source: SourceRead, crm: CrmRead): Promise<void> {
    const memory = this.memory;
    const before = { source: new Set(memory.sourceComments.ownIds), crm: new Set(memory.crmComments.ownIds) };
    const observation: Observation = {
      type: 'both-read',
      source: { ticket: source.ticket, newComments: source.newComments },
      crm: { status: crm.status, newAgentReplies: crm.newAgentReplies, updatedAt: crm.version ?? new Date(0).toISOString() },
      now: Date.now(),
    };
    this.observed = {
      sourceStatus: source.ticket.status,
      sourceCursor: source.cursor,
      crmStatus: crm.status,
      crmCursor: crm.cursor,
      crmAssigned: crm.assigned === true,
    };
    const decision = decide(memory.lifecycle, observation, this.lifecycleSettings());
    if (crm.status === 'closed' && source.newComments.some((c) => c.author === 'USER')) {
      const ids = source.newComments.filter((c) => c.author === 'USER').map((c) => c.id);
      addNote(memory, `Zendesk ticket ${memory.crm!.ticketId} is closed: user comment(s) ${ids.join(', ')} could not reach it.`);
    }
    try {
      // On a failure or a conflict, the lifecycle stays where it was before this decision (plus
      // the status writes that landed, see perform): what the decision read as news is news
      // again on the next read, and a CLOSED is decided again, not taken as done.
      for (const effect of decision.effects) {
        const written = await this.perform(effect, source.ticket);
        record(memory, 'synced', describeEffect(effect, this.input.source, written));
      }
    } finally {
      this.observed = null;
    }
    const ownSince = (ids: string[], known: Set<string>) => ids.filter((id) => !known.has(id));
    memory.sourceComments = {
      cursor: source.cursor,
      ownIds: boundedIds([...source.ownIds, ...ownSince(memory.sourceComments.ownIds, before.source)], MEMORY_BOUNDS.ownIds),
    };
    memory.crmComments = {
      cursor: crm.cursor,
      ownIds: boundedIds([...crm.ownIds, ...ownSince(memory.crmComments.ownIds, before.crm)], MEMORY_BOUNDS.ownIds),
    };
    memory.lifecycle = this.withOwnWriteStatus(decision.state);
    this.onStep();
  }

  /**
   * Zendesk reopens a ticket when the requester's comment lands, also when the bridge writes an
   * older comment after the agent's newer `pending` (the decision keeps the agent's status). The
   * answer of that write says so, and Zendesk's event of it is dropped at the door as an echo: the
   * lifecycle takes the status from the answer, unless a later write of this decision moved on.
   */
  private withOwnWriteStatus(state: LifecycleState): LifecycleState {
    const after = this.crmAfterOwnComment;
    if (after === null || after.version !== this.memory.crmVersion || after.status === state.crmStatus) return state;
    record(this.memory, 'received', `Zendesk status ${after.status} after the bridge's comment (Zendesk's own rule)`);
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
    const created = await ensure.ensureCrmTicket({
      ...this.newCrmTicket(source.ticket, create.status),
      ...(urls.length > 0 && { files: { source: this.input.source, urls } }),
    });
    const link = { ticketId: created.id, requesterId: created.requesterId, bridgeUserId: null };
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
        `adopted Zendesk ticket ${created.id}: ${adopted.mirrored.toCrm} comment(s) already in Zendesk, ${adopted.mirrored.toSource} already in the ${sideName(this.input.source)}`,
      );
      this.onStep();
      return true;
    }
    memory.crm = link;
    memory.crmVersion = created.updatedAt ?? null;
    // The ticket as created: what the reconciler compares, until the next write or read moves it.
    memory.fingerprints.crm = crmFingerprint(created);
    memory.crmComments.cursor = firstCursor(created.comments) ?? memory.crmComments.cursor;
    record(memory, 'synced', describeEffect(create, this.input.source, created.id));
    if (created.files) this.recordFiles(created.files, 'the opening message', 'Zendesk');
    memory.lifecycle = { ...memory.lifecycle, linked: true, crmStatus: created.status };
    for (const effect of rest) {
      const written = await this.perform(effect, source.ticket);
      record(memory, 'synced', describeEffect(effect, this.input.source, written));
    }
    memory.sourceComments = { cursor: source.cursor, ownIds: source.ownIds };
    memory.lifecycle = decision.state;
    this.onStep();
    if (!memory.lifecycle.completed) await this.syncAssignee(created.id, source.ticket.assigneeRef);
    return false;
  }

  private newCrmTicket(ticket: SourceTicket, status: CrmRead['status']) {
    const { input } = this;
    return {
      externalId: crmExternalId(input.source, input.sourceTicketId),
      subject: ticket.title,
      description: ticket.description,
      requester: ticket.requester,
      status,
      tags: ['ticket-bridge', `source-${input.source}`],
      idempotencyKey: `${workflowInfo().workflowId}/create`,
    };
  }

  private lifecycleSettings() {
    return { ...this.settings, linkedNewIsNoChange: this.rules.v2 };
  }

  private sourceReadable(fingerprint: string): void {
    const memory = this.memory;
    if (memory.sourceMissing) record(memory, 'received', `${this.input.source} ticket readable again`);
    memory.sourceMissing = null;
    memory.sourceRecheckAt = null;
    memory.fingerprints.source = fingerprint;
  }

  private async syncSource(snapshot: SourceTicket | null): Promise<void> {
    const { input, memory } = this;
    if (this.rules.v2 && snapshot === null) return this.readSource();
    const ticket = snapshot ?? (await activities.fetchSourceTicket({ source: input.source, ticketId: input.sourceTicketId }));
    if (ticket === null) {
      if (!this.rules.v2) return this.apply({ type: 'source-deleted', now: Date.now() }, null);
      return this.onSourceMissing();
    }
    const window = newSourceComments(ticket.comments, memory.sourceComments.cursor, memory.sourceComments.ownIds);
    await this.onSourceRead(ticket, window.fresh, window, sourceFingerprint(ticket));
  }

  /** v2: only what is new, window by window, so no read result nears the payload limit. */
  private async readSource(): Promise<void> {
    const { input, memory } = this;
    for (;;) {
      const read = await activities.readSourceTicket({
        source: input.source,
        ticketId: input.sourceTicketId,
        window: { ...memory.sourceComments, maxBytes: READ_WINDOW_BYTES },
      });
      if (read === null) return this.onSourceMissing();
      await this.onSourceRead(read.ticket, read.newComments, read, read.fingerprint);
      if (!read.more || memory.lifecycle.completed) return;
    }
  }

  private async onSourceRead(
    ticket: SourceTicket,
    newComments: SourceComment[],
    next: { cursor: CommentCursor | null; ownIds: string[] },
    fingerprint: string,
  ): Promise<void> {
    const { input, memory } = this;
    if (memory.sourceMissing) record(memory, 'received', `${input.source} ticket readable again`);
    memory.sourceMissing = null;
    memory.sourceRecheckAt = null;
    memory.fingerprints.source = fingerprint;
    await this.apply({ type: 'source-read', ticket, newComments, now: Date.now() }, ticket);
    memory.sourceComments = { cursor: next.cursor, ownIds: next.ownIds };
    if (memory.crm && !memory.lifecycle.completed) await this.syncAssignee(memory.crm.ticketId, ticket.assigneeRef);
    // Snapshots older than what was just applied (or read) are stale from now on.
    if (memory.appliedSnapshotUpdatedAt === null || Date.parse(ticket.updatedAt) > Date.parse(memory.appliedSnapshotUpdatedAt)) {
      memory.appliedSnapshotUpdatedAt = ticket.updatedAt;
    }
  }

  /**
   * A 404 from the source is news only once it persists: three reads spread over
   * `sourceGoneAfterMs` (the first now, then half-way, then at the end). A misrouted load
   * balancer or a wrong tenant key must not solve a live ticket in the CRM and end its workflow.
   */
  private async onSourceMissing(): Promise<void> {
    const { memory, settings } = this;
    const now = Date.now();
    const missing = { since: memory.sourceMissing?.since ?? now, reads: (memory.sourceMissing?.reads ?? 0) + 1 };
    memory.sourceMissing = missing;
    if (missing.reads >= 3 && now - missing.since >= settings.sourceGoneAfterMs) {
      record(memory, 'received', `${this.input.source} ticket gone: ${missing.reads} reads over ${Math.round((now - missing.since) / 1000)} s said 404`);
      memory.sourceRecheckAt = null;
      return this.apply({ type: 'source-deleted', now }, null);
    }
    record(memory, 'received', `${this.input.source} ticket read as 404 (${missing.reads}): not taken as deleted until confirmed`);
    memory.sourceRecheckAt = Math.max(now + 1, missing.since + (settings.sourceGoneAfterMs * Math.min(missing.reads, 2)) / 2);
  }

  /** Mirror a change of the source's assignee (white-label `teammate_id`) to the CRM. */
  private async syncAssignee(crmTicketId: string, assigneeRef: string | null): Promise<void> {
    const known = this.memory.sourceAssigneeRef;
    // A ticket that starts unassigned needs no write; after that, only changes do.
    if (assigneeRef === known || (known === undefined && assigneeRef === null)) return;
    const { mapped, crmAssigneeId } = await this.writes().assignCrmTicket({ crmTicketId, source: this.input.source, assigneeRef });
    this.memory.sourceAssigneeRef = assigneeRef;
    // The assignment changed the CRM ticket: its version is unknown until the next read.
    this.memory.crmVersion = null;
    record(this.memory, 'synced', describeAssignment(this.input.source, assigneeRef, crmAssigneeId));
    if (!mapped) {
      addNote(this.memory, `Assignee ${assigneeRef} has no CRM user in the assignee mapping: the CRM ticket was left unassigned.`);
    }
  }

  private async syncCrm(): Promise<void> {
    const memory = this.memory;
    const linked = memory.crm!;
    if (this.rules.v2) return this.readCrm(linked.ticketId, linked.requesterId);
    const ticket = await activities.fetchCrmTicket({ crmTicketId: linked.ticketId });
    if (ticket === null) {
      throw new SyncFailure('fetchCrmTicket', 'not-found', `CRM ticket ${linked.ticketId} no longer exists (deleted in the CRM?)`);
    }
    memory.fingerprints.crm = crmFingerprint(ticket);
    const window = newAgentReplies(ticket.comments, memory.crmComments.cursor, memory.crmComments.ownIds, linked);
    await this.apply({ type: 'crm-read', status: ticket.status, newAgentReplies: window.fresh, now: Date.now() }, null);
    memory.crmComments = { cursor: window.cursor, ownIds: window.ownIds };
  }

  /**
   * v2: the CRM's new agent replies, window by window. Replies by the bridge's API user count
   * like any agent's (v1 dropped them): the bridge writes no public comment as itself, and its
   * own writes are known by id (ownIds), so a person using that account is heard.
   */
  private async readCrm(crmTicketId: string, requesterId: string): Promise<void> {
    const memory = this.memory;
    for (;;) {
      const read = await activities.readCrmTicket({
        crmTicketId,
        window: { ...memory.crmComments, maxBytes: READ_WINDOW_BYTES },
        participants: { requesterId, bridgeUserId: null },
      });
      if (read === null) {
        throw new SyncFailure('readCrmTicket', 'not-found', `CRM ticket ${crmTicketId} no longer exists (deleted in the CRM?)`);
      }
      memory.fingerprints.crm = read.fingerprint;
      await this.apply({ type: 'crm-read', status: read.status, newAgentReplies: read.newAgentReplies, now: Date.now() }, null);
      memory.crmComments = { cursor: read.cursor, ownIds: read.ownIds };
      if (!read.more || memory.lifecycle.completed) return;
    }
  }

  /**
   * One effect as an activity. A comment is written at most once: each write records the new
   * comment's id (its read-back is then recognised as the bridge's own), and a retried write
   * first looks for a copy of itself that landed.
   */
  /** Returns the id of what it wrote (a comment, the CRM ticket), for the timeline. */
  private async perform(effect: Effect, ticket: SourceTicket | null): Promise<string | undefined> {
    const { input, memory } = this;
    switch (effect.type) {
      case 'create-crm-ticket': {
        const created = await activities.ensureCrmTicket({
          externalId: crmExternalId(input.source, input.sourceTicketId),
          subject: ticket!.title,
          // v1/v2: the opening message's files as URLs in the text (v3 attaches them, see `link`).
          description: withAttachments(ticket!.description, ticket!.descriptionAttachments ?? []),
          requester: ticket!.requester,
          status: effect.status,
          tags: ['ticket-bridge', `source-${input.source}`],
          idempotencyKey: `${workflowInfo().workflowId}/create`,
        });
        // v2 knows the bridge's own writes by id and needs no author to filter on.
        const bridgeUserId = this.rules.v2 ? null : await activities.crmBridgeUserId();
        memory.crm = { ticketId: created.id, requesterId: created.requesterId, bridgeUserId };
        // Its description (the first comment) is not news for the source. Anything after it is:
        // an agent may reply between the create and this read-back, and that reply must travel.
        memory.crmComments.cursor = firstCursor(created.comments) ?? memory.crmComments.cursor;
        memory.lifecycle = { ...memory.lifecycle, linked: true, crmStatus: created.status };
        return created.id;
      }
      case 'crm-user-comment': {
        const body = crmBodyForUserComment(effect.comment, this.rules.v3);
        const commentId = await this.addCrmComment(body, true, 'requester', `crm:${effect.comment.id}`, effect.comment.attachments);
        memory.sourceComments.cursor = cursorOf(effect.comment);
        memory.counts.userCommentsToCrm++;
        return commentId;
      }
      case 'crm-support-note': {
        const body = crmBodyForSupportNote(effect.comment, this.rules.v3);
        const commentId = await this.addCrmComment(body, false, 'bridge', `crm:${effect.comment.id}`, effect.comment.attachments);
        memory.sourceComments.cursor = cursorOf(effect.comment);
        return commentId;
      }
      case 'crm-internal-note':
        return this.addCrmComment(effect.body, false, 'bridge', 'crm:internal-note');
      case 'set-crm-status':
        if (this.rules.v3 && this.alreadyThere(effect.status)) {
          // The bridge's own comment left the ticket there already (Zendesk reopens a ticket on
          // the requester's reply), and nothing has changed it since: no write to make.
        } else if (this.rules.v3) {
          const result = await writeActivities.setCrmStatus({
            crmTicketId: memory.crm!.ticketId,
            status: effect.status,
            condition: {
              version: memory.crmVersion,
              status: this.observed?.crmStatus ?? memory.lifecycle.crmStatus ?? effect.status,
              afterCommentId: (this.observed?.crmCursor ?? memory.crmComments.cursor)?.id ?? null,
              excludeIds: memory.crmComments.ownIds,
              // Only the bridge's conditional writes moved the version since that read: still assigned.
              assigned: this.observed?.crmAssigned === true,
            },
          });
          memory.crmVersion = result ? result.version : null;
          if (!result?.version) this.crmAnswerUnknown = true;
          // A conditional write answers the ticket as it wrote it, nobody else's change in between.
          if (result?.version) memory.fingerprints.crm = crmFingerprint({ status: effect.status, updatedAt: result.version });
        } else {
          await activities.setCrmStatus({ crmTicketId: memory.crm!.ticketId, status: effect.status });
        }
        memory.lifecycle = { ...memory.lifecycle, crmStatus: effect.status };
        memory.counts.statusChangesToCrm++;
        break;
      case 'source-agent-reply': {
        // v3: a public reply's files travel with it (an internal note is never a reply).
        const files = this.rules.v3 && effect.comment.public ? (effect.comment.attachments ?? []) : [];
        const writes = files.length > 0 ? fileWriteActivities : this.writes();
        const { commentId, files: outcomes, followUpId } = await this.openWrite(`source:${effect.comment.id}`, (landedCheck) =>
          writes.postSourceComment({
            source: input.source,
            ticketId: input.sourceTicketId,
            body: sourceBodyForAgentReply(effect.comment),
            ...(this.rules.v3 && { unlessClosed: true }),
            ...(files.length > 0 && { files }),
            afterCommentId: memory.sourceComments.cursor?.id ?? null,
            excludeIds: memory.sourceComments.ownIds,
            ...landedCheck,
          }),
        );
        // A follow-up comment (files that failed after the reply was written) is the bridge's own too.
        const own = followUpId ? [commentId, followUpId] : [commentId];
        memory.sourceComments.ownIds = boundedIds([...memory.sourceComments.ownIds, ...own], MEMORY_BOUNDS.ownIds);
        if (files.length > 0) this.recordFiles(outcomes, `agent reply ${effect.comment.id}`, sideName(input.source));
        memory.crmComments.cursor = cursorOf(effect.comment);
        memory.counts.agentRepliesToSource++;
        return commentId;
      }
      case 'set-source-status':
        if (this.rules.v3) {
          await writeActivities.setSourceStatus({
            source: input.source,
            ticketId: input.sourceTicketId,
            status: effect.status,
            condition: {
              status: this.observed?.sourceStatus ?? memory.lifecycle.sourceStatus ?? effect.status,
              cursor: this.observed?.sourceCursor ?? memory.sourceComments.cursor,
              excludeIds: memory.sourceComments.ownIds,
            },
          });
        } else {
          await activities.setSourceStatus({ source: input.source, ticketId: input.sourceTicketId, status: effect.status });
        }
        memory.lifecycle = { ...memory.lifecycle, sourceStatus: effect.status };
        memory.counts.statusChangesToSource++;
        break;
    }
    return undefined;
  }

  /** `attachments` (v3): the source comment's file URLs, attached in the same write. */
  private async addCrmComment(body: string, isPublic: boolean, as: 'requester' | 'bridge', key: string, attachments: readonly string[] = []): Promise<string> {
    const memory = this.memory;
    // v3, within a decision from both reads: only onto the ticket as read (or as the bridge's own
    // last write left it), so the answer's version is the ticket after this write and nothing else.
    const condition = this.observed && memory.crmVersion !== null ? { version: memory.crmVersion } : undefined;
    const urls = this.rules.v3 ? [...attachments] : [];
    const writes = urls.length > 0 ? fileWriteActivities : this.writes();
    const { commentId, version, status, files } = await this.openWrite(key, (landedCheck) =>
      writes.addCrmComment({
        crmTicketId: memory.crm!.ticketId,
        body,
        public: isPublic,
        ...(urls.length > 0 && { files: { source: this.input.source, urls } }),
        // The requester's id is known since the link: no read of the ticket to learn it.
        author: as === 'requester' ? { as, id: memory.crm!.requesterId } : { as },
        afterCommentId: memory.crmComments.cursor?.id ?? null,
        excludeIds: memory.crmComments.ownIds,
        ...(condition && { condition }),
        ...landedCheck,
      }),
    );
    memory.crmComments.ownIds = boundedIds([...memory.crmComments.ownIds, commentId], MEMORY_BOUNDS.ownIds);
    memory.crmVersion = version ?? null;
    if (!version) this.crmAnswerUnknown = true;
    // Nothing but this write since the read: what the reconciler compares moves with it.
    if (condition && version && status) {
      memory.fingerprints.crm = crmFingerprint({ status, updatedAt: version });
      this.crmAfterOwnComment = { version, status };
    }
    if (urls.length > 0) this.recordFiles(files, `comment ${key.slice('crm:'.length)}`, 'Zendesk');
    return commentId;
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

  /** The activities that write: bounded in v3 (see TICKET_WRITE_OPTIONS). */
  private writes(): TicketActivities {
    return this.rules.v3 ? writeActivities : activities;
  }

  /**
   * A comment write, exactly once by design: the intent is recorded (by key) before the write and
   * cleared once it is known to have landed. A write whose intent is still open from an earlier
   * activity (one that failed after its write may have landed) looks for the landed copy first,
   * even as attempt 1 of a new activity.
   */
  private async openWrite<T>(key: string, write: (landedCheck: { landedCheck?: boolean }) => Promise<T>): Promise<T> {
    const memory = this.memory;
    if (!this.rules.v2) return write({});
    const wasOpen = memory.openWrites.includes(key);
    if (!wasOpen) memory.openWrites = boundedIds([...memory.openWrites, key], MEMORY_BOUNDS.ownIds);
    const result = await write(wasOpen ? { landedCheck: true } : {});
    memory.openWrites = memory.openWrites.filter((k) => k !== key);
    return result;
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
 * A read as a local activity, and, when that keeps failing for its minute (an outage), as the
 * regular activity, retried until the remote is back. A 4xx is an answer, not an outage: thrown,
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

function writeConflictSide(err: unknown, source: string): string {
  const crmWrites = ['setCrmStatus', 'addCrmComment'];
  return err instanceof ActivityFailure && crmWrites.includes(err.activityType) ? 'Zendesk' : sideName(source);
}
