/** The Temporal worker (src/worker.ts): its metrics endpoint and its workflow cache. */
import { z } from 'zod';
import type { EnvReader } from './env-reader';
import { countUpTo, hostPort } from './values';

export const DEFAULT_WORKER_METRICS_ADDRESS = '127.0.0.1:9464';
export const DEFAULT_WORKER_MAX_CACHED_WORKFLOWS = 1000;

export interface WorkerSettings {
  /**
   * `WORKER_METRICS_ADDRESS`: host:port where the worker serves the Temporal SDK's Prometheus
   * metrics (default 127.0.0.1:9464; `off` disables them).
   */
  workerMetricsAddress: string | null;
  /**
   * `WORKER_MAX_CACHED_WORKFLOWS`: ticket workflows a worker keeps in memory between their tasks
   * (default 1000, about 350 KiB each). A ticket not in the cache is replayed from its history
   * when its next notification comes: slower (hundreds of ms), never wrong.
   */
  workerMaxCachedWorkflows: number;
}

/** host:port to bind a metrics endpoint on, or `off`. */
const metricsAddress = z.string().transform((text, ctx) => {
  if (text === 'off') return null;
  if (hostPort.safeParse(text).success) return text;
  ctx.addIssue({ code: 'custom', message: 'must be host:port (e.g. 0.0.0.0:9464) or off' });
  return z.NEVER;
});

export function readWorker(r: EnvReader): { workerMetricsAddress: string | null | undefined; workerMaxCachedWorkflows: number | undefined } {
  return {
    workerMetricsAddress: r.withDefault('WORKER_METRICS_ADDRESS', metricsAddress, DEFAULT_WORKER_METRICS_ADDRESS),
    workerMaxCachedWorkflows: r.withDefault('WORKER_MAX_CACHED_WORKFLOWS', countUpTo(1_000_000), String(DEFAULT_WORKER_MAX_CACHED_WORKFLOWS)),
  };
}
