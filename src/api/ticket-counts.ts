/**
 * Tickets by status for the dashboard (`ticket_bridge_tickets{status}`, ./metrics.ts): every
 * `TICKET_COUNTS_INTERVAL` the API asks Temporal visibility for one count per `TicketStatus`
 * (five CountWorkflowExecutions calls, one after the other, each under the gateway's deadline).
 *
 * Counted here rather than at scrape time so that a scrape never waits on Temporal and the cost
 * is fixed by the interval, not by how many scrapers there are. A count that fails keeps the
 * last value (the gateway counts the failure as `ticket_bridge_temporal_call_errors_total
 * {operation="count"}`); the next round tries again.
 */
import { TICKET_STATUSES, type TicketStatus } from '../domain/ticket';
import type { Logger } from '../observability/logger';

export interface TicketCountsOptions {
  /** The gateway's `countTickets` (deadline, error metrics). */
  count(status: TicketStatus): Promise<number>;
  /** Where each successful count goes (the gauge). */
  counted(status: TicketStatus, count: number): void;
  intervalMs: number;
  logger: Logger;
}

export interface RunningTicketCounts {
  /** Stops the rounds; resolves once a round in progress has ended. */
  stop(): Promise<void>;
}

export function startTicketCounts({ count, counted, intervalMs, logger }: TicketCountsOptions): RunningTicketCounts {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  async function countAll(): Promise<void> {
    let failed = 0;
    for (const status of TICKET_STATUSES) {
      if (stopped) return;
      try {
        counted(status, await count(status));
      } catch {
        failed++;
      }
    }
    // One line per round, not per status; the error itself is in the call-error metric.
    if (failed > 0) logger.warn({ failed, of: TICKET_STATUSES.length }, 'ticket counts: some visibility counts failed; the last values stay');
  }

  function schedule(): void {
    if (stopped) return;
    // unref: the counts never keep a process alive that is otherwise done.
    timer = setTimeout(() => {
      round = countAll().finally(schedule);
    }, intervalMs).unref();
  }

  round = countAll().finally(schedule);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
