/**
 * JSON errors everywhere: `{ error: <stable code>, ...details }`. Codes are for machines and
 * stable; nothing internal (stack, upstream message, input echo) ever reaches the response.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../observability/logger';
import { TemporalUnavailableError } from './gateway';

export type ErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'temporal_unavailable'
  /** Too many request bodies in flight (see body-budget.ts): retry after `Retry-After`. */
  | 'server_busy'
  | 'forbidden'
  | 'headers_too_large'
  | 'rejected'
  | 'internal_error';

export interface FieldIssue {
  /** Dotted path of the offending field (`type`, `detail.id`); `(body)` for the body itself. */
  path: string;
  message: string;
}

export function sendError(res: Response, status: number, error: ErrorCode, details: Record<string, unknown> = {}): void {
  res.status(status).json({ error, ...details });
}

/** 400 naming each offending field; each unknown field of a strict object by its own name (a typo must show). */
export function sendValidationError(res: Response, zodError: z.ZodError): void {
  const pathOf = (path: readonly PropertyKey[]) => (path.length > 0 ? path.map(String).join('.') : '(body)');
  const issues: FieldIssue[] = zodError.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'unknown field' }))
      : [{ path: pathOf(issue.path), message: issue.message }],
  );
  sendError(res, 400, 'invalid_request', { issues });
}

/** Temporal did not take the notification: the sender must retry, and may do so soon. */
export function sendTemporalUnavailable(res: Response): void {
  res.setHeader('Retry-After', '5');
  sendError(res, 503, 'temporal_unavailable', { message: 'Temporal is unreachable; retry later, nothing was recorded' });
}

export const notFoundHandler: RequestHandler = (_req, res) => sendError(res, 404, 'not_found');

/** body-parser / raw-body failures carry an http-errors `type`; map the ones a client can cause. */
const BODY_ERRORS: Record<string, { status: number; error: ErrorCode }> = {
  'entity.too.large': { status: 413, error: 'payload_too_large' },
  'entity.parse.failed': { status: 400, error: 'invalid_json' },
  'encoding.unsupported': { status: 415, error: 'unsupported_media_type' },
  'charset.unsupported': { status: 415, error: 'unsupported_media_type' },
  'request.aborted': { status: 400, error: 'invalid_request' },
  'request.size.invalid': { status: 400, error: 'invalid_request' },
};

/**
 * Other client errors express and its parsers raise with a 4xx `status` but no `type` above:
 * a URL path with malformed percent-encoding (the router's URIError), a body that does not
 * decompress (zlib errors behind `Content-Encoding: gzip|deflate|br`). Their messages quote the
 * input, so only a fixed sentence goes out.
 */
function clientRequestError(err: unknown): { status: number; message: string } | null {
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown; expose?: unknown } | null;
  const status = e?.status ?? e?.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (err instanceof URIError) return { status: 400, message: 'the URL has malformed percent-encoding' };
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) return { status: 400, message: 'the body could not be decompressed (Content-Encoding)' };
  return e?.expose === true ? { status, message: 'the request could not be read' } : null;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    // Headers already sent: only express can close the connection properly.
    if (res.headersSent) return next(err);
    const bodyError = BODY_ERRORS[(err as { type?: unknown })?.type as string];
    if (bodyError) return sendError(res, bodyError.status, bodyError.error);
    const clientError = clientRequestError(err);
    if (clientError) return sendError(res, clientError.status, 'invalid_request', { message: clientError.message });
    if (err instanceof TemporalUnavailableError) {
      logger.warn({ err }, 'temporal unavailable');
      return sendTemporalUnavailable(res);
    }
    logger.error({ err }, 'unhandled error');
    sendError(res, 500, 'internal_error');
  };
}
