/**
 * A deliberately dumb HTTP/1.1 client over a raw socket: it sends exactly the bytes it is given
 * (NUL in a header, a lone surrogate, a broken chunked body, a lying Content-Length), which
 * `fetch` and `http.request` refuse to do. One connection per request (`Connection: close`).
 */
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** Path and query, sent as is (already percent-encoded or deliberately not). */
  target: string;
  /** Sent in order, as given; `Host` and `Connection: close` are added unless present. */
  headers?: Array<[string, string | Buffer]>;
  body?: Buffer | string;
  /** Set `Content-Length` from the body (default true when there is a body and no such header). */
  contentLength?: boolean;
  /** Replace the whole request with these bytes. */
  rawBytes?: Buffer;
}

export type RawResponse =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: Buffer; ms: number }
  /** The connection broke without a complete response, or nothing came in time. */
  | { kind: 'no-response'; reason: string; ms: number };

export function encodeRequest(port: number, request: RawRequest): Buffer {
  if (request.rawBytes) return request.rawBytes;
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const headers = [...(request.headers ?? [])];
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', `127.0.0.1:${port}`]);
  if (!has('connection')) headers.push(['Connection', 'close']);
  if (body && request.contentLength !== false && !has('content-length') && !has('transfer-encoding')) {
    headers.push(['Content-Length', String(body.length)]);
  }
  const head = Buffer.concat([
    Buffer.from(`${request.method} ${request.target} HTTP/1.1\r\n`, 'latin1'),
    ...headers.map(([n, v]) => Buffer.concat([Buffer.from(`${n}: `, 'latin1'), Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'), Buffer.from('\r\n')])),
    Buffer.from('\r\n'),
  ]);
  return body ? Buffer.concat([head, body]) : head;
}

export function rawRequest(port: number, request: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const started = performance.now();
  const bytes = encodeRequest(port, request);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (result: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => finish({ kind: 'no-response', reason: 'timeout', ms: performance.now() - started }), timeoutMs);
    socket.on('connect', () => {
      // No half-close after writing: Node's server ends a connection whose client sent FIN before
      // the (asynchronous) answer was written, which would look like a missing response.
      // The server may answer (413, 401) and close before reading everything: not an error.
      socket.write(bytes);
    });
    const bodyless = request.method === 'HEAD';
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const parsed = parseResponse(Buffer.concat(chunks), false, bodyless);
      if (parsed) finish({ ...parsed, ms: performance.now() - started });
    });
    const onClose = (reason: string) => () => {
      const parsed = parseResponse(Buffer.concat(chunks), true, bodyless);
      finish(parsed ? { ...parsed, ms: performance.now() - started } : { kind: 'no-response', reason, ms: performance.now() - started });
    };
    socket.on('end', onClose('closed'));
    socket.on('close', onClose('closed'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // EPIPE/ECONNRESET after a complete answer is the server hanging up early: fine.
      const parsed = parseResponse(Buffer.concat(chunks), true, bodyless);
      finish(parsed ? { ...parsed, ms: performance.now() - started } : { kind: 'no-response', reason: err.code ?? 'error', ms: performance.now() - started });
    });
  });
}

/** A complete response in `buffer` (Content-Length or chunked, or up to close), else null. */
function parseResponse(buffer: Buffer, closed = false, bodyless = false): Omit<Extract<RawResponse, { kind: 'response' }>, 'ms'> | null {
  // Skip interim answers (`Expect: 100-continue`).
  while (/^HTTP\/1\.[01] 1\d\d /.test(buffer.subarray(0, 16).toString('latin1'))) {
    const interimEnd = buffer.indexOf('\r\n\r\n');
    if (interimEnd < 0) return null;
    buffer = buffer.subarray(interimEnd + 4);
  }
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  if (!Number.isInteger(status)) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = buffer.subarray(end + 4);
  // A HEAD answer has headers only, whatever its Content-Length says.
  if (bodyless) return { kind: 'response', status, headers, body: Buffer.alloc(0) };
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (rest.length < length) return null;
    return { kind: 'response', status, headers, body: rest.subarray(0, length) };
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const body = dechunk(rest);
    return body ? { kind: 'response', status, headers, body } : null;
  }
  if (status === 204 || status === 304) return { kind: 'response', status, headers, body: Buffer.alloc(0) };
  return closed ? { kind: 'response', status, headers, body: rest } : null;
}

function dechunk(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return null;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}
