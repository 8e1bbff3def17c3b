/**
 * Rules 1.7 (`PATCHES.freshCreate`): when may a ticket's create skip the lookup by external id?
 * Only when no helpdesk copy can exist yet. The lookup is what finds a copy made by an earlier
 * run of the same ticket (one that failed or was terminated, or ended): the idempotency key
 * only reaches back two hours, and only within one chain of runs.
 *
 * Pure, so the workflow asks it with what it knows and the tests can ask it every case.
 */
import type { TicketWorkflowInput } from './definitions';

/**
 * A source ticket younger than this has had every run of it still on record: the gateway sets
 * `noEarlierRun` only where retention keeps a closed run at least twice this long
 * (MIN_RETENTION_FOR_FRESH_CREATES_MS in src/api/temporal-gateway.ts), so its start would have seen one.
 */
export const FRESH_TICKET_MS = 60 * 60_000;

/** How far ahead of the workflow's clock a source may date a ticket (clock skew), and it still counts. */
export const FUTURE_SKEW_MS = 5 * 60_000;

export interface CreateContext {
  /** The run follows rules 1.7. */
  freshCreate: boolean;
  input: Pick<TicketWorkflowInput, 'noEarlierRun' | 'afterEnd'>;
  /** `workflowInfo()`'s ids: a continued run and a reset run each follow another that may have created. */
  run: { runId: string; originalExecutionRunId: string; continuedFromExecutionRunId?: string };
  /** The source ticket's `createdAt` (ISO), as read now. */
  ticketCreatedAt: string;
  /** The workflow's clock (ms). */
  now: number;
  /** This run asked for a create before (whatever became of it). */
  triedBefore: boolean;
}

/** true: nothing can have made a helpdesk copy of this ticket yet, so its first create attempt need not look. */
export function createIsUnseen(c: CreateContext): boolean {
  if (!c.freshCreate || c.triedBefore || c.input.noEarlierRun !== true || c.input.afterEnd !== undefined) return false;
  if (c.run.continuedFromExecutionRunId !== undefined || c.run.runId !== c.run.originalExecutionRunId) return false;
  const created = Date.parse(c.ticketCreatedAt);
  return Number.isFinite(created) && c.now - created < FRESH_TICKET_MS && created - c.now <= FUTURE_SKEW_MS;
}
