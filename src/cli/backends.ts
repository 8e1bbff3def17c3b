/**
 * Where the CLI gets its answers: the ops API over HTTP (`--url` / OPS_API_URL, bearer
 * OPS_API_TOKEN), or Temporal directly (`--temporal host:port`, with the bridge's TLS and API-key
 * settings) through the same gateway the API uses. Both give the same shapes (the ops API's), so
 * the printing does not care which.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import type { TicketDetails, TicketListFilter, TicketPage, TicketUpdate, TicketUpdateResult } from '../api/gateway';
import { TemporalUnavailableError } from '../api/gateway';
import { createTemporalGateway } from '../api/temporal-gateway';
import type { SourceKind } from '../domain/ticket';
import type { TicketStateView } from '../workflows/definitions';
import type { TemporalConnection } from '../config/temporal-connection';
import { createClient } from '../runtime/client';
import { temporalConnectionOptions } from '../runtime/temporal-connection';
import type { PayloadEncryption } from '../security/codec/data-converter';

export interface OpsBackend {
  /** Where it talks to, for messages. */
  readonly description: string;
  list(filter: TicketListFilter): Promise<TicketPage>;
  show(source: SourceKind, ticketId: string): Promise<TicketDetails | null>;
  update(source: SourceKind, ticketId: string, update: TicketUpdate): Promise<TicketUpdateResult>;
  close(): Promise<void>;
}

/** A failure the CLI reports as one line and an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, rejected: 4 } as const;

// --- the ops API ----------------------------------------------------------------------------

interface ErrorBody {
  error?: string;
  message?: string;
  issues?: Array<{ path: string; message: string }>;
}

function describeError(status: number, body: ErrorBody): string {
  const issues = body.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
  return [`HTTP ${status}${body.error ? ` ${body.error}` : ''}`, body.message, issues].filter(Boolean).join(' — ');
}

export function httpBackend(baseUrl: string, token: string | undefined, fetchImpl: typeof fetch = fetch): OpsBackend {
  const base = baseUrl.replace(/\/+$/, '');
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    accept: 'application/json',
    ...(token && { authorization: `Bearer ${token}` }),
    ...extra,
  });

  async function request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, {
        method,
        headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      throw new CliError(`cannot reach the ops API at ${base}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`, EXIT.failure);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    if (res.status === 401) throw new CliError(`${describeError(401, (json ?? {}) as ErrorBody)}: set OPS_API_TOKEN to the API's ops token`, EXIT.failure);
    if (res.status === 400) throw new CliError(describeError(400, (json ?? {}) as ErrorBody), EXIT.usage);
    if (res.status >= 500) throw new CliError(describeError(res.status, (json ?? {}) as ErrorBody), EXIT.failure);
    return { status: res.status, json };
  }

  const ticketPath = (source: string, id: string) => `/tickets/${encodeURIComponent(source)}/${encodeURIComponent(id)}`;

  return {
    description: `the ops API at ${base}`,
    async list(filter) {
      if (filter.query !== undefined) throw new CliError('the ops API takes no visibility query: use --temporal, or --status/--source', EXIT.usage);
      const query = new URLSearchParams();
      if (filter.statuses?.length) query.set('status', filter.statuses.join(','));
      if (filter.sources?.length) query.set('source', filter.sources.join(','));
      query.set('pageSize', String(filter.pageSize));
      if (filter.pageToken) query.set('pageToken', filter.pageToken);
      const { status, json } = await request('GET', `/tickets?${query}`);
      if (status !== 200) throw new CliError(describeError(status, json as ErrorBody), EXIT.failure);
      return json as TicketPage;
    },
    async show(source, id) {
      const { status, json } = await request('GET', ticketPath(source, id));
      if (status === 404) return null;
      if (status !== 200) throw new CliError(describeError(status, json as ErrorBody), EXIT.failure);
      return json as TicketDetails;
    },
    async update(source, id, update) {
      const workflowId = `ticket/${source}/${id}`;
      const { status, json } = await request('POST', `${ticketPath(source, id)}/${update.name}`, update.request);
      const body = (json ?? {}) as ErrorBody & { updateId?: string };
      switch (status) {
        case 200:
          return { outcome: 'completed', workflowId, updateId: '', state: json as TicketStateView };
        case 202:
          return { outcome: 'accepted', workflowId, updateId: body.updateId ?? '', ...(body.message !== undefined && { message: body.message }) };
        case 404:
          return { outcome: 'not_found', workflowId };
        case 409:
          return { outcome: 'rejected', workflowId, message: body.message ?? 'rejected' };
        default:
          throw new CliError(describeError(status, body), EXIT.failure);
      }
    },
    async close() {},
  };
}

// --- Temporal directly ----------------------------------------------------------------------

export async function temporalBackend(options: {
  address: string;
  namespace: string;
  payloadEncryption: PayloadEncryption;
  connection: TemporalConnection;
}): Promise<OpsBackend> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions({ ...options.connection, address: options.address }), connectTimeout: 5_000 });
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${options.address}: ${err instanceof Error ? err.message : String(err)}`, EXIT.failure);
  }
  const client = createClient(connection, options.namespace, options);
  // No task queue: the CLI never starts workflows (so it has no CREATE to tell a run about either).
  const gateway = createTemporalGateway({ client, taskQueue: '', rpcTimeoutMs: 10_000, freshCreates: false });
  const unavailable = (err: unknown): never => {
    // The gateway counts every gRPC failure as "try again later"; one that refuses what was asked
    // (an operator's visibility query Temporal cannot parse) is the operator's input instead.
    if (err instanceof TemporalUnavailableError && isGrpcServiceError(err.cause) && err.cause.code === grpcStatus.INVALID_ARGUMENT) {
      throw new CliError(`Temporal refused the request: ${err.cause.details || err.cause.message}`, EXIT.usage);
    }
    if (err instanceof TemporalUnavailableError) {
      throw new CliError(`Temporal at ${options.address} (namespace ${options.namespace}) did not answer: ${err.cause instanceof Error ? err.cause.message : err.message}`, EXIT.failure);
    }
    throw err;
  };
  return {
    description: `Temporal at ${options.address}, namespace ${options.namespace}`,
    list: (filter) => gateway.listTickets(filter).catch(unavailable),
    show: (source, id) => gateway.describeTicket(source, id).catch(unavailable),
    update: (source, id, update) => gateway.updateTicket(source, id, update).catch(unavailable),
    close: () => connection.close(),
  };
}
