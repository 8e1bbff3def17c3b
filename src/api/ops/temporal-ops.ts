/**
 * The ops half of the Temporal gateway: listing tickets through visibility, describing one
 * (DescribeWorkflowExecution + the `state` query) and the `resync` / `close` workflow updates.
 * Used by the ops API and by the CLI's `--temporal` mode, so both print the same thing.
 */
import { createHash } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  type Client,
  isGrpcServiceError,
  QueryNotRegisteredError,
  QueryRejectedError,
  WorkflowNotFoundError,
  type WorkflowHandle,
  WorkflowUpdateFailedError,
  type WorkflowUpdateHandle,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SOURCE_KINDS, type SourceKind, TICKET_STATUSES, type TicketStatus, ticketWorkflowId } from '../../domain/ticket';
import { closeUpdate, pauseUpdate, resumeUpdate, resyncUpdate, stateQuery, TICKET_WORKFLOW_TYPE, type TicketStateView } from '../../workflows/definitions';
import { CrmTicketIdKey, TicketSourceKey, TicketStatusKey } from '../../workflows/search-attributes';
import {
  InvalidPageTokenError,
  TemporalUnavailableError,
  type TicketListFilter,
  type TicketUpdate,
  type TicketUpdateResult,
  type TicketWorkflowGateway,
} from '../gateway';
import {
  EXECUTION_STATUSES,
  type PendingActivityView,
  type TicketDetails,
  type TicketListItem,
  type TicketPage,
} from './schemas';
import { deletedByUser } from './ticket-closure';

type Call = <T>(operation: string, fn: () => Promise<T>, timeoutMs?: number) => Promise<T>;

export interface OpsCallsOptions {
  client: Client;
  /** The gateway's deadline-and-classify wrapper. */
  call: Call;
  updateResultTimeoutMs: number;
  onCallError?: (operation: string, reason: 'unavailable' | 'error') => void;
}

type OpsCalls = Pick<TicketWorkflowGateway, 'listTickets' | 'describeTicket' | 'updateTicket'>;

export function createOpsCalls({ client, call, updateResultTimeoutMs, onCallError }: OpsCallsOptions): OpsCalls {
  return {
    async listTickets(filter: TicketListFilter): Promise<TicketPage> {
      const query = ticketListQuery(filter);
      const nextPageToken = filter.pageToken !== undefined ? decodePageToken(query, filter.pageToken) : undefined;
      const response = await call('list', async () => {
        try {
          return await client.workflowService.listWorkflowExecutions({
            namespace: client.options.namespace,
            query,
            pageSize: filter.pageSize,
            nextPageToken,
          });
        } catch (err) {
          // A token we issued but the server no longer takes (expired, other visibility store).
          if (nextPageToken && isGrpcServiceError(err) && err.code === grpcStatus.INVALID_ARGUMENT) throw new InvalidPageTokenError();
          throw err;
        }
      });
      const listed = (response.executions ?? []).flatMap((raw) => {
        const item = listItem(raw);
        return item ? [withDeletion(item, raw.execution?.runId ?? undefined)] : [];
      });
      const tickets = await Promise.all(listed);
      const next = response.nextPageToken && response.nextPageToken.length > 0 ? encodePageToken(query, response.nextPageToken) : null;
      return { tickets, nextPageToken: next };
    },

    async describeTicket(source: SourceKind, sourceTicketId: string): Promise<TicketDetails | null> {
      const workflowId = ticketWorkflowId(source, sourceTicketId);
      const handle = client.workflow.getHandle(workflowId);
      // In parallel: a query waits for a worker, a describe does not.
      const [described, queried] = await Promise.allSettled([
        call('describe', () => handle.describe()),
        call('query', () => handle.query(stateQuery)),
      ]);
      if (described.status === 'rejected') {
        if (described.reason instanceof WorkflowNotFoundError) return null;
        throw described.reason;
      }
      const description = described.value;
      let state: TicketStateView | null = null;
      let stateError: string | null = null;
      if (queried.status === 'fulfilled') state = queried.value;
      else stateError = queryFailureMessage(queried.reason);

      const pending = description.raw.pendingActivities ?? [];
      return {
        workflowId,
        source,
        sourceTicketId,
        execution: {
          runId: description.runId,
          status: executionStatusName(description.status.name),
          startTime: description.startTime.toISOString(),
          closeTime: description.closeTime?.toISOString() ?? null,
          historyLength: description.historyLength,
          taskQueue: description.taskQueue,
        },
        state,
        stateError,
        deletedByUser: state !== null && deletedByUser(state),
        pendingActivities: await Promise.all(pending.map((p) => pendingActivityView(client, p))),
      };
    },

    async updateTicket(source: SourceKind, sourceTicketId: string, update: TicketUpdate, options: { updateId?: string } = {}): Promise<TicketUpdateResult> {
      const workflowId = ticketWorkflowId(source, sourceTicketId);
      const handle = client.workflow.getHandle(workflowId);
      const operation = `update:${update.name}`;
      const startOptions = { waitForStage: WorkflowUpdateStage.ACCEPTED, ...(options.updateId && { updateId: options.updateId }) } as const;

      // 1. Until the workflow accepted it: the validator runs here, so a refusal comes back at once
      //    and leaves no trace in history.
      let updateHandle: WorkflowUpdateHandle<TicketStateView>;
      try {
        updateHandle = await call(operation, () => startTicketUpdate(handle, update, startOptions));
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) return { outcome: 'rejected', workflowId, message: updateFailureMessage(err) };
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
          // Not accepted in time (no worker, or Temporal too slow): nothing durable happened.
          onCallError?.(operation, 'unavailable');
          throw new TemporalUnavailableError(operation, { cause: err });
        }
        if (err instanceof WorkflowNotFoundError) return notRunning(workflowId);
        throw err;
      }

      // 2. Its result, for as long as the caller can reasonably wait.
      try {
        const state = await call(`${operation}:result`, () => updateHandle.result(), updateResultTimeoutMs);
        return { outcome: 'completed', workflowId, updateId: updateHandle.updateId, state };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) return { outcome: 'rejected', workflowId, message: updateFailureMessage(err) };
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || err instanceof TemporalUnavailableError) {
          return { outcome: 'accepted', workflowId, updateId: updateHandle.updateId };
        }
        throw err;
      }
    },
  };

  /**
   * A completed CLOSED ticket's result (its final state) says whether the user deleted it; the
   * listing itself (search attributes, memo) does not. One read of the run's close event each;
   * a ticket whose result cannot be read is listed as not deleted rather than failing the page.
   */
  async function withDeletion(item: TicketListItem, runId: string | undefined): Promise<TicketListItem> {
    if (item.status !== 'CLOSED' || item.executionStatus !== 'COMPLETED') return item;
    try {
      const state = await call('result', () => client.workflow.getHandle(item.workflowId, runId, { followRuns: false }).result() as Promise<TicketStateView>);
      return { ...item, deletedByUser: deletedByUser(state) };
    } catch {
      return item;
    }
  }

  /** "Not found" from an update: either no such workflow, or its last run already completed. */
  async function notRunning(workflowId: string): Promise<TicketUpdateResult> {
    try {
      const description = await call('describe', () => client.workflow.getHandle(workflowId).describe());
      return {
        outcome: 'rejected',
        workflowId,
        message: `the ticket's workflow is ${description.status.name.toLowerCase()}: nothing left to update`,
      };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { outcome: 'not_found', workflowId };
      throw err;
    }
  }
}

type StartOptions = { waitForStage: typeof WorkflowUpdateStage.ACCEPTED; updateId?: string };

/** Starts the named update with its own definition (so its argument is type-checked). */
function startTicketUpdate(handle: WorkflowHandle, update: TicketUpdate, options: StartOptions): Promise<WorkflowUpdateHandle<TicketStateView>> {
  switch (update.name) {
    case 'resync':
      return handle.startUpdate(resyncUpdate, { ...options, args: [update.request] });
    case 'close':
      return handle.startUpdate(closeUpdate, { ...options, args: [update.request] });
    case 'pause':
      return handle.startUpdate(pauseUpdate, { ...options, args: [update.request] });
    case 'resume':
      return handle.startUpdate(resumeUpdate, { ...options, args: [update.request] });
  }
}

// --- visibility -----------------------------------------------------------------------------

/** Only vetted values reach the query: enum members, re-checked here for callers other than the API. */
const SAFE_VALUE = /^[A-Za-z0-9_-]+$/;

function clause(attribute: string, values: readonly string[]): string {
  for (const v of values) if (!SAFE_VALUE.test(v)) throw new TypeError(`unsafe visibility value for ${attribute}`);
  return values.length === 1 ? `${attribute} = "${values[0]}"` : `${attribute} IN (${values.map((v) => `"${v}"`).join(', ')})`;
}

/** The visibility query of a listing, e.g. `WorkflowType = "ticketWorkflow" AND TicketStatus IN ("NEW", "OPEN")`. */
export function ticketListQuery(filter: Pick<TicketListFilter, 'statuses' | 'sources' | 'query'>): string {
  const clauses = [clause('WorkflowType', [TICKET_WORKFLOW_TYPE])];
  if (filter.statuses && filter.statuses.length > 0) clauses.push(clause(TicketStatusKey.name, filter.statuses));
  if (filter.sources && filter.sources.length > 0) clauses.push(clause(TicketSourceKey.name, filter.sources));
  // The operator's own query (CLI --temporal only), in parentheses so its ORs stay inside it.
  if (filter.query !== undefined && filter.query.trim() !== '') clauses.push(`(${filter.query.trim()})`);
  return clauses.join(' AND ');
}

/**
 * The tickets the bridge still works on in `status`: running workflows only, so the count
 * does not grow with the closed tickets kept for the namespace's retention.
 */
export function ticketCountQuery(status: TicketStatus): string {
  return `${ticketListQuery({ statuses: [status] })} AND ${clause('ExecutionStatus', ['Running'])}`;
}

/**
 * Page tokens are opaque to clients and bound to their query: a token from one listing given to
 * another would page through the wrong result (or make the server fail), so it is refused.
 */
function queryTag(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 12);
}

function encodePageToken(query: string, token: Uint8Array): string {
  return Buffer.from(JSON.stringify({ q: queryTag(query), t: Buffer.from(token).toString('base64') })).toString('base64url');
}

function decodePageToken(query: string, pageToken: string): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(pageToken, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageTokenError();
  }
  const { q, t } = (parsed ?? {}) as { q?: unknown; t?: unknown };
  if (q !== queryTag(query) || typeof t !== 'string' || t === '') throw new InvalidPageTokenError();
  return Buffer.from(t, 'base64');
}

const TICKET_WORKFLOW_ID = /^ticket\/([^/]+)\/(.+)$/;

function oneOf<T extends string>(values: readonly T[], value: unknown): T | null {
  return typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : null;
}

function listItem(raw: temporal.api.workflow.v1.IWorkflowExecutionInfo): TicketListItem | null {
  const workflowId = raw.execution?.workflowId ?? '';
  const match = TICKET_WORKFLOW_ID.exec(workflowId);
  const attributes = decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields);
  const source = oneOf(SOURCE_KINDS, attributes.get(TicketSourceKey)) ?? oneOf(SOURCE_KINDS, match?.[1]);
  if (!match || !source) return null;
  const status: TicketStatus | null = oneOf(TICKET_STATUSES, attributes.get(TicketStatusKey));
  return {
    workflowId,
    source,
    sourceTicketId: match[2]!,
    status,
    crmTicketId: attributes.get(CrmTicketIdKey) ?? null,
    executionStatus: executionStatusName(enumName(temporal.api.enums.v1.WorkflowExecutionStatus, raw.status, 'WORKFLOW_EXECUTION_STATUS_')),
    startTime: isoOrNull(raw.startTime) ?? new Date(0).toISOString(),
    closeTime: isoOrNull(raw.closeTime),
    deletedByUser: false,
  };
}

// --- describe -------------------------------------------------------------------------------

type Timestamp = Parameters<typeof optionalTsToDate>[0];

function isoOrNull(ts: Timestamp): string | null {
  return optionalTsToDate(ts)?.toISOString() ?? null;
}

function enumName(enumObject: Record<number, string>, value: number | null | undefined, prefix: string): string {
  const name = value === null || value === undefined ? undefined : enumObject[value];
  return name ? name.replace(prefix, '') : 'UNSPECIFIED';
}

function executionStatusName(name: string): TicketDetails['execution']['status'] {
  return oneOf(EXECUTION_STATUSES, name) ?? 'UNKNOWN';
}

const ACTIVITY_STATES = ['SCHEDULED', 'STARTED', 'CANCEL_REQUESTED', 'PAUSED', 'PAUSE_REQUESTED'] as const;

async function pendingActivityView(client: Client, p: temporal.api.workflow.v1.IPendingActivityInfo): Promise<PendingActivityView> {
  const state = enumName(temporal.api.enums.v1.PendingActivityState, p.state, 'PENDING_ACTIVITY_STATE_');
  return {
    activityId: p.activityId ?? '',
    activityType: p.activityType?.name ?? '',
    state: oneOf(ACTIVITY_STATES, state) ?? 'UNKNOWN',
    attempt: p.attempt ?? 1,
    maximumAttempts: p.maximumAttempts ? p.maximumAttempts : null,
    scheduledTime: isoOrNull(p.scheduledTime),
    lastStartedTime: isoOrNull(p.lastStartedTime),
    lastHeartbeatTime: isoOrNull(p.lastHeartbeatTime),
    nextAttemptScheduleTime: isoOrNull(p.nextAttemptScheduleTime),
    expirationTime: isoOrNull(p.expirationTime),
    lastFailure: await failureView(client, p.lastFailure),
    lastWorkerIdentity: p.lastWorkerIdentity || null,
  };
}

/** The failure decoded with the client's data converter: with payload encryption, its message is only readable that way. */
async function failureView(client: Client, failure: temporal.api.failure.v1.IFailure | null | undefined): Promise<PendingActivityView['lastFailure']> {
  if (!failure) return null;
  let error: Error | undefined;
  try {
    error = await decodeOptionalFailureToOptionalError(client.options.loadedDataConverter, failure);
  } catch {
    error = undefined;
  }
  if (!error) return { type: failure.applicationFailureInfo?.type ?? null, message: failure.message ?? '', nonRetryable: false };
  const application = error instanceof ApplicationFailure ? error : null;
  return { type: application?.type ?? error.name ?? null, message: error.message, nonRetryable: application?.nonRetryable ?? false };
}

function queryFailureMessage(err: unknown): string {
  if (err instanceof TemporalUnavailableError) return 'no answer to the state query in time: is a worker running on the task queue?';
  if (err instanceof QueryNotRegisteredError) return 'the workflow has no state query';
  if (err instanceof QueryRejectedError) return `state query rejected (workflow ${err.status})`;
  if (err instanceof WorkflowNotFoundError) return 'the workflow is gone';
  return `state query failed: ${err instanceof Error ? err.message : String(err)}`;
}

function updateFailureMessage(err: WorkflowUpdateFailedError): string {
  const cause = err.cause;
  return cause instanceof Error && cause.message ? cause.message : err.message;
}
