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
import { crmExternalId, type SourceTicket } from '../domain/ticket';
import {
  crmChangedSignal,
  sourceChangedSignal,
  stateQuery,
  type SourceNotification,
  type TicketStateView,
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
};

/** Retried until the remote is back (see TICKET_ACTIVITY_OPTIONS for why these numbers). */
const activities = proxyActivities<TicketActivities>(TICKET_ACTIVITY_OPTIONS);

/** After a sync failed for good (a 4xx), try again later rather than never: 1 min doubling to 1 h. */
function syncRetryDelayMs(failedSyncs: number): number {
  return Math.min(60 * 60_000, 60_000 * 2 ** Math.max(0, failedSyncs - 1));
}

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketStateView> {
  const settings: TicketWorkflowSettings = { ...DEFAULT_WORKFLOW_SETTINGS, ...input.settings };
  const memory: TicketMemory = (input.carried as TicketMemory | undefined) ?? initialMemory();
  const workflowId = workflowInfo().workflowId;
  const publisher = new StatusPublisher(input);
  let retrySyncAt: number | null = hasWork(memory.deferred) ? Date.now() : null;

  setHandler(sourceChangedSignal, (notification) => onSourceNotification(memory, notification));
  setHandler(crmChangedSignal, (notification) => {
    if (!rememberEvent(memory, notification.eventId)) return;
    memory.counts.notifications++;
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, crm: true });
  });
  setHandler(stateQuery, () => toStateView(input, memory));
  publisher.publish(memory);

  while (!memory.lifecycle.completed) {
    const deadline = earliest(memory.lifecycle.solvedTimerDeadline, retrySyncAt);
    const woken =
      deadline === null
        ? (await condition(() => hasWork(memory.pending)), true)
        : await condition(() => hasWork(memory.pending), Math.max(1, deadline - Date.now()));

    if (!woken && !(retrySyncAt !== null && Date.now() >= retrySyncAt)) {
      await apply({ type: 'solved-timer-fired', now: Date.now() }, null);
      continue;
    }
    // Whatever failed before is retried with this sync, whether the back-off ran out or news arrived.
    const work = mergeWork(memory.pending, memory.deferred);
    memory.pending = memory.deferred = NO_WORK;
    const ok = await sync(work);
    memory.failedSyncs = ok ? 0 : memory.failedSyncs + 1;
    retrySyncAt = ok ? null : Date.now() + syncRetryDelayMs(memory.failedSyncs);

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
      if (work.deleted) {
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
      memory.deferred = mergeWork(memory.deferred, work);
      return false;
    }
  }

  async function syncSource(snapshot: SourceTicket | null): Promise<void> {
    const ticket = snapshot ?? (await activities.fetchSourceTicket({ source: input.source, ticketId: input.sourceTicketId }));
    if (ticket === null) return apply({ type: 'source-deleted', now: Date.now() }, null);
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
    memory.notes = boundedIds([...memory.notes, `${new Date(Date.now()).toISOString()} ${note}`], MEMORY_BOUNDS.notes);
  }

  async function syncCrm(): Promise<void> {
    const linked = memory.crm!;
    const ticket = await activities.fetchCrmTicket({ crmTicketId: linked.ticketId });
    if (ticket === null) {
      throw new SyncFailure('fetchCrmTicket', 'not-found', `CRM ticket ${linked.ticketId} no longer exists (deleted in the CRM?)`);
    }
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

function onSourceNotification(memory: TicketMemory, notification: SourceNotification): void {
  if (!rememberEvent(memory, notification.eventId)) return;
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
