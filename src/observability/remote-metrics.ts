/**
 * The bridge's own metrics on the worker's Prometheus endpoint (WORKER_METRICS_ADDRESS), beside
 * the Temporal SDK's: made through the SDK runtime's meter, so one exporter serves both.
 *
 *  - `ticket_bridge_remote_rate_limited_total{remote}`: 429 answers from each remote (connect,
 *    whitelabel, zendesk, freshdesk), as the HTTP clients see them (src/adapters/http). Every
 *    one is retried by the activity's retry policy; a steady rate means the bridge asks more
 *    than the remote's budget allows.
 */
import type { MetricMeter } from '@temporalio/common';
import { onRateLimited } from '../adapters/http/rate-limit-hits';
import { CRM_KINDS } from '../config/freshdesk';
import { SOURCE_KINDS } from '../domain/ticket';

/** The remotes the bridge calls: their series exist from the start (a rate() of 0, not "no data"). */
const REMOTES: readonly string[] = [...SOURCE_KINDS, ...CRM_KINDS];

/** Counts 429s on `meter` from now on; returns the function that stops it. */
export function exportRemoteMetrics(meter: MetricMeter): () => void {
  const rateLimited = meter.createCounter('ticket_bridge_remote_rate_limited', 'requests', 'HTTP 429 answers from each remote the bridge calls (retried by the activity).');
  for (const remote of REMOTES) rateLimited.add(0, { remote });
  return onRateLimited((remote) => rateLimited.add(1, { remote }));
}
