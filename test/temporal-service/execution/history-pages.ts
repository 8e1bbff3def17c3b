/**
 * History pagination, shared by workflow task poll responses and GetWorkflowExecutionHistory.
 *
 * A page token pins the run and the last event id visible when the first page was served, so a
 * worker paging through a task's history never sees events appended after the task started. A
 * token minted for a transient workflow task (attempt > 1, events not persisted) also carries that
 * task's identity: its scheduled/started events are appended to the last page only.
 */
import { invalidArgument } from '../errors';
import { HistoryEvent } from '../proto';
import type { WorkflowExecution } from './execution';

interface PageToken {
  runId: string;
  /** First event id of the next page. */
  next: number;
  /** Last event id (inclusive) to serve; 0 = up to the current end of history. */
  end: number;
  /** Nonce of the transient workflow task whose events close the last page. */
  transientNonce?: number;
}

export function encodePageToken(token: PageToken): Buffer {
  return Buffer.from(JSON.stringify(token), 'utf8');
}

export function decodePageToken(bytes: Uint8Array | null | undefined): PageToken | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as PageToken;
  } catch {
    throw invalidArgument('Invalid NextPageToken.');
  }
}

export interface HistoryPage {
  events: HistoryEvent[];
  nextPageToken?: Buffer;
}

/**
 * Serves one page of `execution`'s history starting at `from`. `end` = 0 means "current end".
 * The transient events of the current workflow task are appended when `transientNonce` matches it.
 */
export function readPage(
  execution: WorkflowExecution,
  range: { from: number; end: number; transientNonce?: number },
  pageSize: number,
): HistoryPage {
  const end = range.end || execution.history.lastEventId;
  const to = Math.min(end, range.from + pageSize - 1);
  const events = execution.history.slice(range.from, to);
  if (to < end) {
    return {
      events,
      nextPageToken: encodePageToken({
        runId: execution.runId,
        next: to + 1,
        end,
        transientNonce: range.transientNonce,
      }),
    };
  }
  if (range.transientNonce !== undefined) {
    events.push(...execution.workflowTask.transientEvents(range.transientNonce));
  }
  return { events };
}
