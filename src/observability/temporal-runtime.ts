/**
 * The Temporal SDK runtime of a process that runs a worker (`npm start`, `npm run worker`): once
 * per process, before any worker or native connection exists.
 *
 *  - Logs: the SDK's logger is pino (./temporal-logger.ts), and the Rust core's own lines are
 *    forwarded to it too, so everything is one stream of JSON lines.
 *  - Metrics: the SDK's worker metrics (task slots, poll and schedule-to-start latencies, activity
 *    and workflow task execution latencies and failures, sticky cache, ...) in Prometheus format
 *    on their own HTTP server, `http://<WORKER_METRICS_ADDRESS>/metrics` (default
 *    127.0.0.1:9464; `off` disables it). Counters end in `_total` and durations are in seconds,
 *    as Prometheus conventions want. The bridge's own worker-side metrics are served there too
 *    (./remote-metrics.ts: 429s by remote). No auth on that port: bind it to loopback or a private
 *    network, as for any exporter.
 */
import { Runtime } from '@temporalio/worker';
import type { Logger } from './logger';
import { exportRemoteMetrics } from './remote-metrics';
import { sdkLoggerFor, type SdkLoggerOptions } from './temporal-logger';

export interface TemporalRuntimeOptions extends SdkLoggerOptions {
  logger: Logger;
  /** host:port for the Prometheus exporter, or null for none. */
  metricsAddress: string | null;
  /**
   * Whether a bind failure of the metrics exporter is fatal. `npm start` (a try-out) goes on
   * without worker metrics and says so; production (`npm run worker`) with an explicit address
   * should fail loudly instead.
   */
  metricsRequired?: boolean;
}

export interface InstalledRuntime {
  /** Where the worker metrics are served, or null. */
  metricsUrl: string | null;
}

function install(options: TemporalRuntimeOptions, metricsAddress: string | null): void {
  Runtime.install({
    logger: sdkLoggerFor(options.logger, options),
    telemetryOptions: {
      // Core's lines go through the same logger (forward), at WARN and up.
      logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
      ...(metricsAddress && {
        metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } },
      }),
    },
  });
  if (metricsAddress) exportRemoteMetrics(Runtime.instance().metricMeter);
}

export function installTemporalRuntime(options: TemporalRuntimeOptions): InstalledRuntime {
  const { metricsAddress, logger } = options;
  try {
    install(options, metricsAddress);
  } catch (err) {
    // Runtime.install fails when the exporter cannot bind (address in use, not local, ...).
    if (!metricsAddress || options.metricsRequired) throw err;
    // One line, no stack: the bind error's message says why (address in use, ...) and carries
    // no personal data; where it was thrown is of no use to anyone.
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    logger.warn(
      { reason, address: metricsAddress },
      `worker metrics disabled: cannot serve them on ${metricsAddress} (${reason}); set WORKER_METRICS_ADDRESS to a free host:port, or off`,
    );
    install(options, null);
    return { metricsUrl: null };
  }
  return { metricsUrl: metricsAddress ? `http://${metricsAddress}/metrics` : null };
}
