/**
 * The reconciler's activity: check every open ticket against its source and its CRM, and signal
 * only the tickets whose side changed since the workflow last looked. Comparing fingerprints
 * (from the workflow's `state` query, which adds nothing to history) keeps an unchanged ticket
 * free of new history events; a lost webhook costs one interval, not a broken ticket.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { crmFingerprint, sourceFingerprint } from '../domain/fingerprints';
import { SOURCE_KINDS, type SourceKind } from '../domain/ticket';
import type { CrmPort } from '../ports/crm';
import type { TicketSourcePort } from '../ports/ticket-source';
import {
  crmChangedSignal,
  sourceChangedSignal,
  stateQuery,
  TICKET_WORKFLOW_TYPE,
  type TicketStateView,
} from '../workflows/definitions';

export interface ReconcileSummary {
  checked: number;
  sourceSignals: number;
  crmSignals: number;
  /** Tickets that could not be checked this round (a remote down, ...): tried again next round. */
  failed: number;
  /** Source tickets that read as 404 this round. */
  missing: number;
  /**
   * Set when so many tickets read as 404 at once that it is the remote, not the users (a wrong
   * tenant key, a misrouted load balancer): the round stopped signalling and said so.
   */
  haltedOnMassNotFound?: string;
}

/** A round stops once this many tickets, and at least this share of those checked, read as 404. */
export const MASS_NOT_FOUND = { atLeast: 5, share: 0.2 } as const;

export interface ReconcilerActivities {
  reconcileOpenTickets(): Promise<ReconcileSummary>;
}

export interface ReconcilerDeps {
  client: Client;
  sources: Record<SourceKind, TicketSourcePort | undefined>;
  crm: CrmPort;
}

const OPEN_TICKETS = `WorkflowType = "${TICKET_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;

export function createReconcilerActivities({ client, sources, crm }: ReconcilerDeps): ReconcilerActivities {
  async function reconcileOne(workflowId: string, summary: ReconcileSummary): Promise<void> {
    const handle = client.workflow.getHandle(workflowId);
    const state: TicketStateView = await handle.query(stateQuery);
    if (state.completed) return;
    const receivedAt = new Date().toISOString();

    const source = sources[state.source];
    if (source) {
      const ticket = await source.fetchTicket(state.sourceTicketId);
      if (ticket === null) summary.missing++;
      if (massNotFound(summary)) return;
      const fingerprint = ticket ? sourceFingerprint(ticket) : 'deleted';
      if (fingerprint !== state.fingerprints.source) {
        // Never 'deleted': a 404 here is only a reason to look. The workflow itself takes a
        // ticket as deleted after an explicit DELETE, or a 404 that persists across its reads.
        await handle.signal(sourceChangedSignal, { kind: 'updated', eventId: null, receivedAt, snapshot: null });
        summary.sourceSignals++;
      }
    }
    if (state.crmTicketId) {
      const ticket = await crm.getTicket(state.crmTicketId);
      const fingerprint = ticket ? crmFingerprint(ticket) : 'deleted';
      if (fingerprint !== state.fingerprints.crm) {
        await handle.signal(crmChangedSignal, { crmTicketId: state.crmTicketId, eventId: null, receivedAt });
        summary.crmSignals++;
      }
    }
  }

  return {
    async reconcileOpenTickets(): Promise<ReconcileSummary> {
      const summary: ReconcileSummary = { checked: 0, sourceSignals: 0, crmSignals: 0, failed: 0, missing: 0 };
      for await (const execution of client.workflow.list({ query: OPEN_TICKETS })) {
        if (massNotFound(summary)) {
          summary.haltedOnMassNotFound = `${summary.missing} of ${summary.checked + 1} tickets read as 404 in one round: the source is misbehaving, not ${summary.missing} users deleting; this round stopped`;
          Context.current().log.error('reconcile: halted on mass 404', { missing: summary.missing, checked: summary.checked });
          break;
        }
        Context.current().heartbeat(summary.checked);
        if (!isTicketSource(execution.workflowId)) continue;
        try {
          await reconcileOne(execution.workflowId, summary);
        } catch (err) {
          // One ticket's remote being down must not stop the round for the others.
          summary.failed++;
          Context.current().log.warn('reconcile: ticket not checked', {
            workflowId: execution.workflowId,
            error: err instanceof Error ? err.name : 'unknown',
          });
        }
        summary.checked++;
      }
      return summary;
    },
  };
}

function massNotFound({ missing, checked }: ReconcileSummary): boolean {
  return missing >= MASS_NOT_FOUND.atLeast && missing >= MASS_NOT_FOUND.share * (checked + 1);
}

function isTicketSource(workflowId: string): boolean {
  const source = workflowId.split('/')[1];
  return (SOURCE_KINDS as readonly string[]).includes(source);
}
