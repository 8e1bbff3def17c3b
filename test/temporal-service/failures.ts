/**
 * Failure protos the server itself authors (timeouts, server errors). Failures reported by workers
 * are stored verbatim; only server-originated ones are built here, with `source: 'Server'` like the
 * real server so SDKs render them the same way.
 */
import { api, Failure, Payloads } from './proto';

const SERVER_SOURCE = 'Server';

export function serverFailure(message: string, nonRetryable = false): Failure {
  return { message, source: SERVER_SOURCE, serverFailureInfo: { nonRetryable } };
}

export function timeoutFailure(
  message: string,
  timeoutType: api.enums.v1.TimeoutType,
  lastHeartbeatDetails?: Payloads | null,
  cause?: Failure | null,
): Failure {
  return {
    message,
    source: SERVER_SOURCE,
    cause: cause ?? undefined,
    timeoutFailureInfo: { timeoutType, lastHeartbeatDetails: lastHeartbeatDetails ?? undefined },
  };
}

/** `TIMEOUT_TYPE_START_TO_CLOSE` → `StartToClose`, as the server formats timeout messages. */
export function timeoutTypeLabel(timeoutType: api.enums.v1.TimeoutType): string {
  const name = api.enums.v1.TimeoutType[timeoutType] ?? 'UNSPECIFIED';
  return name
    .replace(/^TIMEOUT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());
}

/** Application failure type name (`ApplicationFailureInfo.type`) of a failure, if any. */
export function applicationFailureType(failure: Failure | null | undefined): string | undefined {
  return failure?.applicationFailureInfo?.type ?? undefined;
}
