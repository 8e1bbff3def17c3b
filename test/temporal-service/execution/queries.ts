/**
 * Queries of one run, routed like the real server does:
 *  - while a workflow task is scheduled or running, a query is buffered and attached to the next
 *    task handed to a worker (`queries` of the poll response, answered in the completion);
 *  - otherwise (idle or closed run, or no new task after a completion) it is dispatched as a
 *    *legacy query task*: a poll response carrying `query`, answered by RespondQueryTaskCompleted.
 *    On the sticky queue it carries no events (the worker answers from its cache); on the normal
 *    queue it carries the full history for the worker to replay.
 */
import { randomUUID } from 'node:crypto';
import { GrpcStatus, queryFailed, RpcError } from '../errors';
import type { WorkflowTaskResponse } from '../matching/matching';
import { api, int64, msToTimestamp, Payloads, TaskQueueKind } from '../proto';
import type { WorkflowExecution } from './execution';
import { readPage } from './history-pages';
import { encodeTaskToken } from './task-token';
import type { WorkflowTaskAttempt } from './workflow-task';

type QueryState = 'buffered' | 'attached' | 'dispatched' | 'done';

interface QueryRecord {
  readonly id: string;
  readonly query: api.query.v1.IWorkflowQuery;
  state: QueryState;
  attachedNonce?: number;
  settle(outcome: { answer?: Payloads | null } | { error: RpcError }): void;
}

export class QueryRegistry {
  private readonly records = new Map<string, QueryRecord>();

  constructor(private readonly execution: WorkflowExecution) {}

  private get env() {
    return this.execution.env;
  }

  /** Runs a query to completion; resolves with the answer payloads. */
  run(query: api.query.v1.IWorkflowQuery, timeoutMs: number): Promise<Payloads | null | undefined> {
    return new Promise((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        record.settle({ error: new RpcError(GrpcStatus.DEADLINE_EXCEEDED, 'query was not answered in time: no worker is polling?') });
      }, timeoutMs);
      timer.unref();
      const record: QueryRecord = {
        id,
        query,
        state: 'buffered',
        settle: (outcome) => {
          if (record.state === 'done') return;
          record.state = 'done';
          clearTimeout(timer);
          this.records.delete(id);
          this.env.matching.markDone(this.outstandingKey(id));
          if ('error' in outcome) reject(outcome.error);
          else resolve(outcome.answer);
        },
      };
      this.records.set(id, record);
      if (this.execution.isRunning() && this.execution.workflowTask.isPending()) return; // rides on the next task
      this.dispatchLegacy(record);
    });
  }

  /** Attaches buffered queries to a starting workflow task. */
  attachTo(task: WorkflowTaskAttempt): Record<string, api.query.v1.IWorkflowQuery> {
    const attached: Record<string, api.query.v1.IWorkflowQuery> = {};
    for (const record of this.records.values()) {
      if (record.state !== 'buffered') continue;
      record.state = 'attached';
      record.attachedNonce = task.nonce;
      task.deliveredQueryIds.push(record.id);
      attached[record.id] = record.query;
    }
    return attached;
  }

  /** The task carrying these queries failed: they wait for the next one. */
  requeueFrom(task: WorkflowTaskAttempt): void {
    for (const id of task.deliveredQueryIds) {
      const record = this.records.get(id);
      if (record?.state === 'attached') record.state = 'buffered';
    }
  }

  /**
   * Applies the query results of a workflow task completion. Queries still buffered either wait
   * for the new task (if one was created) or go out as legacy query tasks.
   */
  onTaskCompleted(
    task: WorkflowTaskAttempt,
    results: Record<string, api.query.v1.IWorkflowQueryResult> | null | undefined,
    newTaskCreated: boolean,
  ): void {
    for (const id of task.deliveredQueryIds) {
      const record = this.records.get(id);
      if (!record || record.state !== 'attached') continue;
      const result = results?.[id];
      if (result) this.settleWithResult(record, result);
      else record.settle({ error: queryFailed('workflow task completed without answering the query') });
    }
    if (!newTaskCreated) this.dispatchBuffered();
  }

  /** A closed run can still be queried: the worker replays its history. */
  onWorkflowClosed(): void {
    this.dispatchBuffered();
  }

  /** RespondQueryTaskCompleted for a legacy query task. */
  respondLegacy(queryId: string, response: api.workflowservice.v1.IRespondQueryTaskCompletedRequest): void {
    const record = this.records.get(queryId);
    if (!record || record.state !== 'dispatched') throw new RpcError(GrpcStatus.NOT_FOUND, 'query task not found');
    this.settleWithResult(record, {
      resultType: response.completedType,
      answer: response.queryResult,
      errorMessage: response.errorMessage,
      failure: response.failure,
    });
  }

  private settleWithResult(record: QueryRecord, result: api.query.v1.IWorkflowQueryResult): void {
    if (result.resultType === api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_ANSWERED) {
      record.settle({ answer: result.answer });
    } else {
      record.settle({ error: queryFailed(result.errorMessage || result.failure?.message || 'query failed', result.failure ?? undefined) });
    }
  }

  private dispatchBuffered(): void {
    for (const record of [...this.records.values()]) if (record.state === 'buffered') this.dispatchLegacy(record);
  }

  private dispatchLegacy(record: QueryRecord): void {
    record.state = 'dispatched';
    const execution = this.execution;
    const sticky = execution.isRunning() && execution.sticky && this.env.matching.isStickyQueueAvailable(execution.namespace, execution.sticky.queue)
      ? execution.sticky.queue
      : undefined;
    let started = false;
    this.env.matching.addWorkflowTask(execution.namespace, sticky ?? execution.init.taskQueue, {
      isStale: () => started || record.state !== 'dispatched',
      start: () => {
        if (started || record.state !== 'dispatched') return undefined;
        started = true;
        this.env.matching.markOutstanding(this.outstandingKey(record.id));
        return this.legacyTaskResponse(record, sticky !== undefined);
      },
    });
  }

  private legacyTaskResponse(record: QueryRecord, sticky: boolean): WorkflowTaskResponse {
    const execution = this.execution;
    const page = sticky
      ? { events: [], nextPageToken: undefined }
      : readPage(execution, { from: 1, end: execution.history.lastEventId }, this.env.config.historyPageSize);
    const now = msToTimestamp(this.env.clock.now());
    return {
      taskToken: encodeTaskToken({
        kind: 'query',
        namespace: execution.namespace,
        workflowId: execution.workflowId,
        runId: execution.runId,
        queryId: record.id,
      }),
      workflowExecution: execution.ref,
      workflowType: { name: execution.init.workflowType },
      previousStartedEventId: int64(execution.workflowTask.lastCompletedStartedEventId),
      startedEventId: int64(0),
      attempt: 1,
      history: { events: page.events },
      nextPageToken: page.nextPageToken,
      query: record.query,
      workflowExecutionTaskQueue: { name: execution.init.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      scheduledTime: now,
      startedTime: now,
    };
  }

  private outstandingKey(queryId: string): string {
    return `query:${this.execution.key}:${queryId}`;
  }
}
