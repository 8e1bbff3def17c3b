import type { IntegrationErrorKind } from '../../ports/errors';
import { RateBudgetExhausted } from './budgeted-fetch';

/**
 * How an HTTP status becomes an `IntegrationErrorKind`. The split that matters is retryable or
 * not: a 4xx means the request itself is wrong (or the ticket is gone), and repeating it cannot
 * help; 408/429/5xx are the remote having a bad moment, and Temporal's retries ride it out.
 */
export function kindForStatus(status: number): IntegrationErrorKind {
  switch (status) {
    case 400:
      return 'bad-request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 422:
      return 'unprocessable';
    case 408:
      return 'timeout';
    case 409:
      // Zendesk answers 409 to concurrent updates of one ticket and asks clients to retry.
      return 'conflict';
    case 429:
      return 'rate-limited';
  }
  if (status >= 500) return 'server-error';
  // Any other 4xx (405, 413, 415, ...) is a request the remote will never accept as it is.
  return 'bad-request';
}

/** Node/undici error codes that say the connection failed, as opposed to our own timeout. */
const NETWORK_CODE = /^[A-Z][A-Z0-9_]{2,40}$/;

/**
 * A `fetch` rejection: our `AbortSignal.timeout` fired ('timeout'), the connection was refused,
 * reset or dropped ('network'; undici wraps those as `TypeError('fetch failed')` with a `cause`),
 * or this process's share of the remote's rate budget had no slot in time ('rate-limited', to be
 * retried when the slot comes: `retryAfterMs`). Returns a short detail that names the failure
 * without echoing hosts, URLs or bodies.
 */
export function classifyFetchError(err: unknown): { kind: IntegrationErrorKind; detail: string; retryAfterMs?: number } {
  if (err instanceof RateBudgetExhausted) {
    return { kind: 'rate-limited', detail: "not sent: no slot in this worker's share of the rate budget in time", retryAfterMs: err.retryAfterMs };
  }
  const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown; name?: unknown } } | null;
  if (e?.name === 'TimeoutError') return { kind: 'timeout', detail: 'no response within the request timeout' };
  const code = e?.cause?.code ?? e?.code;
  if (typeof code === 'string' && NETWORK_CODE.test(code)) return { kind: 'network', detail: `connection failed (${code})` };
  const name = typeof e?.cause?.name === 'string' ? e.cause.name : typeof e?.name === 'string' ? e.name : 'Error';
  return { kind: 'network', detail: `connection failed (${name.replace(/[^\w]/g, '').slice(0, 40)})` };
}

/**
 * A remote error *code* worth putting in a message (`RecordNotFound`, `RecordInvalid`, `1003`):
 * only identifier-like values, so free text that might quote a body (names, e-mails, messages)
 * never reaches logs or Temporal failures.
 */
export function remoteErrorCode(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const { error, code } = body as { error?: unknown; code?: unknown };
  if (typeof code === 'number' && Number.isInteger(code)) return String(code);
  for (const candidate of [error, code]) {
    if (typeof candidate === 'string' && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(candidate)) return candidate;
  }
  return null;
}
