/**
 * Which failed activity attempts are news rather than trouble. A remote's answer the workflow is
 * built to handle (the user acted since the read: a write-conflict; a 429 or a 5xx that Temporal
 * will retry; a write a side refused, which the workflow retries slowly and parks with a note)
 * is one calm line at info: a stack trace there only says where the adapter threw, and makes a
 * normal race look like a crash. What needs a person (credentials refused, an answer the bridge
 * cannot read, retries given up) stays a warning, still without a stack: the failure type, the
 * remote's service, operation and status say it all. Anything that is not a remote's answer is
 * a bug, and keeps its stack.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { IntegrationErrorKind } from '../ports/errors';

type Calmness = 'calm' | 'calm-while-retried' | 'warn';

/** Every kind, so a new kind must be placed here (the compiler says so). */
const CALMNESS: Record<IntegrationErrorKind, Calmness> = {
  'write-conflict': 'calm',
  'bad-request': 'calm',
  'not-found': 'calm',
  unprocessable: 'calm',
  conflict: 'calm-while-retried',
  'rate-limited': 'calm-while-retried',
  timeout: 'calm-while-retried',
  'server-error': 'calm-while-retried',
  network: 'calm-while-retried',
  unauthorized: 'warn',
  forbidden: 'warn',
  'invalid-response': 'warn',
};

/** The kind of a remote's answer (an `IntegrationError` as a Temporal failure); null for anything else. */
export function integrationFailureKind(err: unknown): IntegrationErrorKind | null {
  if (!(err instanceof ApplicationFailure) || err.type == null) return null;
  return Object.hasOwn(CALMNESS, err.type) ? (err.type as IntegrationErrorKind) : null;
}

/** Whether a failed attempt of this kind is logged as one line at info. */
export function isCalmFailure(kind: IntegrationErrorKind, willRetry: boolean): boolean {
  const calmness = CALMNESS[kind];
  return calmness === 'calm' || (calmness === 'calm-while-retried' && willRetry);
}
