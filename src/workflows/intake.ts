/**
 * What arrives from outside (signals, update requests), turned into pending work on the memory.
 * Handlers only record; the workflow's loop does the work.
 */
import { boundedIds } from '../domain/comments';
import type { SourceTicket } from '../domain/ticket';
import type { SourceNotification } from './definitions';
import { MEMORY_BOUNDS, mergeWork, NO_WORK, type PendingWork, type TicketMemory } from './memory';

/** Records the notification's work; false for a redelivery (an event id already seen). */
export function onSourceNotification(memory: TicketMemory, notification: SourceNotification): boolean {
  if (!rememberEvent(memory, notification.eventId)) return false;
  memory.counts.notifications++;
  const { kind, snapshot } = notification;
  if (kind === 'deleted') {
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, deleted: true });
  } else if (snapshot === null) {
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, source: true });
  } else {
    memory.pending = withSnapshot(memory, snapshot);
  }
  return true;
}

/** The CRM said its ticket changed; false for a redelivery. */
export function onCrmNotification(memory: TicketMemory, eventId: string | null): boolean {
  if (!rememberEvent(memory, eventId)) return false;
  memory.counts.notifications++;
  memory.pending = mergeWork(memory.pending, { ...NO_WORK, crm: true });
  return true;
}

/**
 * Full-payload events can arrive out of order, and the platform's clock has second resolution:
 * a snapshot older than the applied (or pending) one is stale and dropped; one of the very same
 * second cannot be ordered against it (two writes a millisecond apart), so neither is trusted and
 * the ticket is read back from the source instead.
 */
function withSnapshot(memory: TicketMemory, snapshot: SourceTicket): PendingWork {
  const at = Date.parse(snapshot.updatedAt);
  const applied = memory.appliedSnapshotUpdatedAt === null ? null : Date.parse(memory.appliedSnapshotUpdatedAt);
  if (applied !== null && at < applied) return memory.pending; // stale
  if (applied !== null && at === applied) return mergeWork(memory.pending, { ...NO_WORK, source: true });
  // Newer than the applied one; against a pending snapshot, mergeWork keeps the newer (or reads back on a tie).
  return mergeWork(memory.pending, { ...NO_WORK, snapshot });
}

const MAX_REASON_LENGTH = 500;

/** Update validators: refuse before anything reaches history. */
export function validateOperatorRequest(memory: TicketMemory, reason: string | undefined, reasonRequired: boolean): void {
  if (memory.lifecycle.completed) throw new Error(`the ticket is already ${memory.lifecycle.status} and its workflow has completed`);
  if (reason !== undefined && typeof reason !== 'string') throw new Error('reason must be a string');
  const trimmed = reason?.trim() ?? '';
  if (reasonRequired && trimmed === '') throw new Error('reason is required');
  if (trimmed.length > MAX_REASON_LENGTH) throw new Error(`reason must be at most ${MAX_REASON_LENGTH} characters`);
}

/** false for an event id already seen (a redelivery). */
function rememberEvent(memory: TicketMemory, eventId: string | null): boolean {
  if (eventId === null) return true;
  if (memory.seenEventIds.includes(eventId)) return false;
  memory.seenEventIds = boundedIds([...memory.seenEventIds, eventId], MEMORY_BOUNDS.eventIds);
  return true;
}
