/**
 * The event history of one workflow run: assigns event ids and timestamps, and holds the events
 * that arrive while a workflow task is in flight.
 *
 * Like the real server, events caused by the outside world (signals, activity results, timer
 * fires, cancel requests) are *buffered* while a worker holds a workflow task for the run, and
 * written after that task's completion events. Otherwise the worker would complete a task that
 * ignores events placed before its own completion, breaking determinism on replay.
 */
import { api, HistoryEvent, int64, lookupType, msToTimestamp } from '../proto';

type EventType = api.enums.v1.EventType;

const historyEventType = lookupType<HistoryEvent>('temporal.api.history.v1.HistoryEvent');

/** Everything of a HistoryEvent except what the log assigns. */
export type EventAttributes = Omit<HistoryEvent, 'eventId' | 'eventTime' | 'eventType' | 'taskId' | 'version'>;

interface BufferedWrite {
  /** Completion events (activity results) are flushed after the others, like the real server. */
  readonly completion: boolean;
  /** Lets a command withdraw a buffered event (cancelling a timer whose fire is buffered). */
  readonly key?: string;
  readonly write: () => void;
}

export class HistoryLog {
  private readonly events: HistoryEvent[] = [];
  private buffered: BufferedWrite[] = [];
  private readonly listeners = new Set<() => void>();
  private sizeBytes = 0;
  /** A command's user metadata (its summary), for the first event that command writes. */
  private commandMetadata: api.sdk.v1.IUserMetadata | undefined;

  constructor(private readonly now: () => number) {}

  get nextEventId(): number {
    return this.events.length + 1;
  }

  get lastEventId(): number {
    return this.events.length;
  }

  get length(): number {
    return this.events.length;
  }

  /** Encoded size of the history, reported as `historySizeBytes` (workflows see it in their info). */
  get encodedSizeBytes(): number {
    return this.sizeBytes;
  }

  append(eventType: EventType, attributes: EventAttributes, time: number = this.now()): HistoryEvent {
    const event: HistoryEvent = {
      eventId: int64(this.nextEventId),
      eventTime: msToTimestamp(time),
      eventType,
      taskId: int64(this.nextEventId),
      ...attributes,
      ...(this.commandMetadata && { userMetadata: this.commandMetadata }),
    };
    this.commandMetadata = undefined;
    this.events.push(event);
    this.sizeBytes += historyEventType.encode(event).finish().length;
    for (const listener of this.listeners) listener();
    return event;
  }

  /**
   * Runs `apply` (a command's effect) so that the first event it writes carries the command's user
   * metadata, as the real server records it (e.g. a timer's or an activity's summary in the UI).
   */
  withCommandMetadata(metadata: api.sdk.v1.IUserMetadata | null | undefined, apply: () => void): void {
    this.commandMetadata = metadata ?? undefined;
    try {
      apply();
    } finally {
      this.commandMetadata = undefined;
    }
  }

  /** Defers a write until the in-flight workflow task completes (see {@link flushBuffered}). */
  buffer(write: () => void, options: { completion?: boolean; key?: string } = {}): void {
    this.buffered.push({ completion: options.completion ?? false, key: options.key, write });
  }

  hasBuffered(): boolean {
    return this.buffered.length > 0;
  }

  /** Removes a buffered write by key; returns whether one was found. */
  withdrawBuffered(key: string): boolean {
    const before = this.buffered.length;
    this.buffered = this.buffered.filter((b) => b.key !== key);
    return this.buffered.length !== before;
  }

  hasBufferedKey(key: string): boolean {
    return this.buffered.some((b) => b.key === key);
  }

  flushBuffered(): void {
    const writes = this.buffered;
    this.buffered = [];
    for (const w of writes) if (!w.completion) w.write();
    for (const w of writes) if (w.completion) w.write();
  }

  /** Events with `fromId <= eventId <= toId` (ids are 1-based). */
  slice(fromId: number, toId: number = this.lastEventId): HistoryEvent[] {
    return this.events.slice(Math.max(0, fromId - 1), Math.max(0, toId));
  }

  get(eventId: number): HistoryEvent | undefined {
    return this.events[eventId - 1];
  }

  last(): HistoryEvent | undefined {
    return this.events[this.events.length - 1];
  }

  /** Registers a callback run after every append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
