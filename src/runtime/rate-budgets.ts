/**
 * The worker's share of each remote's rate budget (docs/operating.md, "One rate budget per
 * remote"): one `RateBudget` per configured remote with a budget, its `fetch` for that remote's
 * adapters, and the share kept at budget ÷ the workers polling the task queue, as Temporal
 * counts them.
 */
import { Context } from '@temporalio/activity';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Runtime } from '@temporalio/worker';
import { budgetedFetch, type BudgetObserver, type WaitBound } from '../adapters/http/budgeted-fetch';
import { RateBudget, shareOf } from '../adapters/http/rate-budget';
import type { BudgetedRemote, RateBudgetSettings } from '../config/rate-budgets';
import type { Logger } from '../observability/logger';

/**
 * Outside an activity (the backfill CLI, a start-up check): how long a request may wait. Inside
 * one, what is left of its attempt after `REQUEST_ALLOWANCE_MS` for the request itself.
 */
const DEFAULT_MAX_WAIT_MS = 60_000;
/** The HTTP clients' own request timeout: a request that got its slot must still fit the attempt. */
const REQUEST_ALLOWANCE_MS = 10_000;
/**
 * A local activity (the sync's reads) runs inside its workflow task: waiting there past the
 * task's timeout (10 s) got the attempt cancelled, its slot wasted, again and again (the soak at
 * 150 a minute). Its requests wait less, 5 s in all, counted from the attempt's first request (not
 * 5 s each: a read of three requests could otherwise wait 15 s); refused, it is retried (as a local
 * activity again: see TICKET_LOCAL_READ_OPTIONS for why its fallback to the regular one, which may
 * wait its full bound, rarely comes).
 */
const LOCAL_ACTIVITY_MAX_WAIT_MS = 5_000;
/** How often the workers polling the task queue are counted. */
export const WORKER_COUNT_INTERVAL_MS = 30_000;

/**
 * When each attempt began, as this worker saw it: the first request it made. Not the attempt's
 * `currentAttemptScheduledTimestampMs`: a retry's is when the retry was scheduled, before its
 * back-off (the `Retry-After` a refusal asked for), so "time left" counted from it is soon
 * negative, and every later attempt was refused at once, in a loop (the soak found three
 * tickets stuck so, at their 300th attempt).
 */
const attemptsBegun = new WeakMap<Context, number>();

/**
 * In an activity: its attempt's time left, the attempt (its `Context`: the budget lets the
 * requests of an attempt that already got a slot go first) and its cancellation; elsewhere the
 * default bound, each request on its own.
 */
export function activityWaitBound(now: () => number = Date.now): WaitBound {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return { maxWaitMs: DEFAULT_MAX_WAIT_MS };
  }
  const begun = attemptsBegun.get(ctx) ?? now();
  attemptsBegun.set(ctx, begun);
  const { startToCloseTimeoutMs, heartbeatTimeoutMs, isLocal } = ctx.info;
  const attemptLeft = begun + startToCloseTimeoutMs - now() - REQUEST_ALLOWANCE_MS;
  // A wait is silence: it must not outlast the heartbeat timeout either (the file writes have one).
  const heartbeatLeft = heartbeatTimeoutMs ? heartbeatTimeoutMs / 2 : Infinity;
  const kindLeft = isLocal ? begun + LOCAL_ACTIVITY_MAX_WAIT_MS - now() : Infinity;
  return { maxWaitMs: Math.max(0, Math.min(attemptLeft, heartbeatLeft, kindLeft)), attempt: ctx, signal: ctx.cancellationSignal };
}

/** What the budgets did (./budgeted-fetch.ts), and each share as it is set. */
export interface WorkerBudgetObserver extends BudgetObserver {
  shared(remote: string, perMinute: number): void;
}

export class WorkerRateBudgets {
  /** The budgets of the remotes this worker talks to: made when their adapters ask (`fetchFor`). */
  private readonly made = new Map<BudgetedRemote, RateBudget>();
  private processes: number;

  constructor(
    private readonly settings: RateBudgetSettings,
    private readonly observer?: WorkerBudgetObserver,
    private readonly waitBound: () => WaitBound = activityWaitBound,
  ) {
    this.processes = settings.workerReplicas;
  }

  get budgets(): ReadonlyMap<BudgetedRemote, RateBudget> {
    return this.made;
  }

  /** The `fetch` for `remote`'s adapters (undefined: no budget, the global fetch). */
  fetchFor(remote: BudgetedRemote, apiUrl: string): typeof fetch | undefined {
    const perMinute = this.settings.rateBudgets[remote];
    if (perMinute === null) return undefined;
    let budget = this.made.get(remote);
    if (!budget) {
      budget = new RateBudget(remote, shareOf(perMinute, this.processes));
      this.made.set(remote, budget);
      this.observer?.shared(remote, budget.share.perMinute);
    }
    return budgetedFetch({ budget, apiUrl, waitBound: this.waitBound, ...(this.observer && { observer: this.observer }) });
  }

  /** The number of workers sharing the budgets changed: every share follows. */
  setProcesses(processes: number): boolean {
    if (processes === this.processes) return false;
    this.processes = processes;
    for (const budget of this.made.values()) budget.reshare(shareOf(budget.share.budgetPerMinute, processes));
    this.reportShares();
    return true;
  }

  private reportShares(): void {
    for (const { remote, share } of this.made.values()) this.observer?.shared(remote, share.perMinute);
  }

  /** For the start-up line: `zendesk 200/min ÷ 2 workers → 90/min (bursts of 10)`. */
  describe(): string {
    if (this.made.size === 0) return 'no rate budgets';
    return [...this.made.values()]
      .map(({ remote, share }) => `${remote} ${share.budgetPerMinute}/min ÷ ${share.processes} worker${share.processes === 1 ? '' : 's'} → ${round(share.perMinute)}/min (bursts of ${share.burst})`)
      .join(', ');
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * The distinct identities polling `taskQueue` for workflow or activity tasks: the worker
 * processes (each Worker's identity is `pid@host` unless set), `self` included even before its
 * first poll shows (a worker that counted only the others would take their share too). Temporal
 * keeps a poller listed for a few minutes after its last poll, so a worker that died still counts
 * for a while: its share goes unused, never over the budget. Null when Temporal cannot be asked.
 */
export async function countPollingWorkers(connection: Connection, namespace: string, taskQueue: string, self: string): Promise<number | null> {
  const { TaskQueueType, TaskQueueKind } = temporal.api.enums.v1;
  try {
    const identities = new Set<string>([self]);
    for (const taskQueueType of [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]) {
      const res = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL }, taskQueueType });
      for (const poller of res.pollers ?? []) if (poller.identity) identities.add(poller.identity);
    }
    return identities.size;
  } catch {
    return null;
  }
}

export interface FollowWorkerCountOptions {
  budgets: WorkerRateBudgets;
  count: () => Promise<number | null>;
  logger: Logger;
  intervalMs?: number;
}

/**
 * Counts the workers now and every `intervalMs`, resharing the budgets when the count changes
 * (one line at info). An unknown count keeps the last share (at first, `WORKER_REPLICAS`'s).
 * Returns a stop function.
 */
export function followWorkerCount(options: FollowWorkerCountOptions): { first: Promise<void>; stop: () => void } {
  const { budgets, count, logger } = options;
  const refresh = async () => {
    const n = await count();
    if (n !== null && budgets.setProcesses(n)) logger.info({ workers: n }, `rate budgets reshared: ${budgets.describe()}`);
  };
  const first = refresh();
  const timer = setInterval(() => void refresh(), options.intervalMs ?? WORKER_COUNT_INTERVAL_MS);
  timer.unref();
  return { first, stop: () => clearInterval(timer) };
}

/**
 * The budgets on the worker's Prometheus metrics (the SDK runtime's meter, next to its own):
 * `ticket_bridge_rate_budget_wait_seconds` (a histogram: every request sent through a budget, by
 * remote; its `_sum` is the time spent waiting for slots), `ticket_bridge_rate_budget_refused_total`
 * (no slot within the attempt: it failed 'rate-limited' and is retried; by remote and `lane`:
 * `first` cost nothing, `continuing` means an earlier request of the attempt spent a slot in vain) and
 * `ticket_bridge_rate_budget_share_per_minute` (this worker's steady rate).
 */
export function runtimeBudgetObserver(): WorkerBudgetObserver {
  const meter = Runtime.instance().metricMeter;
  const wait = meter.createHistogram('ticket_bridge_rate_budget_wait_seconds', 'float', 's', 'Time each request waited for its slot in the remote rate budget');
  const refused = meter.createCounter('ticket_bridge_rate_budget_refused', '1', 'Requests not sent: no slot in the rate budget within the attempt');
  const share = meter.createGauge('ticket_bridge_rate_budget_share_per_minute', 'float', '1', "This worker's steady share of the remote's requests per minute");
  return {
    waited: (remote, waitedMs) => wait.record(waitedMs / 1000, { remote }),
    refused: (remote, lane) => refused.add(1, { remote, lane }),
    shared: (remote, perMinute) => share.set(perMinute, { remote }),
  };
}
