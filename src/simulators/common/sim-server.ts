import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Faults } from './faults';

/**
 * A minimal HTTP server for simulators: routes by 'METHOD /pattern/:param', JSON bodies, a
 * request log, and fault injection applied before (or, for 'drop-after-write', after) a handler.
 * Handlers return a response object instead of writing to the socket, so that a fault can decide
 * whether the client ever sees it.
 */

export interface SimRequest {
  method: string;
  /** Path without the prefix and query. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /**
   * Routes with `stream: true`: the request body, unread (`body` is then undefined). It errors
   * when the client goes away mid-upload, so a handler that stores only at its end never keeps
   * half a file.
   */
  stream?: Readable;
}

export interface SimResponse {
  status: number;
  /** JSON, unless `bytes` is set. */
  body?: unknown;
  /** Sent as they are (file downloads); set the content type in `headers`. */
  bytes?: Buffer;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  /** e.g. '/tickets/:id/comment' or '/tickets/:id.json'; `:name` matches within one path segment. */
  pattern: string;
  /** Routes that do their own authorisation (signed URLs) set false. Default true. */
  auth?: boolean;
  /** Hand the body over as text instead of parsing JSON. */
  rawBody?: boolean;
  /**
   * Hand the body over unread, as `req.stream` (file uploads: binary, up to tens of MB, and
   * faults can fail them mid-stream). The request log shows `{ bytes }` received, kept current
   * while the body streams in, never the content.
   */
  stream?: boolean;
  /** The pattern is a path from the origin, not under `prefix` (Zendesk's attachment `content_url`). */
  atRoot?: boolean;
  handler: (req: SimRequest) => SimResponse | Promise<SimResponse>;
}

/** Thrown by handlers for an error answer. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  /** 'METHOD pattern' of the route, or 'METHOD path' when no route matched. */
  route: string;
  query: Record<string, string>;
  /** Request headers, credentials removed. */
  headers: Record<string, string>;
  body: unknown;
  status: number | 'dropped';
}

export interface SimServerOptions {
  routes: Route[];
  /** Mount point of the API, e.g. '/api/v2'. */
  prefix?: string;
  faults: Faults;
  /** null when the request may proceed, else the 401 answer. */
  authenticate: (headers: http.IncomingHttpHeaders, path: string) => SimResponse | null;
  /** The remote's error body for a status (404 for unknown routes, 400 bad JSON, injected errors). */
  errorBody: (status: number, path: string) => unknown;
  /** Headers never kept in the request log. */
  secretHeaders: string[];
  now: () => Date;
  /** The answer to a signed URL past its expiry (fault kind 'expired'); default a 403 with `errorBody(403)`. */
  expiredResponse?: (path: string) => SimResponse;
}

export class SimServer {
  readonly log: RequestLogEntry[] = [];
  private readonly server: http.Server;
  private readonly compiled: { route: Route; regex: RegExp; names: string[] }[];
  private origin = '';

  constructor(private readonly options: SimServerOptions) {
    this.compiled = options.routes.map((route) => ({ route, ...compile(route.pattern) }));
    this.server = http.createServer((req, res) => {
      void this.handle(req, res).catch(() => res.destroy());
    });
  }

  /** Listen on 127.0.0.1, an ephemeral port. Resolves the origin, e.g. 'http://127.0.0.1:51234'. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    return this.origin;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { prefix = '', faults, now } = this.options;
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const underPrefix = url.pathname.startsWith(prefix);
    const path = underPrefix ? url.pathname.slice(prefix.length) : url.pathname;
    const found = this.route(method, underPrefix ? path : null, url.pathname);
    const streamed = found?.route.stream === true;
    // An upload's body is left to its handler (or to a fault that fails it part-way).
    const raw = streamed ? '' : await readBody(req);
    const routeKey = `${method} ${found ? found.route.pattern : path}`;
    const received = { bytes: 0 };
    const entry: RequestLogEntry = {
      at: now().toISOString(),
      method,
      path,
      route: routeKey,
      query: Object.fromEntries(url.searchParams),
      headers: this.loggableHeaders(req.headers),
      body: streamed ? received : safeJson(raw),
      status: 'dropped',
    };
    this.log.push(entry);
    const stream = streamed ? counted(req, received) : undefined;
    // Answered without reading all of an upload (a refusal, a fault): the rest is read and dropped,
    // as Node does for other unread bodies, so the connection stays usable.
    if (stream) res.once('finish', () => stream.resume());

    const fault = faults.take(routeKey);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    const outcome = fault.outcome;
    if (outcome?.kind === 'drop') {
      if (stream && outcome.afterBytes !== undefined) await readAtLeast(stream, outcome.afterBytes);
      return void req.socket.destroy();
    }
    if (outcome?.kind === 'malformed') return this.send(res, entry, { status: 200, body: '<html>upstream' }, true);
    if (outcome?.kind === 'error') {
      const status = outcome.status ?? 503;
      const response = { status, body: this.options.errorBody(status, path) };
      if (!stream || outcome.afterBytes === undefined) return this.send(res, entry, response);
      // Part of the file in, then the error, then the connection goes: the rest is never read.
      await readAtLeast(stream, outcome.afterBytes);
      res.once('finish', () => req.socket.destroy());
      return this.send(res, entry, { ...response, headers: { connection: 'close' } });
    }
    if (outcome?.kind === 'rate-limit') {
      const retryAfter = String(outcome.retryAfter ?? 1);
      const body = this.options.errorBody(429, path);
      return this.send(res, entry, { status: 429, body, headers: { 'retry-after': retryAfter } });
    }
    if (outcome?.kind === 'expired') {
      const expired = this.options.expiredResponse?.(path) ?? { status: 403, body: this.options.errorBody(403, path) };
      return this.send(res, entry, expired);
    }

    const response = await this.respond(found, method, path, url, req.headers, raw, stream);
    if (fault.delayAnswerMs > 0) await sleep(fault.delayAnswerMs);
    if (outcome?.kind === 'drop-after-write') return void req.socket.destroy();
    this.send(res, entry, response);
  }

  private async respond(
    found: { route: Route; params: Record<string, string> } | null,
    method: string,
    path: string,
    url: URL,
    headers: http.IncomingHttpHeaders,
    raw: string,
    stream: Readable | undefined,
  ): Promise<SimResponse> {
    const { authenticate, errorBody } = this.options;
    if (found?.route.auth !== false) {
      const denied = authenticate(headers, path);
      if (denied) return denied;
    }
    if (!found) return { status: 404, body: errorBody(404, path) };
    let body: unknown = raw;
    if (!found.route.rawBody && !found.route.stream) {
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        return { status: 400, body: errorBody(400, path) };
      }
    }
    if (found.route.stream) body = undefined;
    try {
      return await found.route.handler({ method, path, params: found.params, query: url.searchParams, headers, body, stream });
    } catch (err) {
      if (err instanceof SimHttpError) return { status: err.status, body: err.body ?? errorBody(err.status, path) };
      throw err;
    }
  }

  /** `path` is under the prefix (null when the request is not), `fullPath` from the origin. */
  private route(method: string, path: string | null, fullPath: string): { route: Route; params: Record<string, string> } | null {
    for (const { route, regex, names } of this.compiled) {
      if (route.method !== method) continue;
      const candidate = route.atRoot ? fullPath : path;
      if (candidate === null) continue;
      const m = regex.exec(candidate);
      if (m) return { route, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
    }
    return null;
  }

  private send(res: http.ServerResponse, entry: RequestLogEntry, r: SimResponse, rawText = false): void {
    entry.status = r.status;
    // The remote's clock, as its answers say it (`Date`), is the simulator's.
    res.setHeader('date', this.options.now().toUTCString());
    if (r.bytes) {
      const headers = { 'content-type': 'application/octet-stream', 'content-length': String(r.bytes.length), ...r.headers };
      res.writeHead(r.status, headers);
      return void res.end(r.bytes);
    }
    const text = r.body === undefined ? '' : rawText ? String(r.body) : JSON.stringify(r.body);
    res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...r.headers });
    res.end(text);
  }

  private loggableHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (v !== undefined && !this.options.secretHeaders.includes(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return out;
  }
}

function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = pattern
    .split(/(:\w+)/)
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+?)';
    })
    .join('');
  return { regex: new RegExp(`^${source}$`), names };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The request body as it streams in, counted into `received` (the request log's view of an upload). */
function counted(req: http.IncomingMessage, received: { bytes: number }): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received.bytes += chunk.length;
      done(null, chunk);
    },
  });
  // A client that goes away mid-body errors the handler's stream (never a silent short file).
  pipeline(req, counter, () => {});
  return counter;
}

/** Reads (and discards) at least `n` bytes of `stream`, or all of it if shorter; leaves it paused. */
function readAtLeast(stream: Readable, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('error', done);
      stream.pause();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen >= n) done();
    };
    if (n <= 0) return resolve();
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', done);
  });
}

function safeJson(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
