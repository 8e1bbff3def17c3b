/**
 * What the HTTP API needs from Temporal, as a small port: routes stay testable without a
 * server, and the Temporal specifics (ids, signals, visibility) live in one place
 * (`./temporal-gateway.ts`).
 */
import type { SourceKind, TicketStatus } from '../domain/ticket';
import type { CloseRequest, CrmNotification, PauseRequest, ResumeRequest, ResyncRequest, SourceNotification, TicketStateView } from '../workflows/definitions';
import type { TicketDetails, TicketPage } from './ops/schemas';

export type { TicketDetails, TicketListItem, TicketPage, PendingActivityView } from './ops/schemas';

export type SourceNotifyResult =
  /** Temporal has the signal (the workflow was started if it was not running). */
  | { outcome: 'signalled'; workflowId: string }
  /** The ticket's workflow already completed (ticket closed or deleted): nothing left to do. */
  | { outcome: 'ignored'; workflowId: string; reason: 'completed' }
  /** Temporal could not take it now: it is on disk in the API's inbox and will be delivered (src/api/inbox). */
  | { outcome: 'queued'; workflowId: string };

export type CrmNotifyResult =
  | { outcome: 'signalled'; workflowId: string }
  /**
   * `no-workflow`: no workflow owns this CRM ticket (not one the bridge created).
   * `not-running`: its workflow is not running (the ticket was closed or deleted).
   * `known`: its workflow knows this event already (the echo of its own write, a redelivery).
   */
  | { outcome: 'ignored'; reason: 'no-workflow' | 'not-running' | 'known' }
  /**
   * Temporal could not take it now: it is in the API's inbox and will be delivered. The workflow
   * id when the external id named it (else visibility finds it at delivery).
   */
  | { outcome: 'queued'; workflowId?: string };

export interface TicketWorkflowGateway {
  /** Signal-with-start the ticket's workflow. Resolves once Temporal has recorded the signal. */
  notifySource(source: SourceKind, sourceTicketId: string, notification: SourceNotification): Promise<SourceNotifyResult>;

  /**
   * Signal the workflow that owns a CRM ticket, found from the CRM ticket's external id when the
   * payload carried it, else through visibility (`CrmTicketId`).
   */
  notifyCrm(notification: CrmNotification, externalId: string | null): Promise<CrmNotifyResult>;

  /** Resolves when Temporal answers; rejects with `TemporalUnavailableError` otherwise. */
  ready(): Promise<void>;

  // --- ops (the ops API and the CLI) ---

  /** Ticket workflows through visibility, newest first; rejects with `InvalidPageTokenError` on a token it did not issue. */
  listTickets(filter: TicketListFilter): Promise<TicketPage>;

  /** Describe + `state` query of a ticket's workflow (its latest run); null when there is none. */
  describeTicket(source: SourceKind, sourceTicketId: string): Promise<TicketDetails | null>;

  /** The `resync` / `close` workflow updates. */
  updateTicket(source: SourceKind, sourceTicketId: string, update: TicketUpdate, options?: { updateId?: string }): Promise<TicketUpdateResult>;
}

export interface TicketListFilter {
  /** Any of these statuses (`TicketStatus` search attribute); all when absent. */
  statuses?: readonly TicketStatus[];
  /** Any of these sources (`TicketSource`); all when absent. */
  sources?: readonly SourceKind[];
  /**
   * An operator's own visibility query (`TicketStatus = "OPEN"`), ANDed with the rest. Only the
   * CLI's `--temporal` mode passes one, with the operator's own Temporal access: the ops API
   * never does (its filters are closed lists).
   */
  query?: string;
  pageSize: number;
  pageToken?: string;
}

export type TicketUpdate =
  | { name: 'resync'; request: ResyncRequest }
  | { name: 'close'; request: CloseRequest }
  | { name: 'pause'; request: PauseRequest }
  | { name: 'resume'; request: ResumeRequest };

export type TicketUpdateResult =
  /** The workflow ran the update; its result. */
  | { outcome: 'completed'; workflowId: string; updateId: string; state: TicketStateView }
  /** Accepted (it will run) but not finished within the API's wait. */
  | { outcome: 'accepted'; workflowId: string; updateId: string; message?: string }
  /** Refused by the workflow's validator (or the handler failed), or the ticket workflow already completed. */
  | { outcome: 'rejected'; workflowId: string; message: string }
  | { outcome: 'not_found'; workflowId: string };

/** A `pageToken` this API did not issue, or one Temporal no longer accepts. */
export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  constructor() {
    super('invalid page token');
  }
}

/**
 * Temporal could not be reached or did not answer in time. A webhook is then queued in the
 * API's inbox (src/api/inbox); other routes, and a webhook the inbox cannot take, answer 503 so
 * the sender retries: nothing was recorded, so nothing is lost by asking again.
 */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  constructor(operation: string, options?: { cause?: unknown }) {
    super(`Temporal unavailable during ${operation}`, options);
  }
}
