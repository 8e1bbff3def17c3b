/**
 * The webhook routes' gateway when the API has an inbox: the fast path is unchanged (straight
 * to Temporal, nothing on disk), and a notification Temporal cannot take now is queued durably
 * instead of being refused:
 *
 *  - Temporal answered: its answer, as before.
 *  - `TemporalUnavailableError` (unreachable, or no answer within the call's deadline): the
 *    notification is appended to the inbox, and only once it is on disk does the route answer
 *    202 `queued`. Should the inbox refuse too (full, disk error), the original error stands and
 *    the route answers 503 as before: nothing was recorded, the sender must retry.
 *  - An entry for the same ticket still waits in the inbox: the new notification queues behind
 *    it, so one ticket's notifications reach its workflow in arrival order. (Two webhooks racing
 *    the very edge of an outage may still swap; harmless, since each only triggers a read-back.)
 *
 * Ops calls (list, describe, updates) pass through: an operator wants the answer, not a promise.
 */
import type { Logger } from '../../observability/logger';
import { type CrmNotifyResult, type SourceNotifyResult, TemporalUnavailableError, type TicketWorkflowGateway } from '../gateway';
import { type InboxNotification, workflowIdOf } from './notification';
import { InboxFullError, type InboxStats } from './store';

/** What queueing needs of the inbox; the routes' `WebhookInbox` (./index.ts) is one. */
export interface InboxQueue {
  /** Durably queues a notification; resolves once it is on disk. Rejects (nothing recorded) when full or on a disk error. */
  enqueue(item: InboxNotification): Promise<void>;
  /** An entry for this notification's ticket still waits (a new one must queue behind it). */
  holds(item: InboxNotification): boolean;
  /** A webhook just reached Temporal on the fast path: deliver what waits without further back-off. */
  temporalAnswered(): void;
  stats(): InboxStats;
}

export function queueWhenUnavailable(gateway: TicketWorkflowGateway, inbox: InboxQueue, logger: Logger): TicketWorkflowGateway {
  /** `direct()` unless the ticket already waits in the inbox or Temporal cannot be reached; then queued. */
  async function deliverOrQueue<R>(item: InboxNotification, direct: () => Promise<R>, queued: R): Promise<R> {
    const workflowId = workflowIdOf(item);
    if (inbox.holds(item)) {
      try {
        await inbox.enqueue(item);
        return queued;
      } catch (err) {
        // Order is a nicety, delivery is not: try Temporal directly after all.
        logRefusal(err, workflowId);
      }
    }
    let unavailable: TemporalUnavailableError;
    try {
      const result = await direct();
      inbox.temporalAnswered();
      return result;
    } catch (err) {
      if (!(err instanceof TemporalUnavailableError)) throw err;
      unavailable = err;
    }
    try {
      await inbox.enqueue(item);
    } catch (err) {
      logRefusal(err, workflowId);
      throw unavailable;
    }
    logger.warn({ err: unavailable, workflowId, queued: inbox.stats().entries }, 'temporal unavailable; webhook queued in the inbox');
    return queued;
  }

  function logRefusal(err: unknown, workflowId: string | null): void {
    const { entries, maxEntries } = inbox.stats();
    if (err instanceof InboxFullError) logger.warn({ workflowId, queued: entries, maxEntries }, 'inbox full (INBOX_MAX_ENTRIES): webhook refused');
    else logger.error({ err, workflowId, queued: entries }, 'inbox write failed: webhook refused');
  }

  return {
    // Spelled out, not spread: a gateway may be a class instance (its methods on the prototype).
    ready: () => gateway.ready(),
    listTickets: (filter) => gateway.listTickets(filter),
    describeTicket: (source, id) => gateway.describeTicket(source, id),
    updateTicket: (source, id, update, options) => gateway.updateTicket(source, id, update, options),
    notifySource(source, sourceTicketId, notification): Promise<SourceNotifyResult> {
      const item: InboxNotification = { target: 'source', source, sourceTicketId, notification };
      return deliverOrQueue(item, () => gateway.notifySource(source, sourceTicketId, notification), {
        outcome: 'queued',
        workflowId: workflowIdOf(item)!,
      });
    },
    notifyCrm(notification, externalId): Promise<CrmNotifyResult> {
      const item: InboxNotification = { target: 'crm', notification, externalId };
      const workflowId = workflowIdOf(item);
      return deliverOrQueue(item, () => gateway.notifyCrm(notification, externalId), {
        outcome: 'queued',
        ...(workflowId !== null && { workflowId }),
      });
    },
  };
}
