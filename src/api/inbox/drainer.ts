/**
 * Replays the inbox into Temporal once it answers again.
 *
 * Each pass walks the waiting entries in arrival order and makes, for each, the very gateway
 * call the webhook made (signal-with-start with the same workflow id and settings, or the CRM
 * signal); the entry is deleted only after Temporal acknowledged it. While Temporal stays down
 * the passes back off (1 s doubling to 30 s by default); a webhook that reaches Temporal again
 * on the fast path cuts the wait short (`temporalAnswered`).
 *
 * Delivery is at-least-once: a crash between Temporal's acknowledgement and the deletion, or a
 * call that timed out after Temporal recorded it, delivers the notification twice. That is safe
 * by design: every notification only makes the ticket's workflow read the ticket back (Connect,
 * Zendesk) or apply a snapshot it deduplicates by event id and `updated_at` (white-label), so a
 * duplicate costs one extra read and changes nothing.
 *
 * Order: an entry that fails blocks the later entries of its ticket for the rest of the pass,
 * so one ticket's notifications always arrive in the order they were received. A failure with
 * Temporal reachable (a notification Temporal itself refuses) holds up only its own ticket.
 */
import type { Logger } from '../../observability/logger';
import type { TicketWorkflowGateway } from '../gateway';
import { InboxEntryUnreadableError } from './entry-codec';
import { replay, workflowIdOf } from './notification';
import { ageSeconds, type InboxEntryRef, type InboxStore } from './store';

export interface InboxDrainerOptions {
  store: InboxStore;
  /** The plain Temporal gateway (never the queueing one: a failed replay must not queue again). */
  gateway: Pick<TicketWorkflowGateway, 'notifySource' | 'notifyCrm' | 'ready'>;
  logger: Logger;
  /** First wait after a failed pass (default 1 s), doubled up to `maxBackoffMs` (default 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Told of each delivered entry (metrics). */
  onDelivered?: () => void;
}

/** How a pass ended, which decides when the next one runs. */
type PassOutcome =
  /** Nothing is left. */
  | 'empty'
  /** Something was delivered: go on at once. */
  | 'progress'
  /** Temporal does not answer, or every entry tried was refused: wait, longer each time. */
  | 'stalled';

/** Entry-specific refusals in a row (Temporal reachable) after which a pass gives up. */
const MAX_REFUSALS_PER_PASS = 5;

export class InboxDrainer {
  readonly #store: InboxStore;
  readonly #gateway: InboxDrainerOptions['gateway'];
  readonly #logger: Logger;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #onDelivered: () => void;
  #backoffMs: number;
  #timer: NodeJS.Timeout | null = null;
  #dueAt = 0;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(options: InboxDrainerOptions) {
    this.#store = options.store;
    this.#gateway = options.gateway;
    this.#logger = options.logger;
    this.#initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.#maxBackoffMs = Math.max(options.maxBackoffMs ?? 30_000, this.#initialBackoffMs);
    this.#onDelivered = options.onDelivered ?? (() => undefined);
    this.#backoffMs = this.#initialBackoffMs;
  }

  /** Starts with whatever a previous process left. */
  start(): void {
    if (this.#store.size > 0) {
      const { oldestReceivedAtMs } = this.#store.stats();
      this.#logger.info({ queued: this.#store.size, oldestAgeSeconds: ageSeconds(oldestReceivedAtMs) }, 'inbox: delivering webhooks queued before the restart');
    }
    this.#schedule(0);
  }

  /**
   * An entry was queued (Temporal just failed to take it): make sure a pass will run, after the
   * current back-off or the first one, not at once.
   */
  queued(): void {
    if (!this.#running && !this.#timer) this.#schedule(this.#backoffMs);
  }

  /** A webhook just reached Temporal directly: it is back, so stop waiting. */
  temporalAnswered(): void {
    if (this.#store.size === 0 || this.#running) return;
    this.#backoffMs = this.#initialBackoffMs;
    this.#schedule(0);
  }

  /** Delivers no further: cancels the next pass and waits for the call under way, if any. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** Runs a pass in `delayMs`, unless one is due sooner or under way (it schedules its successor). */
  #schedule(delayMs: number): void {
    if (this.#stopped || this.#running) return;
    const dueAt = Date.now() + delayMs;
    if (this.#timer) {
      if (this.#dueAt <= dueAt) return;
      clearTimeout(this.#timer);
    }
    this.#dueAt = dueAt;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.#pass()
        .catch((err: unknown): PassOutcome => {
          // A file system error (the disk went away): keep the entries, try again later.
          this.#logger.error({ err, queued: this.#store.size }, 'inbox: pass failed');
          return 'stalled';
        })
        .then((outcome) => {
          this.#running = null;
          this.#after(outcome);
        });
    }, delayMs);
  }

  #after(outcome: PassOutcome): void {
    if (this.#stopped) return;
    if (outcome === 'empty') {
      this.#backoffMs = this.#initialBackoffMs;
      // Queued between the pass's last look and now (its `queued()` found the pass running).
      if (this.#store.size > 0) this.#schedule(this.#backoffMs);
      return;
    }
    if (outcome === 'progress') {
      this.#backoffMs = this.#initialBackoffMs;
      this.#schedule(0);
      return;
    }
    const waitMs = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs);
    const { entries, oldestReceivedAtMs } = this.#store.stats();
    this.#logger.warn({ queued: entries, oldestAgeSeconds: ageSeconds(oldestReceivedAtMs), retryInMs: waitMs }, 'inbox: webhooks wait for Temporal');
    this.#schedule(waitMs);
  }

  async #pass(): Promise<PassOutcome> {
    if (this.#store.size === 0) return 'empty';
    // One cheap probe (2 s deadline) first: while Temporal is down a pass costs that, not a
    // signal's full deadline, and `stop()` is never kept waiting long.
    if (!(await this.#temporalAnswers())) return 'stalled';
    const blocked = new Set<string>();
    let delivered = 0;
    let refusedInARow = 0;
    for (const ref of this.#store.pending()) {
      if (this.#stopped) break;
      if (blocked.has(ref.keyHash)) continue;
      const result = await this.#deliver(ref);
      if (result === 'delivered') {
        delivered++;
        refusedInARow = 0;
      } else if (result === 'unavailable') {
        break;
      } else if (result === 'refused') {
        blocked.add(ref.keyHash);
        if (++refusedInARow >= MAX_REFUSALS_PER_PASS) break;
      }
    }
    if (delivered > 0) this.#logger.info({ delivered, queued: this.#store.size }, 'inbox: delivered queued webhooks to Temporal');
    if (this.#store.size === 0) return 'empty';
    return delivered > 0 ? 'progress' : 'stalled';
  }

  /** One entry: `skipped` when it is gone or set aside (nothing to wait for). */
  async #deliver(ref: InboxEntryRef): Promise<'delivered' | 'skipped' | 'unavailable' | 'refused'> {
    let item;
    try {
      item = await this.#store.read(ref);
    } catch (err) {
      if (!(err instanceof InboxEntryUnreadableError)) throw err;
      // Loud, and kept: an operator can restore the key (or the file) and move it back.
      this.#logger.error({ err, entry: ref.name }, 'inbox: entry cannot be read back; set aside as .unreadable');
      await this.#store.setAside(ref);
      return 'skipped';
    }
    if (item === null) return 'skipped';
    const workflowId = workflowIdOf(item);
    try {
      await replay(this.#gateway, item);
    } catch (err) {
      if (!(await this.#temporalAnswers())) return 'unavailable';
      this.#logger.error({ err, workflowId, entry: ref.name }, 'inbox: Temporal refused a queued webhook; its ticket waits for the next pass');
      return 'refused';
    }
    await this.#store.ack(ref);
    this.#onDelivered();
    this.#logger.debug({ workflowId, ageSeconds: ageSeconds(ref.receivedAtMs) }, 'inbox: delivered');
    return 'delivered';
  }

  /** Tells "Temporal is down" (wait) from "Temporal refused this one" (go on with other tickets). */
  async #temporalAnswers(): Promise<boolean> {
    try {
      await this.#gateway.ready();
      return true;
    } catch {
      return false;
    }
  }
}
