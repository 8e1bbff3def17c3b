/**
 * `npx ticket-bridge <command>`: the operator's CLI over the ticket workflows.
 *
 *   list   [--status S[,S]] [--source S[,S]] [--page-size N] [--page-token T] [--all]
 *   show   <source> <ticketId>
 *   resync <source> <ticketId> [--reason TEXT]
 *   close  <source> <ticketId> --reason TEXT
 *   pause  <source> <ticketId> --reason TEXT      resume <source> <ticketId> [--reason TEXT]
 *   pause|resume (--query Q | --status S --source S) [--reason TEXT] [--rate N] [--dry-run]
 *   mapping check <file>
 *   backfill --source S (--file F | -) [--rate N] [--dry-run]
 *
 * Talks to the ops API (`--url`, else OPS_API_URL, else http://127.0.0.1:3000; bearer token from
 * OPS_API_TOKEN, never from the command line where `ps` would show it) or, with
 * `--temporal host:port` (and `--namespace`, else TEMPORAL_NAMESPACE, else `default`), to Temporal
 * directly, which needs no API but needs PAYLOAD_KEYS when payloads are encrypted, and takes TLS
 * and the API key from the bridge's own variables (TEMPORAL_TLS*, TEMPORAL_API_KEY).
 *
 * Exit codes: 0 done, 1 failed (unreachable, server error), 2 usage or invalid input,
 * 3 no such ticket, 4 refused by the workflow (e.g. the ticket already completed).
 */
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigError } from '../config';
import { loadTemporalConnection, type TemporalConnection } from '../config/temporal-connection';
import type { TicketListFilter, TicketPage, TicketUpdate } from '../api/gateway';
import { closeBody, DEFAULT_PAGE_SIZE, listTicketsQuery, pauseBody, resumeBody, resyncBody, ticketPathParams } from '../api/ops/schemas';
import { DEFAULT_BULK_RATE, runBulkUpdate, type BulkRequest } from './bulk-update';
import { parsePayloadKeys } from '../security/codec/keyring';
import type { PayloadEncryption } from '../security/codec/data-converter';
import { CliError, EXIT, httpBackend, type OpsBackend, temporalBackend } from './backends';
import { stateSummary, ticketSheet, ticketTable } from './format';
import { runMappingCheck } from './mapping-check';
import { DEFAULT_BACKFILL_RATE } from './backfill';
import { runBackfill, type BackfillIo, type BackfillRequest } from './backfill-command';
import { SOURCE_KINDS, type SourceKind } from '../domain/ticket';

export const USAGE = `Usage: ticket-bridge <command> [options]

Commands:
  list [--status S[,S...]] [--source S[,S...]] [--page-size N] [--page-token T] [--all]
                                 ticket workflows, newest first (statuses: NEW, OPEN, PENDING, SOLVED, CLOSED)
  show <source> <ticketId>       state, timeline, execution and pending (retrying) activities
  resync <source> <ticketId> [--reason TEXT]
                                 sync both sides now (the workflow's resync update)
  close <source> <ticketId> --reason TEXT
                                 close the ticket on both sides now (the workflow's close update)
  pause <source> <ticketId> --reason TEXT
                                 stop syncing the ticket until resume (notifications are kept)
  resume <source> <ticketId> [--reason TEXT]
                                 sync again: one sync reads both sides
  pause|resume (--query Q | [--status S[,S...]] [--source S[,S...]]) [--reason TEXT] [--rate N] [--dry-run]
                                 every running ticket the listing selects, at most N a second (default
                                 ${DEFAULT_BULK_RATE}); --query is a visibility query (e.g. 'TicketStatus="OPEN"') and
                                 needs --temporal; progress on stderr, a summary on stdout
  mapping check <file>           check a MAPPING_FILE as the bridge does at start-up (docs/mapping.md)
  backfill --source S (--file F | -) [--rate N] [--dry-run]
                                 bridge existing tickets by id (one a line; - reads stdin), at most N
                                 a second (default ${DEFAULT_BACKFILL_RATE}); runs with the bridge's environment (docs/backfill.md)

Where to:
  --url URL              the ops API (default: $OPS_API_URL, else http://127.0.0.1:3000);
                         bearer token from $OPS_API_TOKEN
  --temporal HOST:PORT   Temporal directly instead (needs $PAYLOAD_KEYS when payloads are encrypted;
                         TLS and API key from $TEMPORAL_TLS*, $TEMPORAL_API_KEY as for the bridge)
  --namespace NS         with --temporal (default: $TEMPORAL_NAMESPACE, else default)

Output:
  --json                 the API's JSON instead of tables
  -h, --help             this help

Exit codes: 0 done, 1 failed, 2 usage, 3 no such ticket, 4 refused by the workflow.`;

/** Output, environment, and for `backfill` stdin and whether stderr is a terminal. */
export interface CliIo extends BackfillIo {
  /** Tests replace the backend; default: from the options. */
  backend?: (options: BackendChoice) => Promise<OpsBackend>;
}

export type BackendChoice =
  | { kind: 'http'; url: string; token: string | undefined }
  | { kind: 'temporal'; address: string; namespace: string; payloadEncryption: PayloadEncryption; connection: TemporalConnection };

const OPTIONS = {
  status: { type: 'string' },
  source: { type: 'string' },
  'page-size': { type: 'string' },
  'page-token': { type: 'string' },
  all: { type: 'boolean' },
  reason: { type: 'string' },
  url: { type: 'string' },
  temporal: { type: 'string' },
  namespace: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  file: { type: 'string' },
  rate: { type: 'string' },
  'dry-run': { type: 'boolean' },
  query: { type: 'string' },
} as const;

/** `--temporal`: host:port, or [IPv6]:port. */
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/** Bad input: the message, and the whole usage only when the command line itself is off. */
function usageError(message: string, withUsage = false): CliError {
  return new CliError(withUsage ? `${message}\n\n${USAGE}` : `${message} (see ticket-bridge --help)`, EXIT.usage);
}

function firstIssue(error: z.ZodError, rename: Record<string, string> = {}): string {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  return `${rename[path] ?? (path || 'input')}: ${issue?.message ?? 'is invalid'}`;
}

function chooseBackend(values: { url?: string; temporal?: string; namespace?: string }, env: CliIo['env']): BackendChoice {
  if (values.temporal !== undefined) {
    if (values.url !== undefined) throw usageError('use --url or --temporal, not both');
    if (!HOST_PORT.test(values.temporal)) throw usageError('--temporal: must be host:port');
    const keys = (env.PAYLOAD_KEYS ?? '').trim();
    let payloadEncryption: PayloadEncryption = { mode: 'off' };
    if (keys !== '') {
      const parsed = parsePayloadKeys(keys);
      if (!parsed.ok) throw usageError(`PAYLOAD_KEYS: ${parsed.message}`);
      payloadEncryption = { mode: 'required', keyring: parsed.keyring };
    }
    let connection: TemporalConnection;
    try {
      connection = loadTemporalConnection(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw usageError(err.issues.map((i) => `${i.variable}: ${i.message}`).join('; '));
    }
    const namespace = values.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default';
    return { kind: 'temporal', address: values.temporal, namespace, payloadEncryption, connection };
  }
  if (values.namespace !== undefined) throw usageError('--namespace goes with --temporal');
  const url = values.url ?? env.OPS_API_URL ?? 'http://127.0.0.1:3000';
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw usageError('--url: must be an http(s) URL');
  return { kind: 'http', url, token: env.OPS_API_TOKEN || undefined };
}

/** `backfill`'s options and list, checked before anything is read or connected. */
function backfillRequest(values: { source?: string; file?: string; rate?: string; 'dry-run'?: boolean; json?: boolean; temporal?: string; namespace?: string; url?: string; [k: string]: unknown }, rest: string[]): BackfillRequest {
  for (const name of ['status', 'page-size', 'page-token', 'all', 'reason', 'url'] as const) {
    if (values[name] !== undefined) throw usageError(`--${name} does not go with backfill`);
  }
  if (!(SOURCE_KINDS as readonly string[]).includes(values.source ?? '')) throw usageError(`backfill needs --source: one of ${SOURCE_KINDS.join(', ')}`);
  const stdin = rest.length === 1 && rest[0] === '-';
  if (rest.length > 1 || (rest.length === 1 && !stdin)) throw usageError('backfill takes --file F or - (stdin), nothing else');
  if (stdin === (values.file !== undefined)) throw usageError('backfill reads ids from --file F or from - (stdin): one of them');
  const rate = values.rate === undefined ? DEFAULT_BACKFILL_RATE : Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 100) throw usageError('--rate: must be a number of tickets a second, above 0 and at most 100');
  if (values.namespace !== undefined && values.temporal === undefined) throw usageError('--namespace goes with --temporal');
  if (values.temporal !== undefined && !HOST_PORT.test(values.temporal)) throw usageError('--temporal: must be host:port');
  return {
    source: values.source as SourceKind,
    from: stdin ? '-' : values.file!,
    ratePerSecond: rate,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    ...(values.temporal !== undefined && { temporal: values.temporal }),
    ...(values.namespace !== undefined && { namespace: values.namespace }),
  };
}

/** `pause|resume` over a selection: its options, checked before anything is connected. */
function bulkRequest(
  name: BulkRequest['update']['name'],
  values: { query?: string; status?: string; source?: string; reason?: string; rate?: string; 'dry-run'?: boolean; json?: boolean; temporal?: string },
): BulkRequest {
  const query = values.query?.trim();
  if (query !== undefined && (values.status !== undefined || values.source !== undefined)) throw usageError(`${name}: --query, or --status/--source, not both`);
  if (query === undefined && values.status === undefined && values.source === undefined) {
    throw usageError(`${name} takes <source> <ticketId>, or a selection: --query Q (with --temporal), or --status/--source`);
  }
  if (query === '') throw usageError('--query: must not be empty');
  // The ops API lists by closed lists of statuses and sources only; a free query goes to Temporal
  // with the operator's own access.
  if (query !== undefined && values.temporal === undefined) throw usageError('--query needs --temporal HOST:PORT (through the ops API, select with --status and --source)');
  const filter = listTicketsQuery.safeParse({
    ...(values.status !== undefined && { status: values.status }),
    ...(values.source !== undefined && { source: values.source }),
  });
  if (!filter.success) throw usageError(firstIssue(filter.error, { status: '--status', source: '--source' }));
  const body = (name === 'pause' ? pauseBody : resumeBody).safeParse(values.reason !== undefined ? { reason: values.reason } : {});
  if (!body.success) throw usageError(firstIssue(body.error, { reason: '--reason' }));
  const rate = values.rate === undefined ? DEFAULT_BULK_RATE : Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 100) throw usageError('--rate: must be a number of tickets a second, above 0 and at most 100');
  return {
    update: { name, request: body.data } as BulkRequest['update'],
    selection: {
      ...(query !== undefined && { query }),
      ...(filter.data.status && { statuses: filter.data.status }),
      ...(filter.data.source && { sources: filter.data.source }),
    },
    ratePerSecond: rate,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
  };
}

async function defaultBackend(choice: BackendChoice): Promise<OpsBackend> {
  return choice.kind === 'http' ? httpBackend(choice.url, choice.token) : temporalBackend(choice);
}

/** Runs one command; resolves to the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let backend: OpsBackend | null = null;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      throw usageError(err instanceof Error ? err.message : String(err), true);
    }
    const { values, positionals } = parsed;
    const [command, ...rest] = positionals;
    if (values.help || command === 'help') {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (command === undefined) throw usageError('a command is required', true);
    if (!['list', 'show', 'resync', 'close', 'pause', 'resume', 'mapping', 'backfill'].includes(command)) throw usageError(`unknown command: ${command}`, true);
    if (command === 'mapping') {
      if (rest[0] !== 'check' || rest.length !== 2) throw usageError('mapping takes: check <file>');
      return runMappingCheck(rest[1]!, io);
    }
    if (command === 'backfill') return await runBackfill(backfillRequest(values, rest), io);

    const ticketArgs = () => {
      if (rest.length !== 2) throw usageError(`${command} takes <source> <ticketId>`);
      const params = ticketPathParams.safeParse({ source: rest[0], ticketId: rest[1] });
      if (!params.success) throw usageError(firstIssue(params.error));
      return params.data;
    };
    const onlyFor = (names: Array<keyof typeof OPTIONS>, allowed: boolean) => {
      for (const name of names) if (values[name] !== undefined && !allowed) throw usageError(`--${name} does not go with ${command}`);
    };
    const bulk = (command === 'pause' || command === 'resume') && rest.length === 0;
    onlyFor(['status', 'source'], command === 'list' || bulk);
    onlyFor(['page-size', 'page-token', 'all'], command === 'list');
    onlyFor(['query', 'rate', 'dry-run'], bulk);
    onlyFor(['file'], false);
    onlyFor(['reason'], ['resync', 'close', 'pause', 'resume'].includes(command));

    // Validate everything before connecting anywhere.
    let run: (b: OpsBackend) => Promise<number>;
    if (command === 'list') {
      if (rest.length > 0) throw usageError('list takes no arguments');
      const query = listTicketsQuery.safeParse({
        ...(values.status !== undefined && { status: values.status }),
        ...(values.source !== undefined && { source: values.source }),
        ...(values['page-size'] !== undefined && { pageSize: values['page-size'] }),
        ...(values['page-token'] !== undefined && { pageToken: values['page-token'] }),
      });
      if (!query.success) throw usageError(firstIssue(query.error, { status: '--status', source: '--source', pageSize: '--page-size', pageToken: '--page-token' }));
      const filter: TicketListFilter = {
        ...(query.data.status && { statuses: query.data.status }),
        ...(query.data.source && { sources: query.data.source }),
        pageSize: query.data.pageSize ?? DEFAULT_PAGE_SIZE,
        ...(query.data.pageToken && { pageToken: query.data.pageToken }),
      };
      run = async (b) => {
        let page: TicketPage = await b.list(filter);
        const tickets = [...page.tickets];
        while (values.all && page.nextPageToken) {
          page = await b.list({ ...filter, pageToken: page.nextPageToken });
          tickets.push(...page.tickets);
        }
        if (values.json) io.stdout(`${JSON.stringify({ tickets, nextPageToken: page.nextPageToken }, null, 2)}\n`);
        else {
          io.stdout(`${ticketTable(tickets)}\n`);
          if (page.nextPageToken) io.stdout(`\nMore: --page-token ${page.nextPageToken} (or --all)\n`);
        }
        return EXIT.ok;
      };
    } else if (command === 'show') {
      const { source, ticketId } = ticketArgs();
      run = async (b) => {
        const details = await b.show(source, ticketId);
        if (details === null) throw new CliError(`no workflow for ${source} ticket ${ticketId} (ticket/${source}/${ticketId})`, EXIT.notFound);
        io.stdout(values.json ? `${JSON.stringify(details, null, 2)}\n` : `${ticketSheet(details)}\n`);
        return EXIT.ok;
      };
    } else if (bulk) {
      const request = bulkRequest(command as BulkRequest['update']['name'], values);
      run = (b) => runBulkUpdate(b, request, io);
    } else {
      const { source, ticketId } = ticketArgs();
      const bodies = { resync: resyncBody, close: closeBody, pause: pauseBody, resume: resumeBody };
      const body = bodies[command as keyof typeof bodies].safeParse(values.reason !== undefined ? { reason: values.reason } : {});
      if (!body.success) throw usageError(firstIssue(body.error, { reason: '--reason' }));
      const update = { name: command, request: body.data } as TicketUpdate;
      run = async (b) => {
        const result = await b.update(source, ticketId, update);
        switch (result.outcome) {
          case 'completed':
            io.stdout(values.json ? `${JSON.stringify(result.state, null, 2)}\n` : `${command} done: ${result.workflowId}\n${stateSummary(result.state)}\n`);
            return EXIT.ok;
          case 'accepted':
            io.stdout(
              values.json
                ? `${JSON.stringify({ accepted: true, workflowId: result.workflowId, updateId: result.updateId }, null, 2)}\n`
                : result.message !== undefined && result.updateId === ''
                  ? `${command}: ${result.message}; see: ticket-bridge show ${source} ${ticketId}\n`
                  : `${command} accepted by ${result.workflowId} and still running; see: ticket-bridge show ${source} ${ticketId}\n`,
            );
            return EXIT.ok;
          case 'rejected':
            throw new CliError(`${command} refused by ${result.workflowId}: ${result.message}`, EXIT.rejected);
          case 'not_found':
            throw new CliError(`no workflow for ${source} ticket ${ticketId} (${result.workflowId})`, EXIT.notFound);
        }
      };
    }

    const choice = chooseBackend(values, io.env);
    backend = await (io.backend ?? defaultBackend)(choice);
    return await run(backend);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`ticket-bridge: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr(`ticket-bridge: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.failure;
  } finally {
    await backend?.close().catch(() => undefined);
  }
}
