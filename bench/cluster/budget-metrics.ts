/**
 * What the workers' rate budgets did, from their Prometheus metrics (`WORKER_METRICS_ADDRESS`,
 * src/runtime/rate-budgets.ts): per remote, the requests sent through a budget, the time they
 * waited for slots, and the requests refused (not sent in time, retried later; and how many of
 * them after their attempt had got a slot). Only the workers
 * still running at the end answer (each counted in `shares`): a worker killed during the run took its counters with it.
 */
import { parsePrometheus } from '../../test/support/prometheus';

export interface BudgetUse {
  requests: number;
  waitSeconds: number;
  refused: number;
  /** Of `refused`, those of an attempt that had already got a slot (that slot spent in vain). */
  refusedContinuing: number;
  /** The steady shares per minute of the workers that answered. */
  shares: number[];
}

export async function budgetUse(metricsUrls: readonly string[]): Promise<Map<string, BudgetUse>> {
  const use = new Map<string, BudgetUse>();
  const of = (remote: string) => use.get(remote) ?? use.set(remote, { requests: 0, waitSeconds: 0, refused: 0, refusedContinuing: 0, shares: [] }).get(remote)!;
  for (const url of metricsUrls) {
    // A worker that does not answer is left out (the row says how many did), not the report.
    const text = await fetch(url).then((res) => (res.ok ? res.text() : null), () => null);
    if (text === null) continue;
    const scrape = parsePrometheus(text);
    for (const s of scrape.find('ticket_bridge_rate_budget_wait_seconds_count')) of(s.labels.remote!).requests += s.value;
    for (const s of scrape.find('ticket_bridge_rate_budget_wait_seconds_sum')) of(s.labels.remote!).waitSeconds += s.value;
    for (const s of scrape.find('ticket_bridge_rate_budget_refused_total')) {
      of(s.labels.remote!).refused += s.value;
      if (s.labels.lane === 'continuing') of(s.labels.remote!).refusedContinuing += s.value;
    }
    for (const s of scrape.find('ticket_bridge_rate_budget_share_per_minute')) of(s.labels.remote!).shares.push(s.value);
  }
  return use;
}
