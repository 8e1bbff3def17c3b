/**
 * `TicketWorkflowGateway` over `@temporalio/client`.
 *
 * Every call runs under a short gRPC deadline: the client's own retry of UNAVAILABLE would
 * otherwise keep a webhook open for most of a minute, longer than senders wait (Zendesk gives
 * up after ~10 s). On a deadline or any transport/server error the call fails fast with
 * `TemporalUnavailableError` and the route answers 503 so the sender retries.
 */
import {
  type Client,
  isGrpcServiceError,
  NamespaceNotFoundError,
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import { CRM_NAMES } from '../config/freshdesk';
import { parseCrmExternalId, type SourceKind, type TicketStatus, ticketWorkflowId } from '../domain/ticket';
import {
  type CrmNotification,
  crmChangedSignal,
  crmEventUpdate,
  DEFAULT_WORKFLOW_SETTINGS,
  KNOWN_CRM_EVENT,
  type SourceNotification,
  sourceChangedSignal,
  TICKET_WORKFLOW_TYPE,
  type TicketWorkflowInput,
  type TicketWorkflowSettings,
} from '../workflows/definitions';
import { FRESH_TICKET_MS } from '../workflows/fresh-create';
import { TicketSourceKey, TicketStatusKey } from '../workflows/search-attributes';
import {
  type CrmNotifyResult,
  InvalidPageTokenError,
  type SourceNotifyResult,
  TemporalUnavailableError,
  type TicketWorkflowGateway,
} from './gateway';
import { createOpsCalls, ticketCountQuery } from './ops/temporal-ops';

export interface TemporalGatewayOptions {
  client: Client;
  taskQueue: string;
  /**
   * Settings given to each ticket workflow this gateway starts (see `workflowSettingsFrom`).
   * A workflow keeps the settings it was started with; omitted ones are written as the defaults.
   */
  workflowSettings?: Partial<TicketWorkflowSettings>;
  /** Deadline for each Temporal call (default 5 s: well inside a webhook sender's patience). */
  rpcTimeoutMs?: number;
  /** Deadline for the readiness probe (default 2 s). */
  readyTimeoutMs?: number;
  /**
   * How long resync/close wait for the workflow to finish the update before answering "accepted,
   * still running" (default 20 s: a close writes to both remotes, which may be slow or retrying).
   */
  updateResultTimeoutMs?: number;
  /** Told of every Temporal call that failed (metrics): `unavailable` (503) or `error` (anything unexpected). */
  onCallError?: (operation: string, reason: 'unavailable' | 'error') => void;
  /**
   * How long a helpdesk event with its facts waits for the workflow to tell whether it knows it
   * already (`crmEventUpdate`) before it is signalled instead (default 2 s: a cached workflow
   * answers in milliseconds; a stopped worker must not hold the sender). 0: always signal.
   */
  tellKnownEventsMs?: number;
  /**
   * Whether a source's CREATE that starts a ticket's first run tells the run that no earlier run
   * made its helpdesk copy (`noEarlierRun`, rules 1.7: its create skips the lookup). Default
   * true, for the webhooks. false for callers that start tickets a copy may exist of without any
   * run on record (the backfill: tickets from before the bridge).
   */
  freshCreates?: boolean;
}

/** The deployment's workflow settings (SOLVED_AUTO_CLOSE_AFTER, SOLVED_REOPEN_SOURCE_STATUS, and the helpdesk's name from CRM). */
export function workflowSettingsFrom(
  config: Pick<Config, 'solvedAutoCloseAfterMs' | 'solvedReopenSourceStatus' | 'crm'>,
): Partial<TicketWorkflowSettings> {
  return { solvedAutoCloseAfterMs: config.solvedAutoCloseAfterMs, reopenSourceStatus: config.solvedReopenSourceStatus, crmName: CRM_NAMES[config.crm] };
}

/** The gateway, and what its owner waits for before closing the connection. */
export interface TemporalGateway extends TicketWorkflowGateway {
  /**
   * Resolves once no call is in flight. The client's retry of a call (e.g. an update aborted by
   * the workflow's closing) sleeps its back-off on a timer of its own: closing the connection
   * under it would crash the process when that timer fires ("Channel has been shut down").
   */
  drain(): Promise<void>;
  /** Running ticket workflows whose `TicketStatus` is `status` (one visibility count; the metrics' `ticket_bridge_tickets`). */
  countTickets(status: TicketStatus): Promise<number>;
}

export function createTemporalGateway(options: TemporalGatewayOptions): TemporalGateway {
  const { client, taskQueue, workflowSettings, rpcTimeoutMs = 5_000, readyTimeoutMs = 2_000, onCallError } = options;
  const inFlight = new Set<Promise<unknown>>();
  /** `p`, counted in flight until it settles (see `drain`). */
  function tracked<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    return p;
  }

  /**
   * Run `fn` under a deadline; transport and server failures become `TemporalUnavailableError`.
   * The client's retry interceptor sleeps its back-off without looking at the deadline, so an
   * answer can come one back-off step late (about 6.5 s at the 5 s default, still inside
   * Zendesk's 10 s). Racing a timer instead would abandon calls whose pending retry crashes the
   * process if the connection is closed meanwhile (grpc "Channel has been shut down").
   */
  async function call<T>(operation: string, fn: () => Promise<T>, timeoutMs = rpcTimeoutMs): Promise<T> {
    try {
      return await tracked(client.connection.withDeadline(Date.now() + timeoutMs, fn));
    } catch (err) {
      if (isUnavailable(err)) {
        onCallError?.(operation, 'unavailable');
        throw new TemporalUnavailableError(operation, { cause: err });
      }
      if (!isExpectedOutcome(err)) onCallError?.(operation, 'error');
      throw err;
    }
  }

  const tellKnownEventsMs = options.tellKnownEventsMs ?? 2_000;
  const freshCreates = options.freshCreates ?? true;

  /**
   * Rules 1.7 hold only where a closed run stays on record well past a fresh ticket's hour: the
   * namespace's retention, read once. It is read once Temporal has answered something (the
   * readiness probe, a start), never against a Temporal that is not there: the client's gRPC
   * retries of a call outlive its deadline. A CREATE waits for a read in flight at most a moment;
   * unknown (not read yet, not in time, or failed: read again after the next answer) means no
   * claim, which costs the create one lookup. So no webhook is held longer than before.
   */
  let longRetention: Promise<boolean> | null = null;
  const readRetention = (): void => {
    if (!freshCreates || longRetention !== null) return;
    longRetention = call('describeNamespace', () => client.workflowService.describeNamespace({ namespace: client.options.namespace })).then(
      (described) => retentionMs(described.config?.workflowExecutionRetentionTtl) >= MIN_RETENTION_FOR_FRESH_CREATES_MS,
      () => {
        longRetention = null;
        return false;
      },
    );
  };
  const keepsClosedRunsLongEnough = (): Promise<boolean> =>
    longRetention === null ? Promise.resolve(false) : settledWithin(longRetention, RETENTION_READ_WAIT_MS, false);

  /**
   * Rules 1.2: a helpdesk event that carries its facts is offered as `crmEventUpdate`, whose
   * validator refuses, leaving nothing in history, an event the workflow knows already (the echo
   * of its own write, a redelivery). `delivered`: accepted, as a signal would have been.
   * `not-told`: no answer in time, a worker without the update, Temporal busy: signal instead
   * (should the update still arrive later, the workflow takes its event id as a redelivery).
   */
  async function tellCrmEvent(workflowId: string, notification: CrmNotification): Promise<'known' | 'delivered' | 'not-told'> {
    if (tellKnownEventsMs <= 0 || !notification.change) return 'not-told';
    const handle = client.workflow.getHandle(workflowId);
    try {
      await tracked(
        client.connection.withDeadline(Date.now() + tellKnownEventsMs, () =>
          // To completion, not acceptance: a refusal is thrown only by the result, and the
          // handler completes in the task that accepts it (it only records the event).
          handle.executeUpdate(crmEventUpdate, {
            args: [notification],
            ...(notification.eventId !== null && { updateId: `crm-event/${notification.eventId}` }),
          }),
        ),
      );
      return 'delivered';
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === KNOWN_CRM_EVENT) return 'known';
      // Completed: the signal below says so, as it always did.
      return 'not-told';
    }
  }

  const ops = createOpsCalls({ client, call, onCallError, updateResultTimeoutMs: options.updateResultTimeoutMs ?? 20_000 });

  /** The workflow id that owns a CRM ticket, or null when none is known. */
  async function findWorkflowForCrmTicket(crmTicketId: string, externalId: string | null): Promise<string | null> {
    const parsed = externalId ? parseCrmExternalId(externalId) : null;
    if (parsed) return ticketWorkflowId(parsed.source, parsed.sourceTicketId);
    // Fallback for payloads without the external id. Visibility is eventually consistent, so a
    // ticket created seconds ago may not be found; every sync of the workflow (any later
    // notification, from either side) re-reads the CRM, so a miss delays a reply, never loses it.
    // `crmTicketId` is validated as digits by the route, so it cannot break out of the quotes.
    const query = `CrmTicketId = "${crmTicketId}"`;
    for await (const execution of client.workflow.list({ query, pageSize: 1 })) return execution.workflowId;
    return null;
  }

  const gateway: TemporalGateway = {
    async drain(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },

    async countTickets(status: TicketStatus): Promise<number> {
      const { count } = await call('count', () => client.workflow.count(ticketCountQuery(status)));
      return count;
    },

    async notifySource(source: SourceKind, sourceTicketId: string, notification: SourceNotification): Promise<SourceNotifyResult> {
      const workflowId = ticketWorkflowId(source, sourceTicketId);
      // The full settings, not just the deployment's overrides: see DEFAULT_WORKFLOW_SETTINGS.
      const input: TicketWorkflowInput = { source, sourceTicketId, settings: { ...DEFAULT_WORKFLOW_SETTINGS, ...workflowSettings } };
      const start = (args: TicketWorkflowInput, workflowIdReusePolicy: WorkflowIdReusePolicy) =>
        call('signalWithStart', () =>
          client.workflow.signalWithStart(TICKET_WORKFLOW_TYPE, {
            workflowId,
            taskQueue,
            args: [args],
            signal: sourceChangedSignal,
            signalArgs: [notification],
            workflowIdReusePolicy,
            // Applied only when this call starts the workflow; the workflow keeps them current.
            typedSearchAttributes: [
              { key: TicketSourceKey, value: source },
              { key: TicketStatusKey, value: 'NEW' },
            ],
          }),
        );
      if (freshCreates && notification.kind === 'created' && (await keepsClosedRunsLongEnough())) {
        try {
          // A running workflow is signalled. With no run on record at all, the run a CREATE
          // starts says so (`noEarlierRun`): its create need not look for a copy (rules 1.7).
          await start({ ...input, noEarlierRun: true }, WorkflowIdReusePolicy.REJECT_DUPLICATE);
          readRetention();
          return { outcome: 'signalled', workflowId };
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      try {
        // A failed or terminated run is restarted by the next notification, which is how an
        // operator recovers a stuck ticket.
        await start(input, WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY);
        readRetention();
        return { outcome: 'signalled', workflowId };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // The ticket's workflow completed. A DELETE has nothing left to do. Other news starts a
        // new run that reads the source before anything (`afterEnd`): a late duplicate ends it at
        // once, a message the user wrote after the close reaches the agents (a closed Zendesk
        // ticket gets a follow-up). News is never ignored.
        if (notification.kind === 'deleted') return { outcome: 'ignored', workflowId, reason: 'completed' };
      }
      const ended = await call('describe', () => client.workflow.getHandle(workflowId).describe());
      const endedAt = ended.closeTime ? ended.closeTime.toISOString() : null;
      try {
        await start({ ...input, afterEnd: { endedAt } }, WorkflowIdReusePolicy.ALLOW_DUPLICATE);
      } catch (err) {
        // Another notification started that run a moment ago: it has the news (it reads the source).
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      return { outcome: 'signalled', workflowId };
    },

    async notifyCrm(notification: CrmNotification, externalId: string | null): Promise<CrmNotifyResult> {
      const workflowId = await call('findWorkflow', () => findWorkflowForCrmTicket(notification.crmTicketId, externalId));
      if (workflowId === null) return { outcome: 'ignored', reason: 'no-workflow' };
      try {
        const told = await tellCrmEvent(workflowId, notification);
        if (told === 'known') return { outcome: 'ignored', reason: 'known' };
        if (told === 'delivered') return { outcome: 'signalled', workflowId };
        await call('signal', () => client.workflow.getHandle(workflowId).signal(crmChangedSignal, notification));
        return { outcome: 'signalled', workflowId };
      } catch (err) {
        // Signalling a completed workflow reports "not found" too: the ticket is closed, nothing
        // is left to sync. Not an error for Zendesk either way.
        if (err instanceof WorkflowNotFoundError) return { outcome: 'ignored', reason: 'not-running' };
        throw err;
      }
    },

    async ready(): Promise<void> {
      await call('getSystemInfo', () => client.connection.workflowService.getSystemInfo({}), readyTimeoutMs);
      readRetention();
    },

    ...ops,

    /**
     * `resync` of a ticket whose workflow failed, was terminated or timed out starts a new run
     * (as the ticket's next webhook would): it finds the CRM ticket already there and adopts it,
     * sending only what is missing on either side. A completed ticket stays completed.
     */
    async updateTicket(source, sourceTicketId, update, updateOptions = {}) {
      const result = await ops.updateTicket(source, sourceTicketId, update, updateOptions);
      if (update.name !== 'resync' || result.outcome !== 'rejected') return result;
      const description = await call('describe', () => client.workflow.getHandle(result.workflowId).describe());
      if (!RESTARTABLE.has(description.status.name)) return result;
      const notification: SourceNotification = {
        kind: 'updated',
        eventId: `resync/${updateOptions.updateId ?? description.runId}`,
        receivedAt: new Date().toISOString(),
        snapshot: null,
      };
      const started = await gateway.notifySource(source, sourceTicketId, notification);
      if (started.outcome !== 'signalled') return result;
      return {
        outcome: 'accepted',
        workflowId: result.workflowId,
        updateId: '',
        message: `the ticket's workflow was ${description.status.name.toLowerCase()}: a new run started, adopting the Zendesk ticket (only what is missing is sent)`,
      };
    },
  };
  return gateway;
}

/** Twice a fresh ticket's hour (src/workflows/fresh-create.ts): shorter, and a CREATE claims no fresh run. */
export const MIN_RETENTION_FOR_FRESH_CREATES_MS = 2 * FRESH_TICKET_MS;

/** How long a CREATE waits for the namespace's retention before it goes on without a claim. */
const RETENTION_READ_WAIT_MS = 100;

/** `promise`'s value if it settles within `ms`, else `otherwise` (the promise goes on by itself). */
async function settledWithin<T>(promise: Promise<T>, ms: number, otherwise: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(otherwise), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function retentionMs(ttl: { seconds?: number | Long | null } | null | undefined): number {
  return ttl?.seconds == null ? 0 : Number(ttl.seconds) * 1000;
}

/** Workflow statuses a `resync` restarts from (a completed ticket never restarts). */
const RESTARTABLE: ReadonlySet<string> = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT']);

/** Answers Temporal gives in the normal course of things: callers turn them into outcomes, not errors. */
function isExpectedOutcome(err: unknown): boolean {
  return (
    err instanceof WorkflowNotFoundError ||
    err instanceof WorkflowExecutionAlreadyStartedError ||
    err instanceof WorkflowUpdateFailedError ||
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    err instanceof QueryRejectedError ||
    err instanceof QueryNotRegisteredError ||
    err instanceof InvalidPageTokenError
  );
}

/**
 * Failures that say "Temporal did not do it, try again later": gRPC errors (unreachable,
 * deadline, overloaded), the client's `ServiceError` wrapper around them, and a missing
 * namespace (a deployment problem; the sender's retry succeeds once it is fixed).
 */
function isUnavailable(err: unknown): boolean {
  return err instanceof ServiceError || err instanceof NamespaceNotFoundError || isGrpcServiceError(err);
}
