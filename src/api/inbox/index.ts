/**
 * The API's durable inbox: webhooks that arrive while Temporal cannot be reached are kept on
 * local disk (store.ts) and replayed into Temporal when it answers again (drainer.ts), instead
 * of being refused with a 503 that Connect, which never retries, would turn into a lost ticket.
 * The webhook routes reach it through `queueWhenUnavailable` (queueing-gateway.ts).
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Logger } from '../../observability/logger';
import type { PayloadEncryption } from '../../security/codec/data-converter';
import type { TicketWorkflowGateway } from '../gateway';
import { InboxDrainer } from './drainer';
import type { InboxQueue } from './queueing-gateway';
import { InboxStore } from './store';

export { InboxEntryUnreadableError, type UnreadableReason } from './entry-codec';
export { type InboxNotification, orderingKey, workflowIdOf } from './notification';
export { type InboxQueue, queueWhenUnavailable } from './queueing-gateway';
export { ageSeconds, InboxClosedError, type InboxEntryRef, InboxFullError, type InboxStats, InboxStore } from './store';
export { InboxDrainer } from './drainer';

/** What the routes, health and metrics see of the inbox. */
export interface WebhookInbox extends InboxQueue {
  /** Whether an enqueue would be taken now: room left and the directory writable. */
  accepting(): Promise<boolean>;
}

export interface RunningWebhookInbox extends WebhookInbox {
  /** Stops delivering (waits for the delivery under way) and closes the store. */
  stop(): Promise<void>;
}

export interface WebhookInboxOptions {
  /** `INBOX_DIR`: this instance's own, on persistent storage. */
  dir: string;
  /** `INBOX_MAX_ENTRIES`. */
  maxEntries: number;
  /** Entries are encrypted with the payload keyring when encryption is on. */
  payloadEncryption: PayloadEncryption;
  /** The plain Temporal gateway the drainer replays into. */
  gateway: Pick<TicketWorkflowGateway, 'notifySource' | 'notifyCrm' | 'ready'>;
  logger: Logger;
  /** Back-off of the drainer while Temporal stays down (default 1 s doubling to 30 s). */
  retry?: { initialMs?: number; maxMs?: number };
  onDelivered?: () => void;
}

/** Opens the store, and starts delivering what a previous process left in it. */
export async function openWebhookInbox(options: WebhookInboxOptions): Promise<RunningWebhookInbox> {
  const store = await InboxStore.open({ dir: options.dir, maxEntries: options.maxEntries, payloadEncryption: options.payloadEncryption });
  const drainer = new InboxDrainer({
    store,
    gateway: options.gateway,
    logger: options.logger,
    initialBackoffMs: options.retry?.initialMs,
    maxBackoffMs: options.retry?.maxMs,
    onDelivered: options.onDelivered,
  });
  drainer.start();
  return {
    enqueue: async (item) => {
      await store.append(item);
      drainer.queued();
    },
    holds: (item) => store.holds(item),
    temporalAnswered: () => drainer.temporalAnswered(),
    stats: () => store.stats(),
    accepting: async () => {
      if (store.size >= store.maxEntries) return false;
      return access(store.dir, constants.W_OK).then(
        () => true,
        () => false,
      );
    },
    stop: async () => {
      await drainer.stop();
      await store.close();
    },
  };
}
