/**
 * Server-side retry policy semantics for activities: defaults the server fills in, which failures
 * are retryable, and the backoff before the next attempt (real server: `common/backoff` +
 * `RetryActivity`).
 */
import { api, durationMs, Failure, msToDuration, RetryPolicy, RetryState, TimeoutType } from '../proto';

export interface NormalizedRetryPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  /** Cap on a single backoff. */
  maximumIntervalMs: number;
  /** 0 = unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

const DEFAULT_INITIAL_INTERVAL_MS = 1_000;
const DEFAULT_BACKOFF_COEFFICIENT = 2;
const DEFAULT_MAXIMUM_INTERVAL_COEFFICIENT = 100;

/** Fills the server defaults into a (possibly absent) retry policy. */
export function normalizeRetryPolicy(policy: RetryPolicy | null | undefined): NormalizedRetryPolicy {
  const initialIntervalMs = durationMs(policy?.initialInterval) ?? DEFAULT_INITIAL_INTERVAL_MS;
  return {
    initialIntervalMs,
    backoffCoefficient: policy?.backoffCoefficient || DEFAULT_BACKOFF_COEFFICIENT,
    maximumIntervalMs: durationMs(policy?.maximumInterval) ?? initialIntervalMs * DEFAULT_MAXIMUM_INTERVAL_COEFFICIENT,
    maximumAttempts: policy?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: [...(policy?.nonRetryableErrorTypes ?? [])],
  };
}

export function retryPolicyProto(policy: NormalizedRetryPolicy): RetryPolicy {
  return {
    initialInterval: msToDuration(policy.initialIntervalMs),
    backoffCoefficient: policy.backoffCoefficient,
    maximumInterval: msToDuration(policy.maximumIntervalMs),
    maximumAttempts: policy.maximumAttempts,
    nonRetryableErrorTypes: policy.nonRetryableErrorTypes,
  };
}

/** The real server's `isRetryable`: which failures may be retried at all. */
export function isRetryableFailure(failure: Failure, nonRetryableTypes: readonly string[]): boolean {
  if (failure.terminatedFailureInfo || failure.canceledFailureInfo) return false;
  if (failure.timeoutFailureInfo) {
    const type = failure.timeoutFailureInfo.timeoutType;
    return type === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE || type === TimeoutType.TIMEOUT_TYPE_HEARTBEAT;
  }
  if (failure.serverFailureInfo) return !failure.serverFailureInfo.nonRetryable;
  if (failure.applicationFailureInfo) {
    if (failure.applicationFailureInfo.nonRetryable) return false;
    return !nonRetryableTypes.includes(failure.applicationFailureInfo.type ?? '');
  }
  return true;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; retryState: api.enums.v1.RetryState };

/**
 * Decides whether attempt `attempt` (1-based, the one that just failed) is retried.
 * `expiresAt` is the schedule-to-close deadline (virtual epoch ms), if any.
 */
export function decideRetry(args: {
  policy: NormalizedRetryPolicy;
  attempt: number;
  failure: Failure;
  now: number;
  expiresAt?: number;
}): RetryDecision {
  const { policy, attempt, failure, now, expiresAt } = args;
  if (!isRetryableFailure(failure, policy.nonRetryableErrorTypes)) {
    return { retry: false, retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  }
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) {
    return { retry: false, retryState: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  }
  // An ApplicationFailure may dictate its own delay (`nextRetryDelay`), overriding the backoff.
  const requested = durationMs(failure.applicationFailureInfo?.nextRetryDelay);
  const delayMs =
    requested ??
    Math.min(
      policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, attempt - 1),
      policy.maximumIntervalMs > 0 ? policy.maximumIntervalMs : Number.MAX_SAFE_INTEGER,
    );
  if (expiresAt !== undefined && now + delayMs >= expiresAt) {
    return { retry: false, retryState: RetryState.RETRY_STATE_TIMEOUT };
  }
  return { retry: true, delayMs: Math.round(delayMs) };
}
