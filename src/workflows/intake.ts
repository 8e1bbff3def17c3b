/**
 * What arrives from outside (signals, update requests), turned into pending work on the memory.
 * Handlers only record; the workflow's loop does the work.
 */
import { boundedIds } from '../domain/comments';
import type { SourceTicket } from '../domain/ticket';
import type { CrmChange, CrmNotification, SourceNotification } from './definitions';
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

/**
 * The CRM said its ticket changed: `redelivery` for an event id already seen, `own-echo` for the
 * event of the bridge's own write (recognised when `recogniseEchoes`), else `news` (a read is due).
 * `tellLater` (rules 1.2): an event with its facts is told apart when the sync starts (`later`,
 * see `PendingWork.crmChanges`), when the answers of the writes it may echo are in.
 */
export function onCrmNotification(
  memory: TicketMemory,
  notification: CrmNotification,
  recogniseEchoes: boolean,
  tellLater = false,
): 'news' | 'redelivery' | 'own-echo' | 'later' {
  if (!rememberEvent(memory, notification.eventId)) return 'redelivery';
  memory.counts.notifications++;
  if (tellLater && notification.change) {
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, crmChanges: [notification.change] });
    return 'later';
  }
  if (recogniseEchoes && notification.change && isOwnEcho(memory, notification.change)) return 'own-echo';
  memory.pending = mergeWork(memory.pending, { ...NO_WORK, crm: true });
  return 'news';
}

/**
 * An event the workflow needs no news from: one it has seen (a redelivery), or, when
 * `recogniseEchoes`, the echo of a write of its own whose answer it has taken in. What it cannot
 * tell yet (an event that overtook its write's answer) is not known.
 */
export function isKnownCrmEvent(memory: TicketMemory, notification: CrmNotification, recogniseEchoes: boolean): boolean {
  if (notification.eventId !== null && memory.seenEventIds.includes(notification.eventId)) return true;
  return recogniseEchoes && notification.change != null && isOwnEcho(memory, notification.change);
}

/**
 * Rules 1.2: the pending helpdesk events told apart (see `PendingWork.crmChanges`): news among
 * them makes `crm` work; the bridge's own echoes ask for nothing. `echoes`: how many were its own.
 */
export function tellCrmChanges(memory: TicketMemory, work: PendingWork): { work: PendingWork; echoes: CrmChange[]; news: number } {
  const changes = work.crmChanges ?? [];
  if (changes.length === 0) return { work, echoes: [], news: 0 };
  const echoes = changes.filter((change) => isOwnEcho(memory, change));
  const news = changes.length - echoes.length;
  return { work: { ...work, crm: work.crm || news > 0, crmChanges: [] }, echoes, news };
}

/** The timeline's line for the event of one of the bridge's own writes; `crm`: the helpdesk's name. */
export function ownEchoLine(crm: string, change: CrmChange | null | undefined): string {
  return `${crm}: the event of the bridge's own write${change?.commentId ? ` (comment ${change.commentId})` : ''}, nothing to read`;
}

/**
 * The echo of a write the bridge made, recognised by what it knows it wrote, never by who the
 * actor is (a person may work in the helpdesk with the bridge's account): a comment whose id the
 * bridge's write answered, or a change that left the ticket exactly at the version and status
 * the answer of the bridge's last conditional write gave. A person's change in the same second
 * tells another status, or adds a comment of another id: news. What is not recognised (an event
 * that overtook its write's answer) is read back, which costs a read and nothing else.
 */
export function isOwnEcho(memory: TicketMemory, change: CrmChange): boolean {
  if (change.commentId !== null) return memory.crmComments.ownIds.includes(change.commentId);
  const own = memory.crmOwnWrite;
  return own != null && Date.parse(own.version) === Date.parse(change.updatedAt) && own.status === change.status;
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
