/**
 * The ops API's request and response schemas (zod). The routes validate requests with them and
 * the OpenAPI document (`GET /openapi.json`) is generated from them; the response types the
 * gateway returns are inferred from them, and the workflow's own `TicketStateView` is checked
 * against its schema at compile time, so the document cannot drift from what is served.
 */
import { z } from 'zod';
import { CRM_STATUSES, SOURCE_KINDS, TICKET_STATUSES } from '../../domain/ticket';
import type { TicketStateView } from '../../workflows/definitions';
import { sourceKind, sourceTicketId } from '../schemas';

// --- requests -------------------------------------------------------------------------------

export const ticketPathParams = z.object({ source: sourceKind, ticketId: sourceTicketId });

/** `a,b,c` of allowed values; each value is checked against a closed list, so nothing reaches the visibility query unvetted. */
function csvOf<T extends string>(values: readonly T[], what: string) {
  return z
    .string()
    .meta({ description: `One or more ${what}, comma-separated: ${values.join(', ')}` })
    .transform((text, ctx) => {
      const items = [...new Set(text.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
      const bad = items.filter((s) => !(values as readonly string[]).includes(s));
      if (items.length === 0 || bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `must be one or more of ${values.join(', ')} (comma-separated)` });
        return z.NEVER;
      }
      return items as T[];
    });
}

/** Opaque to clients; base64url of what Temporal's visibility returned. */
export const pageToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,4096}$/, { error: 'must be the nextPageToken of a previous page' })
  .meta({ description: 'The `nextPageToken` of the previous page, as given.' });

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

export const listTicketsQuery = z.object({
  status: csvOf(TICKET_STATUSES, 'ticket statuses').optional(),
  source: csvOf(SOURCE_KINDS, 'sources').optional(),
  pageSize: z
    .string()
    .regex(/^\d{1,4}$/, { error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, { error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
    .optional()
    .meta({ description: `Tickets per page, 1-${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` }),
  pageToken: pageToken.optional(),
});

/** Free text recorded in the ticket's timeline (and the CRM's internal note on close). Never personal data. */
const reason = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(500, { error: 'must be at most 500 characters' });

/** The body's own message when it is no object; an unknown field is named on its own (src/api/errors.ts). */
const jsonObject = (what: string) => ({ error: (issue: { code: string }) => (issue.code === 'invalid_type' ? what : undefined) });
export const resyncBody = z.strictObject({ reason: reason.optional() }, jsonObject('must be a JSON object'));
export const closeBody = z.strictObject({ reason }, jsonObject('must be a JSON object with a reason'));
export const pauseBody = z.strictObject({ reason }, jsonObject('must be a JSON object with a reason'));
export const resumeBody = z.strictObject({ reason: reason.optional() }, jsonObject('must be a JSON object'));

/** Optional `Idempotency-Key` header of resync/close: becomes the update id, so a retried request is one update. */
export const idempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: 'must be 1-128 letters, digits, ".", "_", ":" or "-"' });

// --- responses ------------------------------------------------------------------------------

const isoTime = z.string().meta({ description: 'ISO-8601 time', example: '2026-01-01T09:30:00.000Z' });
const ticketStatus = z.enum(TICKET_STATUSES);

export const EXECUTION_STATUSES = [
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
  'PAUSED',
  'UNKNOWN',
] as const;
export const executionStatus = z.enum(EXECUTION_STATUSES).meta({ description: "The Temporal workflow execution's status" });

export const ticketListItem = z.object({
  workflowId: z.string().meta({ example: 'ticket/connect/42' }),
  source: z.enum(SOURCE_KINDS),
  sourceTicketId: z.string(),
  /** null only for a workflow started before its first status was recorded. */
  status: ticketStatus.nullable(),
  crmTicketId: z.string().nullable(),
  executionStatus,
  startTime: isoTime,
  closeTime: isoTime.nullable(),
  deletedByUser: z.boolean().meta({ description: 'CLOSED because the user deleted the ticket (not because it was resolved).' }),
});
export type TicketListItem = z.infer<typeof ticketListItem>;

export const ticketPage = z.object({
  tickets: z.array(ticketListItem),
  nextPageToken: z.string().nullable().meta({ description: 'Pass as `pageToken` for the next page; null on the last page.' }),
});
export type TicketPage = z.infer<typeof ticketPage>;

export const timelineEntry = z.object({
  at: isoTime,
  kind: z.enum(['received', 'synced', 'failed', 'timer', 'operator']),
  detail: z.string(),
});

export const ticketStateView = z.object({
  source: z.enum(SOURCE_KINDS),
  sourceTicketId: z.string(),
  status: ticketStatus,
  sourceStatus: ticketStatus.nullable(),
  crmStatus: z.enum(CRM_STATUSES).nullable(),
  crmTicketId: z.string().nullable(),
  lastSyncAt: isoTime.nullable(),
  solvedTimerDeadline: isoTime.nullable(),
  lastError: z.object({ at: isoTime, operation: z.string(), type: z.string(), message: z.string() }).nullable(),
  counts: z.object({
    notifications: z.number().int(),
    syncs: z.number().int(),
    userCommentsToCrm: z.number().int(),
    agentRepliesToSource: z.number().int(),
    statusChangesToCrm: z.number().int(),
    statusChangesToSource: z.number().int(),
  }),
  notes: z.array(z.string()),
  timeline: z.array(timelineEntry).meta({ description: 'What happened, newest last, bounded by the workflow.' }),
  fingerprints: z.object({ source: z.string().nullable(), crm: z.string().nullable() }),
  parked: z
    .array(z.object({ what: z.string(), reason: z.string(), since: isoTime }))
    .default([])
    .meta({ description: 'What waits on a person or a remote, with the reason: refused writes retried or given up on, a side that reads as 404. Empty for a healthy ticket.' }),
  paused: z
    .object({ since: isoTime, reason: z.string() })
    .optional()
    .meta({ description: "Present while an operator has paused the ticket: since when, and the operator's reason. Nothing is synced until `resume`." }),
  completed: z.boolean(),
}).meta({ id: 'TicketState', description: "The ticket workflow's `state` query." });

// The schema and the workflow's type must describe the same thing: a compile error here means one
// of them changed without the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const stateSchemaMatchesWorkflow: Same<z.infer<typeof ticketStateView>, TicketStateView> = true;
void stateSchemaMatchesWorkflow;

export const pendingActivity = z.object({
  activityId: z.string(),
  activityType: z.string().meta({ example: 'addCrmComment' }),
  state: z.enum(['SCHEDULED', 'STARTED', 'CANCEL_REQUESTED', 'PAUSED', 'PAUSE_REQUESTED', 'UNKNOWN']),
  attempt: z.number().int(),
  /** null: retried until its timeout (no attempt limit). */
  maximumAttempts: z.number().int().nullable(),
  scheduledTime: isoTime.nullable(),
  lastStartedTime: isoTime.nullable(),
  lastHeartbeatTime: isoTime.nullable(),
  nextAttemptScheduleTime: isoTime.nullable().meta({ description: 'When the next retry starts (set while it waits to retry).' }),
  expirationTime: isoTime.nullable(),
  lastFailure: z
    .object({ type: z.string().nullable(), message: z.string(), nonRetryable: z.boolean() })
    .nullable()
    .meta({ description: "The previous attempt's failure: why it is retrying." }),
  lastWorkerIdentity: z.string().nullable(),
});
export type PendingActivityView = z.infer<typeof pendingActivity>;

export const ticketDetails = z.object({
  workflowId: z.string(),
  source: z.enum(SOURCE_KINDS),
  sourceTicketId: z.string(),
  execution: z.object({
    runId: z.string(),
    status: executionStatus,
    startTime: isoTime,
    closeTime: isoTime.nullable(),
    historyLength: z.number().int(),
    taskQueue: z.string(),
  }),
  state: ticketStateView.nullable().meta({ description: 'null when no worker answered the query (see stateError).' }),
  deletedByUser: z.boolean().meta({ description: "CLOSED because the user deleted the ticket (read from the state's timeline)." }),
  stateError: z.string().nullable(),
  pendingActivities: z.array(pendingActivity).meta({ description: 'Activities scheduled, running or waiting to retry.' }),
  helpdesk: z.enum(['zendesk', 'freshdesk']).optional().meta({ description: 'The helpdesk this bridge writes tickets to (`CRM`).' }),
});
export type TicketDetails = z.infer<typeof ticketDetails>;

/** 202 from resync/close: accepted by the workflow, still running when the API stopped waiting. */
export const updateAccepted = z.object({
  accepted: z.literal(true),
  workflowId: z.string(),
  updateId: z.string(),
  message: z.string(),
});

export const rejectedError = z.object({ error: z.literal('rejected'), message: z.string() });
