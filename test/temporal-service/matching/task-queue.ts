/**
 * One task queue: tasks waiting for a poller, and pollers (long-poll RPCs) waiting for a task.
 *
 * A task is an object that knows how to *start* itself (record the started state on its workflow
 * execution and build the poll response). Starting happens at hand-off time, not at enqueue time,
 * so a task that became stale while queued (workflow closed, superseded attempt) simply declines.
 */

export interface QueuedTask<R> {
  /** Starts the task for the given poller; `undefined` when the task is stale and must be dropped. */
  start(poller: PollerIdentity): R | undefined;
  /** Cheap staleness check used to decide whether a queued task still represents work. */
  isStale(): boolean;
}

export interface PollerIdentity {
  identity: string;
}

interface WaitingPoller<R> extends PollerIdentity {
  isGone(): boolean;
  resolve(response: R | undefined): void;
}

export interface PollOptions extends PollerIdentity {
  /** How long to hold the poll open before answering with an empty response. */
  timeoutMs: number;
  /** True once the caller has gone away (RPC cancelled); such pollers never receive tasks. */
  isGone(): boolean;
  /** Registers a callback invoked when the caller goes away. */
  onGone(callback: () => void): void;
}

/** How long after its last poll a queue still counts as served by a live worker. */
const LIVE_POLLER_WINDOW_MS = 3_000;

export class TaskQueue<R> {
  private tasks: QueuedTask<R>[] = [];
  private pollers: WaitingPoller<R>[] = [];
  private lastPollAt = 0;

  constructor(readonly name: string) {}

  add(task: QueuedTask<R>): void {
    while (this.pollers.length > 0) {
      const poller = this.pollers.shift()!;
      if (poller.isGone()) continue;
      const response = task.start(poller);
      if (response === undefined) {
        // Stale task: the poller keeps waiting for real work.
        this.pollers.unshift(poller);
        return;
      }
      poller.resolve(response);
      return;
    }
    this.tasks.push(task);
  }

  poll(options: PollOptions): Promise<R | undefined> {
    this.lastPollAt = Date.now();
    while (this.tasks.length > 0) {
      const response = this.tasks.shift()!.start(options);
      if (response !== undefined) return Promise.resolve(response);
    }
    return new Promise((resolve) => {
      let settled = false;
      const poller: WaitingPoller<R> = {
        identity: options.identity,
        isGone: options.isGone,
        resolve: (response) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.lastPollAt = Date.now();
          resolve(response);
        },
      };
      const remove = () => {
        this.pollers = this.pollers.filter((p) => p !== poller);
        poller.resolve(undefined);
      };
      const timer = setTimeout(remove, options.timeoutMs);
      timer.unref();
      options.onGone(remove);
      this.pollers.push(poller);
    });
  }

  /** Removes and returns all queued tasks (used to move work off a dead sticky queue). */
  drain(): QueuedTask<R>[] {
    const tasks = this.tasks;
    this.tasks = [];
    return tasks;
  }

  /** Answers every waiting poller with an empty response (service shutdown). */
  releasePollers(): void {
    for (const poller of this.pollers.splice(0)) poller.resolve(undefined);
  }

  hasWaitingPoller(): boolean {
    return this.pollers.some((p) => !p.isGone());
  }

  /** Real time (ms) of the last poll or hand-off on this queue. */
  lastActivityAt(): number {
    return this.lastPollAt;
  }

  /** A worker polled this queue recently (or is polling it now). */
  isLive(): boolean {
    return this.hasWaitingPoller() || Date.now() - this.lastPollAt < LIVE_POLLER_WINDOW_MS;
  }

  /** Queued tasks that still represent work. */
  backlog(): number {
    this.tasks = this.tasks.filter((t) => !t.isStale());
    return this.tasks.length;
  }
}
