/**
 * Task tokens: opaque to workers, but they must identify the exact task *attempt* so a late
 * answer to a superseded task is rejected with NOT_FOUND, as the real server does.
 */
import { invalidArgument } from '../errors';

export type TaskToken =
  | { kind: 'workflow'; namespace: string; workflowId: string; runId: string; scheduledEventId: number; attempt: number; nonce: number }
  | { kind: 'activity'; namespace: string; workflowId: string; runId: string; scheduledEventId: number; attempt: number }
  | { kind: 'query'; namespace: string; workflowId: string; runId: string; queryId: string };

export function encodeTaskToken(token: TaskToken): Buffer {
  return Buffer.from(JSON.stringify(token), 'utf8');
}

export function decodeTaskToken(bytes: Uint8Array | null | undefined): TaskToken {
  if (!bytes || bytes.length === 0) throw invalidArgument('Task token not set on request.');
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as TaskToken;
  } catch {
    throw invalidArgument('Error deserializing task token.');
  }
}
