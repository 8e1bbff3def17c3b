/**
 * `ticket-bridge backfill --source S (--file F | -) [--rate N] [--dry-run]`: see ./backfill.ts.
 *
 * It runs with the bridge's own environment (the same env file), so it starts workflows exactly
 * as the API does: the same Temporal address, namespace, task queue, TLS, payload keys and
 * workflow settings, and it reads the source with the bridge's credentials. `--temporal` and
 * `--namespace` override the address and namespace, as for the other commands.
 */
import { readFile } from 'node:fs/promises';
import { Connection, WorkflowNotFoundError } from '@temporalio/client';
import { workflowSettingsFrom, createTemporalGateway } from '../api/temporal-gateway';
import { ConfigError, loadConfig, type Config } from '../config';
import { SIDE_VARIABLES } from '../config/sides';
import { ticketWorkflowId, type SourceKind } from '../domain/ticket';
import { createClient } from '../runtime/client';
import { realPorts } from '../runtime/ports';
import { temporalConnectionOptions } from '../runtime/temporal-connection';
import { backfill, idsFromText, type BackfillCounts, type BackfillOutcome, type BackfillTarget, type WorkflowPresence } from './backfill';
import { CliError, EXIT } from './backends';

export interface BackfillRequest {
  source: SourceKind;
  /** A file of ids, or '-' for stdin. */
  from: string;
  ratePerSecond: number;
  dryRun: boolean;
  json: boolean;
  temporal?: string;
  namespace?: string;
}

export interface BackfillIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** The whole of stdin (for `-`). */
  stdin?: () => Promise<string>;
  /** stderr is a terminal: a progress bar instead of progress lines. */
  stderrIsTty?: boolean;
}

/** Running workflows and completed ones are bridged; a failed or terminated one is restarted, as a webhook would. */
const ENDED_IN_FAILURE = new Set(['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT']);

const LABELS: Record<BackfillOutcome, string> = {
  started: 'started',
  alreadyBridged: 'already bridged',
  notFound: 'not found',
  invalid: 'invalid id',
  failed: 'failed',
};

function countsLine(counts: BackfillCounts, dryRun: boolean): string {
  return (Object.keys(LABELS) as BackfillOutcome[]).map((o) => `${o === 'started' && dryRun ? 'would start' : LABELS[o]} ${counts[o]}`).join(', ');
}

function loadBridgeConfig(env: BackfillIo['env'], source: SourceKind): Config {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new CliError(`the bridge's configuration (backfill runs with its environment) is invalid:\n${err.issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`, EXIT.usage);
  }
  if (!config[source]) {
    const { url, credentials } = SIDE_VARIABLES[source];
    throw new CliError(`backfill reads the ${source} API: set ${[url, ...credentials].join(' and ')} as for the bridge`, EXIT.usage);
  }
  return config;
}

export async function runBackfill(request: BackfillRequest, io: BackfillIo): Promise<number> {
  const config = loadBridgeConfig(io.env, request.source);
  let text: string;
  if (request.from === '-') {
    if (!io.stdin) throw new CliError('no stdin to read ids from', EXIT.usage);
    text = await io.stdin();
  } else {
    text = await readFile(request.from, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${request.from} (${err.code ?? 'error'})`, EXIT.usage);
    });
  }
  const ids = idsFromText(text);
  const address = request.temporal ?? config.temporal.address ?? `127.0.0.1:${config.temporal.devServerPort}`;
  const namespace = request.namespace ?? config.temporal.namespace;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions({ ...config.temporal, address }), connectTimeout: 5_000 });
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${address}: ${err instanceof Error ? err.message : String(err)}`, EXIT.failure);
  }
  try {
    const target = temporalTarget(config, connection, namespace, request.source);
    const progress = progressReporter(ids.length, request.dryRun, io);
    const counts = await backfill(ids, target, { ratePerSecond: request.ratePerSecond, dryRun: request.dryRun, onTicket: progress });
    io.stdout(
      request.json
        ? `${JSON.stringify({ source: request.source, dryRun: request.dryRun, ...counts }, null, 2)}\n`
        : `backfill ${request.source}${request.dryRun ? ' (dry run)' : ''}: ${counts.seen} ids: ${countsLine(counts, request.dryRun)}\n`,
    );
    return counts.failed > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    await connection.close();
  }
}

function temporalTarget(config: Config, connection: Connection, namespace: string, source: SourceKind): BackfillTarget {
  const client = createClient(connection, namespace, config);
  // Tickets from before the bridge may have a helpdesk copy without any run on record: each
  // create looks for it first (`freshCreates: false`), however young the ticket.
  const gateway = createTemporalGateway({
    client,
    taskQueue: config.temporal.taskQueue,
    workflowSettings: workflowSettingsFrom(config),
    rpcTimeoutMs: 10_000,
    freshCreates: false,
  });
  const port = realPorts(config).sources[source]!;
  return {
    async presence(id): Promise<WorkflowPresence> {
      try {
        const described = await connection.withDeadline(Date.now() + 10_000, () => client.workflow.getHandle(ticketWorkflowId(source, id)).describe());
        return ENDED_IN_FAILURE.has(described.status.name) ? 'ended-in-failure' : 'bridged';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'none';
        throw err;
      }
    },
    sourceHas: async (id) => (await port.fetchTicket(id)) !== null,
    async start(id) {
      await gateway.notifySource(source, id, { kind: 'created', eventId: null, receivedAt: new Date().toISOString(), snapshot: null });
    },
  };
}

/** A bar on a terminal; otherwise a line every tenth of the list (and failures, always, one line each). */
function progressReporter(total: number, dryRun: boolean, io: BackfillIo) {
  const every = Math.max(1, Math.ceil(total / 10));
  return (counts: Readonly<BackfillCounts>, id: string, outcome: BackfillOutcome, failure?: string) => {
    if (outcome === 'failed') io.stderr(`${io.stderrIsTty ? '\r\x1b[K' : ''}failed ${id}: ${failure ?? 'error'}\n`);
    if (io.stderrIsTty) {
      const width = 30;
      const filled = total === 0 ? width : Math.round((counts.seen / total) * width);
      io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${counts.seen}/${total} ${countsLine(counts as BackfillCounts, dryRun)}${counts.seen === total ? '\n' : ''}`);
    } else if (counts.seen % every === 0 || counts.seen === total) {
      io.stderr(`backfill: ${counts.seen}/${total}: ${countsLine(counts as BackfillCounts, dryRun)}\n`);
    }
  };
}
