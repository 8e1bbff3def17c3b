/**
 * `Retry-After` is either delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`)
 * (RFC 9110 §10.2.3). Returns the wait in milliseconds, or null when absent or unparsable, so a
 * garbage header falls back to the retry policy's own back-off instead of a bogus delay.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Only date-like values: Date.parse('12abc') and friends accept too much.
  if (!/[a-z]/i.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
