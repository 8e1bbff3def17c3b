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

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' | 'future' };
export type SignatureHeadCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'future' };

/** A base64 HMAC-SHA256: 32 bytes, 44 characters with its padding. */
const ZENDESK_SIGNATURE_SHAPE = /^[A-Za-z0-9+/]{43}=$/;

/**
 * What can be checked of a Zendesk-signed request before its body is read: both headers present,
 * the signature shaped like one, and the timestamp one we can read and within the tolerance. The
 * timestamp is signed (the HMAC covers it), so once the signature matches, this age is the
 * sender's. A timestamp we cannot read is refused: skipping the window for it would let a
 * captured request be replayed for ever (it used to be: issue 23, item 7).
 */
export function checkZendeskSignatureHead(input: {
  signature: string | undefined;
  timestamp: string | undefined;
  now?: number;
  toleranceMs?: number;
}): SignatureHeadCheck {
  const { signature, timestamp, now = Date.now(), toleranceMs = SIGNATURE_TOLERANCE_MS } = input;
  if (!signature?.trim() || !timestamp?.trim()) return { ok: false, reason: 'missing' };
  const signedAt = parseSignatureTimestamp(timestamp);
  if (!ZENDESK_SIGNATURE_SHAPE.test(signature.trim()) || signedAt === null) return { ok: false, reason: 'malformed' };
  const clock = clockCheck(signedAt, now, toleranceMs);
  return clock ? { ok: false, reason: clock } : { ok: true };
}

/**
 * Verify a Zendesk-signed request: its head (`checkZendeskSignatureHead`, which the route runs
 * before reading the body), then the HMAC over the timestamp and the raw body. The clock comes
 * first because it must be checked before the body is read; the window is public (5 minutes)
 * so an unsigned request learns nothing from being told its timestamp is stale.
 */
export function verifyZendeskSignature(input: {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
  now?: number;
  toleranceMs?: number;
}): SignatureCheck {
  const head = checkZendeskSignatureHead(input);
  if (!head.ok) return head;
  const { secret, signature, timestamp, rawBody } = input;
  if (!safeEqual(signature!.trim(), zendeskSignature(secret, timestamp!, rawBody))) return { ok: false, reason: 'mismatch' };
  return { ok: true };
}

/** `stale` or `future` when `signedAtMs` is further than the tolerance from `now`; null inside it. */
export function clockCheck(signedAtMs: number, now: number, toleranceMs: number): 'stale' | 'future' | null {
  if (now - signedAtMs > toleranceMs) return 'stale';
  if (signedAtMs - now > toleranceMs) return 'future';
  return null;
}

/** ISO 8601 with a time and a zone (as Zendesk sends it: `2026-01-01T00:00:00Z`), or unix seconds. */
const ISO_8601_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

function parseSignatureTimestamp(timestamp: string): number | null {
  const text = timestamp.trim();
  if (/^\d{9,11}$/.test(text)) return Number(text) * 1000;
  if (!ISO_8601_INSTANT.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}
