import { ApplicationFailure } from '@temporalio/common';
import { IntegrationError } from '../ports/errors';

/**
 * An `IntegrationError` as the workflow sees it: `type` is the kind ('not-found', 'rate-limited',
 * ...), 4xx kinds are non-retryable, and a remote's `Retry-After` becomes `nextRetryDelay` so
 * Temporal waits exactly as long as asked instead of its own back-off. `details` carry where it
 * failed (service, operation template, status) for the workflow's `lastError`; no bodies, no
 * personal data. Anything else is a bug and propagates as it is.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof IntegrationError)) return err;
  return ApplicationFailure.create({
    type: err.kind,
    message: err.message,
    nonRetryable: !err.retryable,
    nextRetryDelay: err.retryAfterMs ?? undefined,
    details: [{ service: err.service, operation: err.operation, status: err.status }],
  });
}

/** Run `fn`, rethrowing integration errors as Temporal failures. */
export async function mapFailures<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
