/**
 * Requests Node's HTTP parser rejects before express sees them (a NUL or CR in a header, an
 * invalid method or URL, headers over the size limit, a broken chunked body). Node's default
 * answer is a bare `400 Bad Request` without a body; this one is JSON like every other error,
 * names the problem, and never echoes the input.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../config/api';
import { sendError } from './errors';

interface ParserError extends Error {
  code?: string;
}

const RESPONSES: Record<string, { status: number; reason: string; error: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    error: 'headers_too_large',
    message: 'the request headers are too large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', error: 'invalid_request', message: 'the request took too long to arrive' },
};

const MALFORMED = { status: 400, reason: 'Bad Request', error: 'invalid_request', message: 'malformed HTTP request' };

export function jsonClientErrors(err: ParserError, socket: Duplex): void {
  // Mirrors Node's default: nothing can be said on a dead socket or after a response started.
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const response = RESPONSES[err.code ?? ''] ?? MALFORMED;
  const body = JSON.stringify({ error: response.error, message: response.message });
  answerAndClose(
    socket,
    `HTTP/1.1 ${response.status} ${response.reason}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** How long a connection we answered may stay open for its peer to read and hang up. */
const LINGER_MS = 5_000;

/**
 * Write the answer and close. Once the HTTP server lets go of a socket (parser error, CONNECT)
 * it no longer tracks it (`server.closeAllConnections()` misses it) and nobody reads from it, so
 * the peer's hang-up would go unseen and the socket stay half-open for ever, holding up
 * `server.close()`. Read and discard, and give the peer a moment before cutting it off.
 */
function answerAndClose(socket: Duplex, response: string): void {
  socket.on('error', () => undefined);
  socket.resume();
  socket.end(response);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * `Expect:` other than `100-continue`: Node answers 417 with no body unless someone listens for
 * `checkExpectation`. Same answer, as JSON.
 */
export function jsonExpectationFailed(_req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({ error: 'invalid_request', message: 'unsupported Expect header (only 100-continue is understood)' });
  res.writeHead(417, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

/**
 * `CONNECT` (proxy tunnelling): Node hands it to a `connect` listener or, without one, drops the
 * connection without a word. Nothing here is a proxy: the same 404 as any unknown route.
 */
export function jsonConnectRefused(_req: IncomingMessage, socket: Duplex): void {
  const body = JSON.stringify({ error: 'not_found' });
  answerAndClose(
    socket,
    'HTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * HTTP/1.1 requires a `Host` header. Node refuses requests without one by itself, with a bare
 * 400; `createApiServer` turns that off (`requireHostHeader: false`) so this middleware can
 * say the same in JSON.
 */
export const requireHostHeader: RequestHandler = (req, res, next) => {
  if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && !req.headers.host) {
    return sendError(res, 400, 'invalid_request', { message: 'the Host header is required (HTTP/1.1)' });
  }
  next();
};

/** How often Node looks for requests over their timeouts; never more than a second late. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/**
 * The HTTP server for the API app: every answer JSON, including those Node gives before (or
 * instead of) the app: parser errors, `Expect:` it does not understand, `CONNECT`, no `Host`.
 *
 * With limits (issue 23): a request head must arrive within `headersTimeoutMs`, the whole
 * request within `requestTimeoutMs` (Node's defaults, 60 s and 5 minutes, let a slow client
 * hold a connection for minutes; the 408 is JSON like the rest), idle kept-alive connections
 * close after `keepAliveTimeoutMs`, and connections beyond `maxConnections` are dropped at once.
 */
export function createApiServer(app: RequestListener, limits: HttpLimits = DEFAULT_HTTP_LIMITS): Server {
  const server = createServer(
    {
      requireHostHeader: false,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this interval (default 30 s, which would add up to
      // 30 s to each): a quarter of the shorter one, at most a second.
      connectionsCheckingInterval: Math.max(10, Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, Math.floor(limits.headersTimeoutMs / 4))),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  server.on('clientError', jsonClientErrors);
  server.on('checkExpectation', jsonExpectationFailed);
  server.on('connect', jsonConnectRefused);
  return server;
}
