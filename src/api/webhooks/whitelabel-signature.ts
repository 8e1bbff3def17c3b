/**
 * The white-label platform's webhook signature: a header `t=<unix seconds>,s=<hex HMAC-SHA256>`.
 * The platform does not spell out which bytes are signed, so the recipe is configurable:
 * `'timestamp.body'` (default) signs `"<t>.<raw body>"`, `'body'` signs the raw body alone.
 * Always over the raw request bytes: re-serialised JSON would not match byte for byte.
 *
 * Which time limits replays depends on the recipe (issue 23, item 7). The platform's reference
 * (shared/reference/whitelabel-ticket-events.md) says events are signed "over the payload", the
 * header carries `t`, and timestamps older than 5 minutes are to be rejected; it does not say
 * whether `t` is among the signed bytes.
 *  - `'timestamp.body'`: `t` is signed, so it is checked before the body is read (`checkSignatureHead`)
 *    and, once the HMAC matches, it is the sender's.
 *  - `'body'`: `t` is NOT signed: anyone replaying a captured request could put the current time
 *    there, so it is never trusted (only its shape is checked). The clock is the event's own
 *    time, inside the signed bytes: `data.ticket.updated_at` (unix seconds), which every event
 *    type moves (a ticket created, a reply added, reassigned, resolved). It is checked once the
 *    HMAC matches and the envelope is valid (`eventClockCheck`). The cost: a delivery the
 *    platform retries more than 5 minutes after the change is refused too, like a replay; the
 *    reconciler (`RECONCILE_INTERVAL`) catches up updates of known tickets, but a ticket whose
 *    every `created` delivery came late is not mirrored. Prefer `'timestamp.body'` where the
 *    platform signs `t`.
 */
import { createHmac } from 'node:crypto';
import { clockCheck, SIGNATURE_TOLERANCE_MS, safeEqual } from '../auth';

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
export type WhitelabelSignatureCheck =
  /** `signedAtMs`: the signed time of the header, or null when the recipe does not sign it (`'body'`). */
  { ok: true; signedAtMs: number | null } | { ok: false; reason: WhitelabelSignatureFailure };
type HeadCheck = { ok: true; timestamp: string; signatures: string[] } | { ok: false; reason: Exclude<WhitelabelSignatureFailure, 'mismatch'> };

export interface WhitelabelHeadInput {
  recipe: SignedPayloadRecipe;
  /** The signature header's value, if the request had one. */
  header: string | undefined;
  now?: number;
  /** How far a signed time may be from our clock, either way. Default 5 minutes (the platform's window). */
  toleranceMs?: number;
}

export interface WhitelabelVerifyInput extends WhitelabelHeadInput {
  secret: string;
  rawBody: Buffer;
}

/**
 * What can be checked before the body is read: the header present and well-formed and, when
 * the recipe signs `t`, `t` within the window (see the top of this file for `'body'`).
 */
export function checkSignatureHead(input: WhitelabelHeadInput): HeadCheck {
  const { recipe, header, now = Date.now(), toleranceMs = SIGNATURE_TOLERANCE_MS } = input;
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseSignatureHeader(header);
  if (parsed === null) return { ok: false, reason: 'malformed' };
  const clock = recipe === 'timestamp.body' ? clockCheck(Number(parsed.timestamp) * 1000, now, toleranceMs) : null;
  return clock ? { ok: false, reason: clock } : { ok: true, ...parsed };
}

/**
 * Verify a request: its head (which the route checks before reading the body), then the HMAC
 * of every `s=` in constant time. With the `'body'` recipe the caller must still check the
 * event's own time (`eventClockCheck`).
 */
export function verifyWhitelabelSignature(input: WhitelabelVerifyInput): WhitelabelSignatureCheck {
  const head = checkSignatureHead(input);
  if (!head.ok) return head;
  const expected = whitelabelSignature(input.secret, input.recipe, head.timestamp, input.rawBody);
  // Compare every candidate (no early exit) in constant time.
  const matched = head.signatures.map((s) => safeEqual(s, expected)).includes(true);
  if (!matched) return { ok: false, reason: 'mismatch' };
  return { ok: true, signedAtMs: input.recipe === 'timestamp.body' ? Number(head.timestamp) * 1000 : null };
}

/** The `'body'` recipe's clock: the event's `data.ticket.updated_at` (unix seconds), signed with the body. */
export function eventClockCheck(updatedAtSeconds: number, now: number, toleranceMs: number = SIGNATURE_TOLERANCE_MS): 'stale' | 'future' | null {
  return clockCheck(updatedAtSeconds * 1000, now, toleranceMs);
}

/**
 * The 401 body for each failure: a stable code plus a sentence for whoever reads the sender's
 * logs. `clock` says which time was out of the window: the header's `t` or, with the `'body'`
 * recipe, the event's `data.ticket.updated_at`.
 */
export function signatureFailureBody(
  failure: WhitelabelSignatureFailure,
  toleranceMs: number = SIGNATURE_TOLERANCE_MS,
  clock: 'header' | 'event' = 'header',
): { reason: string; message: string } {
  const window = `${Math.round(toleranceMs / 1000)} seconds`;
  const time = clock === 'header' ? 'the signature timestamp' : "the event's data.ticket.updated_at (the signed time of this recipe)";
  switch (failure) {
    case 'missing':
      return { reason: 'signature_missing', message: 'the signature header is missing' };
    case 'malformed':
      return { reason: 'signature_malformed', message: 'the signature header must be t=<unix seconds>,s=<hex HMAC-SHA256>' };
    case 'mismatch':
      return { reason: 'signature_mismatch', message: 'the signature does not match the request body' };
    case 'stale':
      return { reason: 'timestamp_too_old', message: `${time} is more than ${window} old` };
    case 'future':
      return { reason: 'timestamp_in_future', message: `${time} is more than ${window} in the future` };
  }
}
