/**
 * How adapters report a failed call, so that activities can turn it into the right Temporal
 * failure: `retryable: false` fails the activity for good, `retryable: true` lets Temporal retry
 * (after `retryAfterMs` when the remote said so, e.g. 429 Retry-After).
 */
export type IntegrationErrorKind =
  | 'bad-request' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'unprocessable' // 422
  | 'conflict' // 409: concurrent update of the same record (Zendesk asks clients to retry)
  // A conditional write found the record changed since it was read (Zendesk `safe_update` 409,
  // or a re-read before the write): news to decide on again, never to retry blindly.
  | 'write-conflict'
  | 'rate-limited' // 429
  | 'timeout' // 408 or our own request timeout
  | 'server-error' // 5xx
  | 'network' // connection refused / reset / dropped
  | 'invalid-response'; // 2xx with a body we cannot understand

export class IntegrationError extends Error {
  override readonly name = 'IntegrationError';
  constructor(
    readonly kind: IntegrationErrorKind,
    /** Which remote, e.g. 'connect', 'zendesk'. */
    readonly service: string,
    /** Operation name, e.g. 'GET /tickets/{id}' — never the full URL with ids or tokens. */
    readonly operation: string,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return RETRYABLE_KINDS.has(this.kind);
  }
}

const RETRYABLE_KINDS: ReadonlySet<IntegrationErrorKind> = new Set([
  'conflict',
  'rate-limited',
  'timeout',
  'server-error',
  'network',
  'invalid-response',
]);
