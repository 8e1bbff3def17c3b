/**
 * The white-label platform's webhook signature: a header `t=<unix seconds>,s=<hex HMAC-SHA256>`.
 * The platform does not spell out which bytes are signed, so the recipe is configurable:
 * `'timestamp.body'` (default) signs `"<t>.<raw body>"`, `'body'` signs the raw body alone.
 * Always over the raw request bytes: re-serialised JSON would not match byte for byte.
 */
import { createHmac } from 'node:crypto';
import { SIGNATURE_TOLERANCE_MS, safeEqual } from '../auth';

export const SIGNED_PAYLOAD_RECIPES = ['timestamp.body', 'body'] as const;
export type SignedPayloadRecipe = (typeof SIGNED_PAYLOAD_RECIPES)[number];

export const DEFAULT_WHITELABEL_SIGNATURE_HEADER = 'X-Whitelabel-Signature';

/** Hex HMAC-SHA256 of the signed bytes. */
export function whitelabelSignature(secret: string, recipe: SignedPayloadRecipe, timestamp: string, rawBody: Buffer): string {
  const hmac = createHmac('sha256', secret);
  if (recipe === 'timestamp.body') hmac.update(`${timestamp}.`);
  return hmac.update(rawBody).digest('hex');
}

/**
 * `t=…,s=…` → its parts; null when it is not that shape. Several `s=` are allowed (a sender
 * rotating its secret signs with both); exactly one `t=`.
 */
export function parseSignatureHeader(header: string): { timestamp: string; signatures: string[] } | null {
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamps.push(value);
    else if (key === 's') signatures.push(value.toLowerCase());
    // Other keys (a future `v2=`) are ignored, as senders of this scheme expect.
  }
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamp!)) return null;
  if (signatures.length === 0 || !signatures.every((s) => /^[0-9a-f]{64}$/.test(s))) return null;
  return { timestamp: timestamp!, signatures };
}

export type WhitelabelSignatureFailure = 'missing' | 'malformed' | 'mismatch' | 'stale' | 'future';
export type WhitelabelSignatureCheck = { ok: true; signedAtMs: number } | { ok: false; reason: WhitelabelSignatureFailure };

export interface WhitelabelVerifyInput {
  secret: string;
  recipe: SignedPayloadRecipe;
  /** The signature header's value, if the request had one. */
  header: string | undefined;
  rawBody: Buffer;
  now?: number;
  /** How far `t` may be from our clock, either way. Default 5 minutes (the platform's window). */
  toleranceMs?: number;
}

/**
 * Verify a request. The signature is checked before the clock, so a caller without the secret
 * learns nothing about our time window. With the `'body'` recipe `t` is not signed, so the
 * window limits nothing an attacker could not forge; it still rejects honest stale retries.
 */
export function verifyWhitelabelSignature(input: WhitelabelVerifyInput): WhitelabelSignatureCheck {
  const { secret, recipe, header, rawBody, now = Date.now(), toleranceMs = SIGNATURE_TOLERANCE_MS } = input;
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseSignatureHeader(header);
  if (parsed === null) return { ok: false, reason: 'malformed' };
  const expected = whitelabelSignature(secret, recipe, parsed.timestamp, rawBody);
  // Compare every candidate (no early exit) in constant time.
  const matched = parsed.signatures.map((s) => safeEqual(s, expected)).includes(true);
  if (!matched) return { ok: false, reason: 'mismatch' };
  const signedAtMs = Number(parsed.timestamp) * 1000;
  if (now - signedAtMs > toleranceMs) return { ok: false, reason: 'stale' };
  if (signedAtMs - now > toleranceMs) return { ok: false, reason: 'future' };
  return { ok: true, signedAtMs };
}

/** The 401 body for each failure: a stable code plus a sentence for whoever reads the sender's logs. */
export function signatureFailureBody(
  failure: WhitelabelSignatureFailure,
  toleranceMs: number = SIGNATURE_TOLERANCE_MS,
): { reason: string; message: string } {
  const window = `${Math.round(toleranceMs / 1000)} seconds`;
  switch (failure) {
    case 'missing':
      return { reason: 'signature_missing', message: 'the signature header is missing' };
    case 'malformed':
      return { reason: 'signature_malformed', message: 'the signature header must be t=<unix seconds>,s=<hex HMAC-SHA256>' };
    case 'mismatch':
      return { reason: 'signature_mismatch', message: 'the signature does not match the request body' };
    case 'stale':
      return { reason: 'timestamp_too_old', message: `the signature timestamp is more than ${window} old` };
    case 'future':
      return { reason: 'timestamp_in_future', message: `the signature timestamp is more than ${window} in the future` };
  }
}
