/**
 * One sync of a ticket: read each side back, let the pure lifecycle decide, perform its effects
 * as activities. Progress is recorded on the memory effect by effect (comment cursors, side
 * statuses), so a sync that fails half-way redoes only what did not happen.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { TICKET_ACTIVITY_OPTIONS } from '../activities/retry-policy';
import type { TicketActivities } from '../activities/types';
import { boundedIds, compareComments, newAgentReplies, newSourceComments, type CommentCursor } from '../domain/comments';
import { crmFingerprint, sourceFingerprint } from '../domain/fingerprints';
import { decide, type Effect, type Observation } from '../domain/lifecycle';
import { crmBodyForSupportNote, crmBodyForUserComment, sourceBodyForAgentReply } from '../domain/messages';
import { crmExternalId, type SourceComment, type SourceTicket } from '../domain/ticket';
import type { TicketWorkflowInput, TicketWorkflowSettings } from './definitions';
import { hasWork, MEMORY_BOUNDS, mergeWork, type PendingWork, type TicketMemory } from './memory';
import { addNote, describeAssignment, describeEffect, record } from './timeline';

/** Retried until the remote is back (see TICKET_ACTIVITY_OPTIONS for why these numbers). */
const activities = proxyActivities<TicketActivities>(TICKET_ACTIVITY_OPTIONS);

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

  /** One sync: the source side, then the CRM side. false when an operation failed for good. */
  async run(work: PendingWork): Promise<boolean> {
    const memory = this.memory;
    memory.counts.syncs++;
    try {
      if (work.closeReason !== null) {
        await this.apply({ type: 'operator-closed', reason: work.closeReason, now: Date.now() }, null);
      } else if (work.deleted) {
        await this.apply({ type: 'source-deleted', now: Date.now() }, null);
      } else if (work.source || work.snapshot || work.solvedTimer) {
        // The timer decides from a fresh read, never from a snapshot or from memory alone.
        await this.syncSource(work.solvedTimer ? null : work.snapshot);
      }
      if (!memory.lifecycle.completed && memory.crm && hasWork(work)) await this.syncCrm();
      // Both sides read: if the user neither confirmed nor answered meanwhile, the timer closes it.
      if (work.solvedTimer && !memory.lifecycle.completed) {
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
    const decision = decide(this.memory.lifecycle, observation, { ...this.settings, linkedNewIsNoChange: this.rules.v2 });
    for (const effect of decision.effects) {
      const written = await this.perform(effect, ticket);
      record(this.memory, 'synced', describeEffect(effect, this.input.source, written));
    }
    this.memory.lifecycle = decision.state;
    this.onStep();
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
    const { mapped, crmAssigneeId } = await activities.assignCrmTicket({ crmTicketId, source: this.input.source, assigneeRef });
    this.memory.sourceAssigneeRef = assigneeRef;
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
          description: ticket!.description,
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
        const commentId = await this.addCrmComment(crmBodyForUserComment(effect.comment), true, 'requester', `crm:${effect.comment.id}`);
        memory.sourceComments.cursor = cursorOf(effect.comment);
        memory.counts.userCommentsToCrm++;
        return commentId;
      }
      case 'crm-support-note': {
        const commentId = await this.addCrmComment(crmBodyForSupportNote(effect.comment), false, 'bridge', `crm:${effect.comment.id}`);
        memory.sourceComments.cursor = cursorOf(effect.comment);
        return commentId;
      }
      case 'crm-internal-note':
        return this.addCrmComment(effect.body, false, 'bridge', 'crm:internal-note');
      case 'set-crm-status':
        await activities.setCrmStatus({ crmTicketId: memory.crm!.ticketId, status: effect.status });
        memory.lifecycle = { ...memory.lifecycle, crmStatus: effect.status };
        memory.counts.statusChangesToCrm++;
        break;
      case 'source-agent-reply': {
        const { commentId } = await this.openWrite(`source:${effect.comment.id}`, (landedCheck) =>
          activities.postSourceComment({
            source: input.source,
            ticketId: input.sourceTicketId,
            body: sourceBodyForAgentReply(effect.comment),
            afterCommentId: memory.sourceComments.cursor?.id ?? null,
            excludeIds: memory.sourceComments.ownIds,
            ...landedCheck,
          }),
        );
        memory.sourceComments.ownIds = boundedIds([...memory.sourceComments.ownIds, commentId], MEMORY_BOUNDS.ownIds);
        memory.crmComments.cursor = cursorOf(effect.comment);
        memory.counts.agentRepliesToSource++;
        return commentId;
      }
      case 'set-source-status':
        await activities.setSourceStatus({ source: input.source, ticketId: input.sourceTicketId, status: effect.status });
        memory.lifecycle = { ...memory.lifecycle, sourceStatus: effect.status };
        memory.counts.statusChangesToSource++;
        break;
    }
    return undefined;
  }

  private async addCrmComment(body: string, isPublic: boolean, as: 'requester' | 'bridge', key: string): Promise<string> {
    const memory = this.memory;
    const { commentId } = await this.openWrite(key, (landedCheck) =>
      activities.addCrmComment({
        crmTicketId: memory.crm!.ticketId,
        body,
        public: isPublic,
        author: { as },
        afterCommentId: memory.crmComments.cursor?.id ?? null,
        excludeIds: memory.crmComments.ownIds,
        ...landedCheck,
      }),
    );
    memory.crmComments.ownIds = boundedIds([...memory.crmComments.ownIds, commentId], MEMORY_BOUNDS.ownIds);
    return commentId;
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
