/**
 * The door every webhook body passes through. Whatever can be refused from the request head
 * alone is refused before a byte of the body is read, in this order:
 *
 *  1. authentication, as far as the scheme allows without the body: Connect's token entirely;
 *     for signed webhooks the signature header's presence and shape and, where the timestamp is
 *     signed, its age (401);
 *  2. `Content-Encoding` other than identity (415): no sender documents compression, and
 *     inflating before the signature is checked lets a 50-byte body become a 32 MiB buffer;
 *  3. a declared `Content-Length` over the route's limit (413);
 *  4. the global budget of body bytes in flight (503 with `Retry-After`; see ../body-budget).
 *
 * A refused body is never buffered: the answer says `Connection: close`, so Node closes the
 * connection once the answer is written instead of reading the rest to keep it alive. Then the
 * body is read as raw bytes (or JSON), within the route's limit, never inflated.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { BodyBudget } from '../body-budget';
import { sendError, type ErrorCode } from '../errors';
import type { CrmNotifyResult } from '../gateway';
import { setLogFields } from '../request-log';

/** Why a request is refused from its head alone. */
export interface HeadRefusal {
  status: number;
  error: ErrorCode;
  details?: Record<string, unknown>;
  /** Logged as `reason` (never a credential or the input). */
  logReason?: string;
}

export interface WebhookDoorOptions {
  /** Authentication from the head alone; null lets the request in. */
  authenticate: (req: Request) => HeadRefusal | null;
  limitBytes: number;
  budget: BodyBudget;
  /** How the body is parsed once admitted: raw bytes (signed webhooks) or JSON. */
  parse: 'raw' | 'json';
}

/** Seconds a sender refused for lack of budget should wait: bodies in flight last a few seconds at most. */
const BUSY_RETRY_AFTER_SECONDS = 2;

/** Whether the request announces a body (a length other than 0, or chunked). */
export function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * After a `parse: 'json'` door: false (answered) when there is no JSON body, 415 when a body came
 * declared as something else, 400 when none came at all.
 */
export function requireJsonBody(req: Request, res: Response): boolean {
  // express.json leaves the body undefined when there is none or it is not declared JSON.
  if (req.body !== undefined) return true;
  if (hasBody(req)) sendError(res, 415, 'unsupported_media_type');
  else sendError(res, 400, 'invalid_request', { issues: [{ path: '(body)', message: 'a JSON body is required' }] });
  return false;
}

/** The 202 for a helpdesk's notification, with what became of it in the request's log line. */
export function answerCrmNotification(res: Response, result: CrmNotifyResult): void {
  if (result.outcome === 'ignored') setLogFields(res, { outcome: 'ignored', reason: result.reason });
  else setLogFields(res, { ...(result.workflowId !== undefined && { workflowId: result.workflowId }), outcome: result.outcome });
  res.status(202).json({ accepted: true, ...result });
}

/** Answer a refusal (also after the body is read: a signature that does not match). */
export function sendRefusal(res: Response, refusal: HeadRefusal): void {
  if (refusal.logReason) setLogFields(res, { reason: refusal.logReason });
  sendError(res, refusal.status, refusal.error, refusal.details);
}

/** Answer without reading the body: the connection closes after the answer, the body unread. */
function refuseUnread(req: Request, res: Response, refusal: HeadRefusal): void {
  if (hasBody(req)) res.setHeader('Connection', 'close');
  sendRefusal(res, refusal);
}

function declaredLength(req: Request): number | null {
  const header = req.headers['content-length'];
  // Node's parser has already refused a malformed or repeated Content-Length.
  return header === undefined ? null : Number(header);
}

export function webhookDoor(options: WebhookDoorOptions): RequestHandler[] {
  const { limitBytes, budget } = options;
  const admit: RequestHandler = (req, res, next) => {
    const denied = options.authenticate(req);
    if (denied) return refuseUnread(req, res, denied);

    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return refuseUnread(req, res, {
        status: 415,
        error: 'unsupported_media_type',
        details: { header: 'Content-Encoding', message: 'compressed bodies are not accepted: send the body without Content-Encoding' },
        logReason: 'content-encoding',
      });
    }
    if (!hasBody(req)) return next();

    const length = declaredLength(req);
    if (length !== null && length > limitBytes) return refuseUnread(req, res, { status: 413, error: 'payload_too_large' });
    const release = budget.tryReserve(length ?? limitBytes);
    if (!release) {
      res.setHeader('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
      return refuseUnread(req, res, {
        status: 503,
        error: 'server_busy',
        details: { message: 'too many request bodies in flight; retry later, nothing was recorded' },
        logReason: 'body-budget',
      });
    }
    // 'close' comes once the response is over, whether it was written or the client went away.
    res.once('close', release);
    next();
  };
  const parse =
    options.parse === 'json'
      ? express.json({ limit: limitBytes, inflate: false })
      : // Any media type: the signature decides whether we listen, not the Content-Type header.
        express.raw({ type: () => true, limit: limitBytes, inflate: false });
  return [admit, parse];
}
