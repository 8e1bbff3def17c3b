/**
 * One long-running workflow per source ticket. Signals only mark work as pending; a single loop
 * does the work, so notifications that arrive during a sync are coalesced into the next one,
 * and duplicates or reordering do no harm: every sync reads the source (and the CRM) back and
 * lets the pure lifecycle decide what to write.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { TICKET_ACTIVITY_OPTIONS } from '../activities/retry-policy';
import type { TicketActivities } from '../activities/types';
import { boundedIds, newAgentReplies, newSourceComments, type CommentCursor } from '../domain/comments';
import { decide, type Effect, type Observation } from '../domain/lifecycle';
import { crmBodyForSupportNote, crmBodyForUserComment, sourceBodyForAgentReply } from '../domain/messages';
import { crmFingerprint, sourceFingerprint } from '../domain/fingerprints';
import { crmExternalId, type SourceTicket } from '../domain/ticket';
import {
  closeUpdate,
  crmChangedSignal,
  resyncUpdate,
  sourceChangedSignal,
  stateQuery,
  type SourceNotification,
  type TicketStateView,
  type TimelineEntry,
  type TicketWorkflowInput,
  type TicketWorkflowSettings,
} from './definitions';
import {
  hasWork,
  initialMemory,
  MEMORY_BOUNDS,
  mergeWork,
  NO_WORK,
  toStateView,
  type PendingWork,
  type TicketMemory,
} from './memory';
import { CrmTicketIdKey, TicketSourceKey, TicketStatusKey } from './search-attributes';

export const DEFAULT_WORKFLOW_SETTINGS: TicketWorkflowSettings = {
  solvedAutoCloseAfterMs: 72 * 60 * 60 * 1000,
  reopenSourceStatus: 'PENDING',
  continueAsNewAfterEvents: 10_000,
  failedSyncRetryMs: 60_000,
};

/** Retried until the remote is back (see TICKET_ACTIVITY_OPTIONS for why these numbers). */
const activities = proxyActivities<TicketActivities>(TICKET_ACTIVITY_OPTIONS);

/** After a sync failed for good (a 4xx), try again later rather than never: doubling, at most hourly. */
function syncRetryDelayMs(firstMs: number, failedSyncs: number): number {
  return Math.min(60 * 60_000, firstMs * 2 ** Math.max(0, failedSyncs - 1));
}

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketStateView> {
  const settings: TicketWorkflowSettings = { ...DEFAULT_WORKFLOW_SETTINGS, ...input.settings };
  const memory: TicketMemory = (input.carried as TicketMemory | undefined) ?? initialMemory();
  const workflowId = workflowInfo().workflowId;
  const publisher = new StatusPublisher(input);
  let retrySyncAt: number | null = hasWork(memory.deferred) ? Date.now() : null;

  /** Syncs finished in this run; an update waits for the first sync that starts after it arrived. */
  let finishedSyncs = memory.counts.syncs;
  const runSoon = async (work: Partial<PendingWork>): Promise<TicketStateView> => {
    const target = memory.counts.syncs + 1;
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, ...work });
    await condition(() => finishedSyncs >= target);
    return toStateView(input, memory);
  };

  setHandler(sourceChangedSignal, (notification) => {
    if (onSourceNotification(memory, notification)) record(memory, 'received', `${input.source} ${notification.kind}`);
  });
  setHandler(crmChangedSignal, (notification) => {
    if (!rememberEvent(memory, notification.eventId)) return;
    memory.counts.notifications++;
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, crm: true });
    record(memory, 'received', 'crm notification');
  });
  setHandler(stateQuery, () => toStateView(input, memory));
  setHandler(
    resyncUpdate,
    (request) => {
      record(memory, 'operator', `resync requested${request.reason ? `: ${request.reason}` : ''}`);
      return runSoon({ source: true, crm: true });
    },
    { validator: (request) => validateOperatorRequest(memory, request.reason, false) },
  );
  setHandler(
    closeUpdate,
    (request) => {
      record(memory, 'operator', `close requested: ${request.reason}`);
      return runSoon({ closeReason: request.reason });
    },
    { validator: (request) => validateOperatorRequest(memory, request.reason, true) },
  );
  publisher.publish(memory);

  while (!memory.lifecycle.completed) {
    const deadline = earliest(memory.lifecycle.solvedTimerDeadline, retrySyncAt);
    const woken =
      deadline === null
        ? (await condition(() => hasWork(memory.pending)), true)
        : await condition(() => hasWork(memory.pending), Math.max(1, deadline - Date.now()));

    if (!woken && !(retrySyncAt !== null && Date.now() >= retrySyncAt)) {
      record(memory, 'timer', 'SOLVED timer fired: no confirmation from the user');
      await apply({ type: 'solved-timer-fired', now: Date.now() }, null);
      continue;
    }
    // Whatever failed before is retried with this sync, whether the back-off ran out or news arrived.
    const work = mergeWork(memory.pending, memory.deferred);
    memory.pending = memory.deferred = NO_WORK;
    const ok = await sync(work);
    finishedSyncs = memory.counts.syncs;
    memory.failedSyncs = ok ? 0 : memory.failedSyncs + 1;
    retrySyncAt = ok ? null : Date.now() + syncRetryDelayMs(settings.failedSyncRetryMs, memory.failedSyncs);

    const info = workflowInfo();
    if (!memory.lifecycle.completed && (info.continueAsNewSuggested || info.historyLength > settings.continueAsNewAfterEvents)) {
      // Hand everything over, pending work included, once no signal handler is mid-flight.
      await condition(allHandlersFinished);
      await continueAsNew<typeof ticketWorkflow>({ ...input, carried: memory });
    }
  }
  await condition(allHandlersFinished);
  return toStateView(input, memory);

  // ── steps, closing over this run's input, settings and memory ───────────────────────────

  async function apply(observation: Observation, ticket: SourceTicket | null): Promise<void> {
    const decision = decide(memory.lifecycle, observation, settings);
    await runEffects(decision.effects, ticket);
    memory.lifecycle = decision.state;
    publisher.publish(memory);
  }

  /** One sync: the source side, then the CRM side. false when an operation failed for good. */
  async function sync(work: PendingWork): Promise<boolean> {
    memory.counts.syncs++;
    try {
      if (work.closeReason !== null) {
        await apply({ type: 'operator-closed', reason: work.closeReason, now: Date.now() }, null);
      } else if (work.deleted) {
        await apply({ type: 'source-deleted', now: Date.now() }, null);
      } else if (work.source || work.snapshot) {
        await syncSource(work.snapshot);
      }
      if (!memory.lifecycle.completed && memory.crm && hasWork(work)) await syncCrm();
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

  async function syncSource(snapshot: SourceTicket | null): Promise<void> {
    const ticket = snapshot ?? (await activities.fetchSourceTicket({ source: input.source, ticketId: input.sourceTicketId }));
    if (ticket === null) return apply({ type: 'source-deleted', now: Date.now() }, null);
    memory.fingerprints.source = sourceFingerprint(ticket);
    const window = newSourceComments(ticket.comments, memory.sourceComments.cursor, memory.sourceComments.ownIds);
    await apply({ type: 'source-read', ticket, newComments: window.fresh, now: Date.now() }, ticket);
    memory.sourceComments = { cursor: window.cursor, ownIds: window.ownIds };
    if (memory.crm && !memory.lifecycle.completed) await syncAssignee(memory.crm.ticketId, ticket.assigneeRef);
    if (snapshot) memory.appliedSnapshotUpdatedAt = snapshot.updatedAt;
  }

  /** Mirror a change of the source's assignee (white-label `teammate_id`) to the CRM. */
  async function syncAssignee(crmTicketId: string, assigneeRef: string | null): Promise<void> {
    const known = memory.sourceAssigneeRef;
    // A ticket that starts unassigned needs no write; after that, only changes do.
    if (assigneeRef === known || (known === undefined && assigneeRef === null)) return;
    const { mapped } = await activities.assignCrmTicket({ crmTicketId, source: input.source, assigneeRef });
    memory.sourceAssigneeRef = assigneeRef;
    if (!mapped) {
      addNote(`Assignee ${assigneeRef} has no CRM user in the assignee mapping: the CRM ticket was left unassigned.`);
    }
  }

  function addNote(note: string): void {
    record(memory, 'synced', note);
    memory.notes = boundedIds([...memory.notes, `${new Date(Date.now()).toISOString()} ${note}`], MEMORY_BOUNDS.notes);
  }

  async function syncCrm(): Promise<void> {
    const linked = memory.crm!;
    const ticket = await activities.fetchCrmTicket({ crmTicketId: linked.ticketId });
    if (ticket === null) {
      throw new SyncFailure('fetchCrmTicket', 'not-found', `CRM ticket ${linked.ticketId} no longer exists (deleted in the CRM?)`);
    }
    memory.fingerprints.crm = crmFingerprint(ticket);
    const window = newAgentReplies(ticket.comments, memory.crmComments.cursor, memory.crmComments.ownIds, linked);
    await apply({ type: 'crm-read', status: ticket.status, newAgentReplies: window.fresh, now: Date.now() }, null);
    memory.crmComments = { cursor: window.cursor, ownIds: window.ownIds };
  }

  /**
   * Perform the lifecycle's effects in order. Progress is recorded effect by effect (comment
   * cursors, side statuses), so a sync that fails half-way redoes only what did not happen.
   * A comment is written at most once: each write records the new comment's id (its read-back is
   * then recognised as the bridge's own), and a retried write first looks for a copy that landed.
   */
  async function runEffects(effects: Effect[], ticket: SourceTicket | null): Promise<void> {
    for (const effect of effects) {
      await runEffect(effect, ticket);
      record(memory, 'synced', describeEffect(effect, input.source));
    }
  }

  async function runEffect(effect: Effect, ticket: SourceTicket | null): Promise<void> {
    switch (effect.type) {
      case 'create-crm-ticket': {
        const created = await activities.ensureCrmTicket({
          externalId: crmExternalId(input.source, input.sourceTicketId),
          subject: ticket!.title,
          description: ticket!.description,
          requester: ticket!.requester,
          status: effect.status,
          tags: ['ticket-bridge', `source-${input.source}`],
          idempotencyKey: `${workflowId}/create`,
        });
        const bridgeUserId = await activities.crmBridgeUserId();
        memory.crm = { ticketId: created.id, requesterId: created.requesterId, bridgeUserId };
        // What the CRM ticket already holds (its description) is not news for the source.
        memory.crmComments.cursor = lastCursor(created.comments) ?? memory.crmComments.cursor;
        memory.lifecycle = { ...memory.lifecycle, linked: true, crmStatus: created.status };
        break;
      }
      case 'crm-user-comment':
        await addCrmComment(crmBodyForUserComment(effect.comment), true, 'requester');
        memory.sourceComments.cursor = cursorOf(effect.comment);
        memory.counts.userCommentsToCrm++;
        break;
      case 'crm-support-note':
        await addCrmComment(crmBodyForSupportNote(effect.comment), false, 'bridge');
        memory.sourceComments.cursor = cursorOf(effect.comment);
        break;
      case 'crm-internal-note':
        await addCrmComment(effect.body, false, 'bridge');
        break;
      case 'set-crm-status':
        await activities.setCrmStatus({ crmTicketId: memory.crm!.ticketId, status: effect.status });
        memory.lifecycle = { ...memory.lifecycle, crmStatus: effect.status };
        memory.counts.statusChangesToCrm++;
        break;
      case 'source-agent-reply': {
        const { commentId } = await activities.postSourceComment({
          source: input.source,
          ticketId: input.sourceTicketId,
          body: sourceBodyForAgentReply(effect.comment),
          afterCommentId: memory.sourceComments.cursor?.id ?? null,
          excludeIds: memory.sourceComments.ownIds,
        });
        memory.sourceComments.ownIds = boundedIds([...memory.sourceComments.ownIds, commentId], MEMORY_BOUNDS.ownIds);
        memory.crmComments.cursor = cursorOf(effect.comment);
        memory.counts.agentRepliesToSource++;
        break;
      }
      case 'set-source-status':
        await activities.setSourceStatus({ source: input.source, ticketId: input.sourceTicketId, status: effect.status });
        memory.lifecycle = { ...memory.lifecycle, sourceStatus: effect.status };
        memory.counts.statusChangesToSource++;
        break;
    }
  }

  async function addCrmComment(body: string, isPublic: boolean, as: 'requester' | 'bridge'): Promise<void> {
    const { commentId } = await activities.addCrmComment({
      crmTicketId: memory.crm!.ticketId,
      body,
      public: isPublic,
      author: { as },
      afterCommentId: memory.crmComments.cursor?.id ?? null,
      excludeIds: memory.crmComments.ownIds,
    });
    memory.crmComments.ownIds = boundedIds([...memory.crmComments.ownIds, commentId], MEMORY_BOUNDS.ownIds);
  }
}

/** Records the notification's work; false for a redelivery (an event id already seen). */
function onSourceNotification(memory: TicketMemory, notification: SourceNotification): boolean {
  if (!rememberEvent(memory, notification.eventId)) return false;
  memory.counts.notifications++;
  const { kind, snapshot } = notification;
  if (kind === 'deleted') {
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, deleted: true });
  } else if (snapshot === null) {
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, source: true });
  } else if (memory.appliedSnapshotUpdatedAt === null || Date.parse(snapshot.updatedAt) >= Date.parse(memory.appliedSnapshotUpdatedAt)) {
    // Full-payload events can arrive out of order: a snapshot older than the applied one is stale.
    // One of the same second is not (events of one second share updatedAt; redeliveries were
    // already dropped by event id).
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, snapshot });
  }
  return true;
}

const MAX_REASON_LENGTH = 500;

/** Update validators: refuse before anything reaches history. */
function validateOperatorRequest(memory: TicketMemory, reason: string | undefined, reasonRequired: boolean): void {
  if (memory.lifecycle.completed) throw new Error(`the ticket is already ${memory.lifecycle.status} and its workflow has completed`);
  if (reason !== undefined && typeof reason !== 'string') throw new Error('reason must be a string');
  const trimmed = reason?.trim() ?? '';
  if (reasonRequired && trimmed === '') throw new Error('reason is required');
  if (trimmed.length > MAX_REASON_LENGTH) throw new Error(`reason must be at most ${MAX_REASON_LENGTH} characters`);
}

function record(memory: TicketMemory, kind: TimelineEntry['kind'], detail: string): void {
  const entry: TimelineEntry = { at: new Date(Date.now()).toISOString(), kind, detail };
  memory.timeline = [...memory.timeline, entry].slice(-MEMORY_BOUNDS.timeline);
}

/** A timeline line for a write: what went where, never the text itself. */
function describeEffect(effect: Effect, source: string): string {
  switch (effect.type) {
    case 'create-crm-ticket':
      return `crm ticket created (${effect.status})`;
    case 'crm-user-comment':
      return `user comment → crm`;
    case 'crm-support-note':
      return `support comment from ${source} → crm internal note`;
    case 'crm-internal-note':
      return 'internal note → crm';
    case 'set-crm-status':
      return `crm status → ${effect.status}`;
    case 'source-agent-reply':
      return `agent reply → ${source}`;
    case 'set-source-status':
      return `${source} status → ${effect.status}`;
  }
}

/** false for an event id already seen (a redelivery). */
function rememberEvent(memory: TicketMemory, eventId: string | null): boolean {
  if (eventId === null) return true;
  if (memory.seenEventIds.includes(eventId)) return false;
  memory.seenEventIds = boundedIds([...memory.seenEventIds, eventId], MEMORY_BOUNDS.eventIds);
  return true;
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

function lastCursor(comments: readonly { id: string; createdAt: string }[]): CommentCursor | null {
  const last = comments.at(-1);
  return last ? { id: last.id, createdAt: last.createdAt } : null;
}

function earliest(...deadlines: (number | null)[]): number | null {
  const set = deadlines.filter((d): d is number => d !== null);
  return set.length === 0 ? null : Math.min(...set);
}

/**
 * Keeps the Temporal UI's view (search attributes, memo) in step with the lifecycle, writing
 * only on change so an unchanged ticket adds nothing to its history.
 */
class StatusPublisher {
  private published: string | null = null;
  constructor(private readonly input: TicketWorkflowInput) {}

  publish(memory: TicketMemory): void {
    const crmTicketId = memory.crm?.ticketId ?? null;
    const key = `${memory.lifecycle.status}/${crmTicketId}`;
    if (key === this.published) return;
    this.published = key;
    upsertSearchAttributes([
      { key: TicketSourceKey, value: this.input.source },
      { key: TicketStatusKey, value: memory.lifecycle.status },
      ...(crmTicketId ? [{ key: CrmTicketIdKey, value: crmTicketId }] : []),
    ]);
    upsertMemo({
      ticket: `${this.input.source} ticket ${this.input.sourceTicketId}`,
      crmTicket: crmTicketId ? `zendesk ticket ${crmTicketId}` : 'not created yet',
      status: memory.lifecycle.status,
    });
  }
}
