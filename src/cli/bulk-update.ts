/**
 * `ticket-bridge pause|resume --query Q | --status S --source S --reason …`: the update on every
 * running ticket workflow a visibility listing selects, one after the other.
 *
 * A paced loop over the listing, not Temporal's batch operations: a batch can signal, cancel,
 * terminate or reset, but not send a workflow update, so it would skip the validators (a ticket
 * already paused, one that completed meanwhile) and give no per-ticket answer. The loop sends the
 * same update the single-ticket form sends, so each ticket says what it did and why it refused,
 * and it goes at most `--rate` tickets a second: a `resume` costs each ticket a sync (reads and
 * writes on both remotes), paced like a backfill.
 *
 * The whole selection is listed before the first update: pausing changes `TicketPaused` (and a
 * resume's sync may change `TicketStatus`), which would move tickets between the pages of a
 * listing still being read.
 */
import type { TicketListFilter, TicketUpdate } from '../api/gateway';
import { MAX_PAGE_SIZE } from '../api/ops/schemas';
import type { SourceKind } from '../domain/ticket';
import { CliError, EXIT, type OpsBackend } from './backends';
import { failureKind, pacer } from './backfill';

/** Tickets a second by default: a resume costs one sync each, a few calls on each remote. */
export const DEFAULT_BULK_RATE = 2;

export interface BulkRequest {
  update: Extract<TicketUpdate, { name: 'pause' | 'resume' }>;
  selection: Pick<TicketListFilter, 'statuses' | 'sources' | 'query'>;
  ratePerSecond: number;
  dryRun: boolean;
  json: boolean;
}

export interface BulkIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Injected for tests; real time by default. */
  clock?: Parameters<typeof pacer>[1];
}

type Outcome = 'done' | 'refused' | 'gone' | 'failed';
const LABELS: Record<Outcome, string> = { done: '', refused: 'refused', gone: 'no longer running', failed: 'failed' };

/** The running ticket workflows the selection lists, each once (a continued run is listed per run). */
export async function listSelection(backend: OpsBackend, selection: BulkRequest['selection']): Promise<{ source: SourceKind; ticketId: string }[]> {
  const seen = new Map<string, { source: SourceKind; ticketId: string }>();
  let pageToken: string | undefined;
  do {
    const page = await backend.list({ ...selection, pageSize: MAX_PAGE_SIZE, ...(pageToken !== undefined && { pageToken }) });
    for (const t of page.tickets) {
      if (t.executionStatus === 'RUNNING') seen.set(t.workflowId, { source: t.source, ticketId: t.sourceTicketId });
    }
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken !== undefined);
  return [...seen.values()];
}

export async function runBulkUpdate(backend: OpsBackend, request: BulkRequest, io: BulkIo): Promise<number> {
  const { name } = request.update;
  const doneLabel = name === 'pause' ? 'paused' : 'resumed';
  const tickets = await listSelection(backend, request.selection);
  const counts: Record<Outcome, number> = { done: 0, refused: 0, gone: 0, failed: 0 };
  const countsLine = () =>
    (Object.keys(LABELS) as Outcome[]).map((o) => `${o === 'done' ? (request.dryRun ? `would be ${doneLabel}` : doneLabel) : LABELS[o]} ${counts[o]}`).join(', ');

  io.stderr(`${name}: ${tickets.length} running ticket(s) selected through ${backend.description}${request.dryRun ? ' (dry run: nothing is sent)' : ''}\n`);
  const paced = pacer(request.ratePerSecond, io.clock);
  const results: { workflowId: string; outcome: Outcome; message?: string }[] = [];
  for (const [i, { source, ticketId }] of tickets.entries()) {
    const workflowId = `ticket/${source}/${ticketId}`;
    let outcome: Outcome = 'done';
    let message: string | undefined;
    if (!request.dryRun) {
      await paced();
      try {
        const result = await backend.update(source, ticketId, request.update);
        if (result.outcome === 'rejected') [outcome, message] = ['refused', result.message];
        if (result.outcome === 'not_found') outcome = 'gone';
      } catch (err) {
        // One ticket's failure (a timeout, a 5xx) does not stop the rest; it is counted and said.
        [outcome, message] = ['failed', err instanceof CliError ? err.message : failureKind(err)];
      }
    }
    counts[outcome]++;
    results.push({ workflowId, outcome, ...(message !== undefined && { message }) });
    const said = outcome === 'done' ? (request.dryRun ? `would be ${doneLabel}` : doneLabel) : `${LABELS[outcome]}${message ? `: ${message}` : ''}`;
    io.stderr(`[${i + 1}/${tickets.length}] ${workflowId}: ${said}\n`);
  }
  io.stdout(
    request.json
      ? `${JSON.stringify({ update: name, dryRun: request.dryRun, selected: tickets.length, ...counts, tickets: results }, null, 2)}\n`
      : `${name}${request.dryRun ? ' (dry run)' : ''}: ${tickets.length} ticket(s): ${countsLine()}\n`,
  );
  return counts.failed > 0 ? EXIT.failure : EXIT.ok;
}
