/**
 * The reconciler's activity: check every open ticket against its source and its CRM, and signal
 * only the tickets whose side changed since the workflow last looked; a lost webhook costs one
 * interval, not a broken ticket.
 *
 * Cheap by design (issue 12): the open tickets and what each workflow last saw (the fingerprints:
 * a digest in its `TicketFingerprints` search attribute since sync rules 1.6, in its memo from v3
 * until then) come from one visibility list, 100 a page, with no query per ticket; the CRM
 * side is read 100 tickets a request (`show_many`). Only the source is read ticket by ticket:
 * Connect and the white-label platform have no way to read many at once. Tickets of runs older
 * than v3 publish no fingerprints and are still checked through their `state` query.
 */
import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { crmFingerprint, fingerprintDigest, parseFingerprintsKeyword, type SeenFingerprints, sourceFingerprint } from '../domain/fingerprints';
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
import { CrmTicketIdKey, TicketFingerprintsKey } from '../workflows/search-attributes';
import type { TicketMemo } from '../workflows/status-publisher';

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

/** Open tickets checked together: one `show_many` request for their CRM side. */
const BATCH = 100;

/** What a round knows of one open ticket before reading anything. */
interface OpenTicket {
  workflowId: string;
  source: SourceKind;
  sourceTicketId: string;
  crmTicketId: string | null;
  /**
   * From `TicketFingerprints` (rules 1.6, digests) or the memo (v3 runs until then); null: an
   * older run, asked through its `state` query.
   */
  fingerprints: (SeenFingerprints & { digests: boolean }) | null;
}

/** Whether a fresh read's fingerprint is what the workflow last saw (as a digest, if it published one). */
function same(fresh: string, seen: string | null, digests: boolean): boolean {
  return (digests ? fingerprintDigest(fresh) : fresh) === seen;
}

export function createReconcilerActivities({ client, sources, crm }: ReconcilerDeps): ReconcilerActivities {
  const signalSource = (workflowId: string) =>
    // Never 'deleted': a 404 here is only a reason to look. The workflow itself takes a ticket as
    // deleted after an explicit DELETE, or a 404 that persists across its reads.
    client.workflow.getHandle(workflowId).signal(sourceChangedSignal, { kind: 'updated', eventId: null, receivedAt: new Date().toISOString(), snapshot: null });
  const signalCrm = (workflowId: string, crmTicketId: string) =>
    client.workflow.getHandle(workflowId).signal(crmChangedSignal, { crmTicketId, eventId: null, receivedAt: new Date().toISOString() });

  /** The source side of one ticket against what its workflow last saw; false once the round must halt. */
  async function checkSource(ticket: OpenTicket, seen: string | null, summary: ReconcileSummary, digests = false): Promise<boolean> {
    const source = sources[ticket.source];
    if (!source) return true;
    const read = await source.fetchTicket(ticket.sourceTicketId);
    if (read === null) summary.missing++;
    if (massNotFound(summary)) return false;
    if (!same(read ? sourceFingerprint(read) : 'deleted', seen, digests)) {
      await signalSource(ticket.workflowId);
      summary.sourceSignals++;
    }
    return true;
  }

  /** A run older than v3: its fingerprints come from its `state` query, its CRM side from a read. */
  async function checkThroughQuery(ticket: OpenTicket, summary: ReconcileSummary): Promise<boolean> {
    const state: TicketStateView = await client.workflow.getHandle(ticket.workflowId).query(stateQuery);
    if (state.completed) return true;
    if (!(await checkSource(ticket, state.fingerprints.source, summary))) return false;
    if (state.crmTicketId) {
      const read = await crm.getTicket(state.crmTicketId);
      if ((read ? crmFingerprint(read) : 'deleted') !== state.fingerprints.crm) {
        await signalCrm(ticket.workflowId, state.crmTicketId);
        summary.crmSignals++;
      }
    }
    return true;
  }

  /** One batch: its CRM side in one request, its sources one by one. false once the round must halt. */
  async function checkBatch(batch: OpenTicket[], summary: ReconcileSummary): Promise<boolean> {
    const withMemo = batch.filter((t) => t.fingerprints !== null);
    const crmIds = withMemo.flatMap((t) => (t.crmTicketId ? [t.crmTicketId] : []));
    let versions: Awaited<ReturnType<CrmPort['getTicketVersions']>> | null = null;
    try {
      versions = crmIds.length > 0 ? await crm.getTicketVersions(crmIds) : new Map();
    } catch (err) {
      // The CRM is down: its side waits for the next round; the sources are still checked.
      Context.current().log.warn('reconcile: CRM side not checked', { tickets: crmIds.length, error: err instanceof Error ? err.name : 'unknown' });
    }
    for (const ticket of batch) {
      Context.current().heartbeat(summary.checked);
      try {
        if (ticket.fingerprints === null) {
          if (!(await checkThroughQuery(ticket, summary))) return false;
        } else {
          if (!(await checkSource(ticket, ticket.fingerprints.source, summary, ticket.fingerprints.digests))) return false;
          if (ticket.crmTicketId && versions === null) summary.failed++;
          if (ticket.crmTicketId && versions !== null) {
            const version = versions.get(ticket.crmTicketId);
            if (!same(version ? crmFingerprint(version) : 'deleted', ticket.fingerprints.crm, ticket.fingerprints.digests)) {
              await signalCrm(ticket.workflowId, ticket.crmTicketId);
              summary.crmSignals++;
            }
          }
        }
      } catch (err) {
        // One ticket's remote being down must not stop the round for the others.
        summary.failed++;
        Context.current().log.warn('reconcile: ticket not checked', {
          workflowId: ticket.workflowId,
          error: err instanceof Error ? err.name : 'unknown',
        });
      }
      summary.checked++;
    }
    return true;
  }

  return {
    async reconcileOpenTickets(): Promise<ReconcileSummary> {
      const summary: ReconcileSummary = { checked: 0, sourceSignals: 0, crmSignals: 0, failed: 0, missing: 0 };
      let batch: OpenTicket[] = [];
      let going = true;
      for await (const execution of client.workflow.list({ query: OPEN_TICKETS })) {
        const ticket = openTicket(execution);
        if (ticket) batch.push(ticket);
        if (batch.length < BATCH) continue;
        going = await checkBatch(batch, summary);
        batch = [];
        if (!going) break;
      }
      if (going && batch.length > 0) going = await checkBatch(batch, summary);
      if (!going) {
        summary.haltedOnMassNotFound = `${summary.missing} of ${summary.checked + 1} tickets read as 404 in one round: the source is misbehaving, not ${summary.missing} users deleting; this round stopped`;
        Context.current().log.error('reconcile: halted on mass 404', { missing: summary.missing, checked: summary.checked });
      }
      return summary;
    },
  };
}

function openTicket(execution: WorkflowExecutionInfo): OpenTicket | null {
  const [prefix, source, ...rest] = execution.workflowId.split('/');
  if (prefix !== 'ticket' || !(SOURCE_KINDS as readonly string[]).includes(source ?? '') || rest.length === 0) return null;
  // The memo's first: a run rolled back to code before rules 1.6 publishes there, while the
  // search attribute a 1.6 run set is carried on, stale (a 1.6 run removes the memo's).
  const memo = execution.memo as Partial<TicketMemo> | undefined;
  const fingerprints = memo?.fingerprints;
  const published = execution.typedSearchAttributes.get(TicketFingerprintsKey);
  const digests = published === undefined ? null : parseFingerprintsKeyword(published);
  return {
    workflowId: execution.workflowId,
    source: source as SourceKind,
    sourceTicketId: rest.join('/'),
    crmTicketId: execution.typedSearchAttributes.get(CrmTicketIdKey) ?? null,
    fingerprints:
      fingerprints && typeof fingerprints === 'object'
        ? { source: fingerprints.source ?? null, crm: fingerprints.crm ?? null, digests: false }
        : digests && { ...digests, digests: true },
  };
}

function massNotFound({ missing, checked }: ReconcileSummary): boolean {
  return missing >= MASS_NOT_FOUND.atLeast && missing >= MASS_NOT_FOUND.share * (checked + 1);
}
