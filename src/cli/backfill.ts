/**
 * `ticket-bridge backfill`: bridges tickets that existed before the bridge, by id, through the
 * very signal-with-start the webhooks use (the deterministic workflow id `ticket/<source>/<id>`).
 *
 * Per id, cheapest first: a ticket whose workflow exists (running or completed) is already
 * bridged and costs one Temporal call, nothing on the remotes; otherwise the source is read (a
 * 404 is "not found") and the workflow started, which finds and adopts a Zendesk ticket made
 * earlier. So a second run changes nothing, and an interrupted run is resumed by running it
 * again: what it did is "already bridged". Only what costs the remotes is paced (`--rate`): each
 * start is followed by the workflow's own reads of the source and of Zendesk.
 *
 * What it prints: counts and ticket ids (never a ticket's content, never a remote's answer: a
 * failure is its kind, e.g. `server-error 503`).
 */
import { sourceTicketId } from '../api/schemas';

/**
 * Tickets a second a backfill starts by default. Each start costs a source read here and then the
 * workflow's own calls (3.4 to Zendesk on average, measured: find, create, read): 1/s is about
 * 200 Zendesk requests a minute, inside its budget (700 a minute on most plans) beside the live
 * traffic.
 */
export const DEFAULT_BACKFILL_RATE = 1;

/** Where a ticket stands before the backfill touches it. */
export type WorkflowPresence = 'none' | 'bridged' | 'ended-in-failure';

export interface BackfillTarget {
  /** The ticket's workflow: none yet, running or completed (bridged), or its latest run failed or was terminated. */
  presence(ticketId: string): Promise<WorkflowPresence>;
  /** Whether the source has the ticket (false on 404). */
  sourceHas(ticketId: string): Promise<boolean>;
  /** Signal-with-start its workflow, as a webhook would. */
  start(ticketId: string): Promise<void>;
}

export const BACKFILL_OUTCOMES = ['started', 'alreadyBridged', 'notFound', 'invalid', 'failed'] as const;
export type BackfillOutcome = (typeof BACKFILL_OUTCOMES)[number];
export type BackfillCounts = Record<BackfillOutcome, number> & { seen: number };

export interface BackfillOptions {
  /** Tickets whose source is read and workflow started, at most this many a second. */
  ratePerSecond: number;
  /** Check everything, start nothing: `started` counts what would be started. */
  dryRun: boolean;
  /** After each id (progress display). */
  onTicket?: (counts: Readonly<BackfillCounts>, ticketId: string, outcome: BackfillOutcome, failure?: string) => void;
  /** Injected for tests; real time by default. */
  clock?: { now(): number; sleep(ms: number): Promise<void> };
}

const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((done) => setTimeout(done, ms)) };

/** Spaces calls at least `1000 / rate` ms apart (the first goes at once). */
export function pacer(ratePerSecond: number, clock: NonNullable<BackfillOptions['clock']> = realClock): () => Promise<void> {
  const gapMs = 1000 / ratePerSecond;
  let next = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = clock.now();
    if (now < next) await clock.sleep(next - now);
    next = Math.max(now, next) + gapMs;
  };
}

/** A failure as its kind and status (an `IntegrationError`, a Temporal error), never its message: it may quote a remote. */
export function failureKind(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'error';
  const { kind, status, name } = err as { kind?: unknown; status?: unknown; name?: unknown };
  if (typeof kind === 'string') return typeof status === 'number' ? `${kind} ${status}` : kind;
  return typeof name === 'string' ? name : 'error';
}

/** Ids from a list: one a line, blank lines and `#` comments skipped, each once. */
export function idsFromText(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return [...new Set(lines)];
}

export async function backfill(ids: readonly string[], target: BackfillTarget, options: BackfillOptions): Promise<BackfillCounts> {
  const counts: BackfillCounts = { seen: 0, started: 0, alreadyBridged: 0, notFound: 0, invalid: 0, failed: 0 };
  const paced = pacer(options.ratePerSecond, options.clock);
  for (const id of ids) {
    let outcome: BackfillOutcome;
    let failure: string | undefined;
    try {
      outcome = await one(id);
    } catch (err) {
      outcome = 'failed';
      failure = failureKind(err);
    }
    counts.seen++;
    counts[outcome]++;
    options.onTicket?.(counts, id, outcome, failure);
  }
  return counts;

  async function one(id: string): Promise<BackfillOutcome> {
    if (!sourceTicketId.safeParse(id).success) return 'invalid';
    const presence = await target.presence(id);
    if (presence === 'bridged') return 'alreadyBridged';
    await paced();
    if (!(await target.sourceHas(id))) return 'notFound';
    if (!options.dryRun) await target.start(id);
    return 'started';
  }
}
