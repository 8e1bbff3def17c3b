/**
 * Authentication helpers: shared-token comparison and webhook signatures. All comparisons are
 * constant time so response timing tells an attacker nothing about how close a guess was.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './errors';

/**
 * Constant-time equality for secrets of any length. Both sides are hashed first:
 * `timingSafeEqual` needs equal lengths, and comparing digests hides the secret's length too.
 */
export function safeEqual(provided: string | Buffer, expected: string | Buffer): boolean {
  const digest = (v: string | Buffer) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(provided), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
  return match ? match[1]! : null;
}

/**
 * Require `?<param>=<token>` (Connect puts its secret in the callback URL). Runs before the body
 * is parsed, so unauthenticated callers cannot make us parse anything.
 */
export function requireQueryToken(param: string, token: string): RequestHandler {
  return (req, res, next) => {
    const provided = req.query[param];
    if (typeof provided === 'string' && safeEqual(provided, token)) return next();
    sendError(res, 401, 'unauthorized');
  };
}

/** Require `Authorization: Bearer <token>`. */
export function requireBearer(token: string): RequestHandler {
  return (req, res, next) => {
    const provided = bearerToken(req.headers.authorization);
    if (provided !== null && safeEqual(provided, token)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized');
  };
}

/** How far a signed timestamp may be from our clock: Zendesk and most senders use 5 minutes. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Zendesk's webhook signature: base64(HMAC-SHA256(secret, timestamp + raw body)).
 * Computed over the raw request bytes: re-serialised JSON would not match byte for byte.
 */
export function zendeskSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return createHmac('sha256', secret).update(timestamp).update(rawBody).digest('base64');
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'mismatch' | 'stale' | 'future' };

/**
 * Verify a Zendesk-signed request. A timestamp we can parse (ISO-8601, as Zendesk sends it, or
 * unix seconds) must be within the tolerance, which limits replays of captured requests; one we
 * cannot parse is still covered by the signature itself.
 */
export function verifyZendeskSignature(input: {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
  now?: number;
  toleranceMs?: number;
}): SignatureCheck {
  const { secret, signature, timestamp, rawBody, now = Date.now(), toleranceMs = SIGNATURE_TOLERANCE_MS } = input;
  if (!signature || !timestamp) return { ok: false, reason: 'missing' };
  // Check the signature before the clock, so an unsigned request learns nothing about either.
  if (!safeEqual(signature.trim(), zendeskSignature(secret, timestamp, rawBody))) return { ok: false, reason: 'mismatch' };
  const signedAt = parseTimestamp(timestamp);
  if (signedAt !== null && Math.abs(now - signedAt) > toleranceMs) return { ok: false, reason: signedAt < now ? 'stale' : 'future' };
  return { ok: true };
}

function parseTimestamp(timestamp: string): number | null {
  if (/^\d{9,11}$/.test(timestamp)) return Number(timestamp) * 1000;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? null : ms;
}
