/**
 * Task routing ("matching service"): the workflow and activity task queues of the service,
 * sticky-queue availability, and the bookkeeping of tasks handed to workers that time skipping
 * needs to know whether anything is in flight.
 */
import { api } from '../proto';
import { PollOptions, QueuedTask, TaskQueue } from './task-queue';

export type WorkflowTaskResponse = api.workflowservice.v1.IPollWorkflowTaskQueueResponse;
export type ActivityTaskResponse = api.workflowservice.v1.IPollActivityTaskQueueResponse;

/**
 * A sticky queue unpolled for this long is considered abandoned and new tasks go to the normal
 * queue instead (the real server's "sticky worker unavailable" window is similar).
 */
const STICKY_UNAVAILABLE_AFTER_MS = 10_000;

export class Matching {
  private readonly workflowQueues = new Map<string, TaskQueue<WorkflowTaskResponse>>();
  private readonly activityQueues = new Map<string, TaskQueue<ActivityTaskResponse>>();
  private readonly stickyCreatedAt = new Map<string, number>();
  private readonly deadStickyQueues = new Set<string>();
  /** Tasks handed to a worker and not yet answered, keyed by task identity. */
  private readonly outstanding = new Set<string>();

  constructor(private readonly onChange: () => void) {}

  private queue<R>(queues: Map<string, TaskQueue<R>>, key: string): TaskQueue<R> {
    let queue = queues.get(key);
    if (!queue) queues.set(key, (queue = new TaskQueue<R>(key)));
    return queue;
  }

  private static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  addWorkflowTask(namespace: string, queueName: string, task: QueuedTask<WorkflowTaskResponse>): void {
    this.queue(this.workflowQueues, Matching.key(namespace, queueName)).add(task);
    this.onChange();
  }

  addActivityTask(namespace: string, queueName: string, task: QueuedTask<ActivityTaskResponse>): void {
    this.queue(this.activityQueues, Matching.key(namespace, queueName)).add(task);
    this.onChange();
  }

  pollWorkflowTask(namespace: string, queueName: string, options: PollOptions): Promise<WorkflowTaskResponse | undefined> {
    this.deadStickyQueues.delete(Matching.key(namespace, queueName));
    return this.queue(this.workflowQueues, Matching.key(namespace, queueName)).poll(options);
  }

  pollActivityTask(namespace: string, queueName: string, options: PollOptions): Promise<ActivityTaskResponse | undefined> {
    return this.queue(this.activityQueues, Matching.key(namespace, queueName)).poll(options);
  }

  /** Records that a worker set this sticky queue for a run (it will start polling it shortly). */
  noteStickyQueue(namespace: string, queueName: string): void {
    const key = Matching.key(namespace, queueName);
    if (!this.stickyCreatedAt.has(key)) this.stickyCreatedAt.set(key, Date.now());
  }

  isStickyQueueAvailable(namespace: string, queueName: string): boolean {
    const key = Matching.key(namespace, queueName);
    if (this.deadStickyQueues.has(key)) return false;
    const queue = this.workflowQueues.get(key);
    if (queue?.isLive()) return true;
    const lastSign = Math.max(queue?.lastActivityAt() ?? 0, this.stickyCreatedAt.get(key) ?? 0);
    return Date.now() - lastSign < STICKY_UNAVAILABLE_AFTER_MS;
  }

  /**
   * A worker shut down (ShutdownWorker): its sticky queue will never be polled again. Returns the
   * tasks that were waiting on it so their runs can reschedule them on the normal queue.
   */
  shutdownStickyQueue(namespace: string, queueName: string): QueuedTask<WorkflowTaskResponse>[] {
    const key = Matching.key(namespace, queueName);
    this.deadStickyQueues.add(key);
    const queue = this.workflowQueues.get(key);
    const drained = queue?.drain() ?? [];
    queue?.releasePollers();
    return drained;
  }

  markOutstanding(taskKey: string): void {
    this.outstanding.add(taskKey);
    this.onChange();
  }

  markDone(taskKey: string): void {
    if (this.outstanding.delete(taskKey)) this.onChange();
  }

  /**
   * True when nothing can make progress without time passing: no task held by a worker and no
   * task queued on a queue some worker is polling.
   */
  isIdle(): boolean {
    if (this.outstanding.size > 0) return false;
    for (const queue of [...this.workflowQueues.values(), ...this.activityQueues.values()]) {
      if (queue.isLive() && queue.backlog() > 0) return false;
    }
    return true;
  }

  describeBacklog(): string[] {
    const lines: string[] = [...this.outstanding].map((k) => `outstanding ${k}`);
    for (const [name, queue] of [...this.workflowQueues, ...this.activityQueues]) {
      const backlog = queue.backlog();
      if (backlog > 0) lines.push(`queue ${name}: ${backlog} task(s)${queue.isLive() ? '' : ' (no live poller)'}`);
    }
    return lines;
  }

  close(): void {
    for (const queue of [...this.workflowQueues.values(), ...this.activityQueues.values()]) queue.releasePollers();
  }
}
