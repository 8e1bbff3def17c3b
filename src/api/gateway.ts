/**
 * What the HTTP API needs from Temporal, as a small port: routes stay testable without a
 * server, and the Temporal specifics (ids, signals, visibility) live in one place
 * (`./temporal-gateway.ts`).
 */
import type { SourceKind } from '../domain/ticket';
import type { CrmNotification, SourceNotification, TicketStateView } from '../workflows/definitions';

export type SourceNotifyResult =
  /** Temporal has the signal (the workflow was started if it was not running). */
  | { outcome: 'signalled'; workflowId: string }
  /** The ticket's workflow already completed (ticket closed or deleted): nothing left to do. */
  | { outcome: 'ignored'; workflowId: string; reason: 'completed' };

export type CrmNotifyResult =
  | { outcome: 'signalled'; workflowId: string }
  /**
   * `no-workflow`: no workflow owns this CRM ticket (not one the bridge created).
   * `not-running`: its workflow is not running (the ticket was closed or deleted).
   */
  | { outcome: 'ignored'; reason: 'no-workflow' | 'not-running' };

export interface TicketWorkflowGateway {
  /** Signal-with-start the ticket's workflow. Resolves once Temporal has recorded the signal. */
  notifySource(source: SourceKind, sourceTicketId: string, notification: SourceNotification): Promise<SourceNotifyResult>;

  /**
   * Signal the workflow that owns a CRM ticket, found from the CRM ticket's external id when the
   * payload carried it, else through visibility (`CrmTicketId`).
   */
  notifyCrm(notification: CrmNotification, externalId: string | null): Promise<CrmNotifyResult>;

  /** The workflow's `state` query (also answered by completed workflows); null when there is none. */
  getState(source: SourceKind, sourceTicketId: string): Promise<TicketStateView | null>;

  /** Resolves when Temporal answers; rejects with `TemporalUnavailableError` otherwise. */
  ready(): Promise<void>;
}

/**
 * Temporal could not be reached or did not answer in time. Routes answer 503 so the sender
 * retries: nothing was recorded, so nothing is lost by asking again.
 */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  constructor(operation: string, options?: { cause?: unknown }) {
    super(`Temporal unavailable during ${operation}`, options);
  }
}
