/**
 * Workflow updates of one run (the update protocol):
 *
 *   admitted --(request message rides on a started workflow task)--> sent
 *   sent --(worker's Acceptance message)--> accepted  [WorkflowExecutionUpdateAccepted event]
 *   sent --(worker's Rejection message)--> completed with failure  [no event]
 *   accepted --(worker's Response message)--> completed  [WorkflowExecutionUpdateCompleted event]
 *
 * Callers (UpdateWorkflowExecution, PollWorkflowExecutionUpdate) wait for a stage; the registry
 * wakes them. Completed outcomes stay available so retried polls and duplicate update ids get the
 * same answer, as they would from the real server's history.
 */
import { GrpcStatus, RpcError, workflowAlreadyCompleted } from '../errors';
import { api, EventType, int64, packAny } from '../proto';
import type { WorkflowExecution } from './execution';
import { eventIdOf, WorkflowTaskAttempt } from './workflow-task';

export const Stage = api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
export type StageValue = api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

type UpdateState = 'admitted' | 'sent' | 'accepted' | 'completed';

interface UpdateRecord {
  readonly updateId: string;
  readonly request: api.update.v1.IRequest;
  state: UpdateState;
  deliveredWithNonce?: number;
  acceptedEventId?: number;
  outcome?: api.update.v1.IOutcome;
  /** Set when the update can never progress on this run (the run closed first). */
  abortError?: RpcError;
  readonly listeners: Set<() => void>;
}

function stageOf(record: UpdateRecord): StageValue {
  switch (record.state) {
    case 'admitted':
    case 'sent':
      return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
    case 'accepted':
      return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
    case 'completed':
      return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
  }
}

/** The real server's failure for updates accepted but unfinished when the workflow completes. */
const ACCEPTED_UPDATE_COMPLETED_WORKFLOW: api.failure.v1.IFailure = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

const UNPROCESSED_UPDATE_REJECTION: api.failure.v1.IFailure = {
  message: 'Workflow Update is rejected because it was not processed by the worker.',
  source: 'Server',
  applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
};

export class UpdateRegistry {
  private readonly records = new Map<string, UpdateRecord>();

  constructor(private readonly execution: WorkflowExecution) {}

  /** Admits an update (or finds the one already admitted under that id). */
  admit(request: api.update.v1.IRequest): UpdateRecord {
    const updateId = request.meta?.updateId ?? '';
    const existing = this.records.get(updateId);
    if (existing) return existing;
    this.execution.assertRunning();
    const record: UpdateRecord = { updateId, request, state: 'admitted', listeners: new Set() };
    this.records.set(updateId, record);
    this.execution.workflowTask.ensureScheduled();
    this.execution.env.changed();
    return record;
  }

  get(updateId: string): UpdateRecord | undefined {
    return this.records.get(updateId);
  }

  /** Admitted updates not yet handed to a worker: they require a (new) workflow task. */
  hasUndelivered(): boolean {
    return [...this.records.values()].some((r) => r.state === 'admitted');
  }

  /** Builds the request messages for a starting workflow task (sequenced after startedEventId - 1). */
  deliverTo(task: WorkflowTaskAttempt): api.protocol.v1.IMessage[] {
    const messages: api.protocol.v1.IMessage[] = [];
    for (const record of this.records.values()) {
      if (record.state !== 'admitted') continue;
      record.state = 'sent';
      record.deliveredWithNonce = task.nonce;
      task.deliveredUpdateIds.push(record.updateId);
      messages.push({
        id: `${record.updateId}/request`,
        protocolInstanceId: record.updateId,
        eventId: int64(task.startedEventId - 1),
        body: packAny('temporal.api.update.v1.Request', record.request),
      });
    }
    return messages;
  }

  /** The task carrying these requests failed: they will be re-sent with the next one. */
  requeueFrom(task: WorkflowTaskAttempt): void {
    for (const id of task.deliveredUpdateIds) {
      const record = this.records.get(id);
      if (record?.state === 'sent') record.state = 'admitted';
    }
  }

  accept(message: api.protocol.v1.IMessage, acceptance: api.update.v1.IAcceptance): void {
    const record = this.requireSent(message.protocolInstanceId ?? '');
    const event = this.execution.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
      workflowExecutionUpdateAcceptedEventAttributes: {
        protocolInstanceId: record.updateId,
        acceptedRequestMessageId: acceptance.acceptedRequestMessageId,
        acceptedRequestSequencingEventId: acceptance.acceptedRequestSequencingEventId,
        acceptedRequest: acceptance.acceptedRequest ?? record.request,
      },
    });
    record.state = 'accepted';
    record.acceptedEventId = eventIdOf(event);
    this.notify(record);
  }

  reject(message: api.protocol.v1.IMessage, rejection: api.update.v1.IRejection): void {
    const record = this.requireSent(message.protocolInstanceId ?? '');
    this.complete(record, { failure: rejection.failure });
  }

  respond(message: api.protocol.v1.IMessage, response: api.update.v1.IResponse): void {
    const record = this.records.get(message.protocolInstanceId ?? '');
    if (!record || record.state !== 'accepted') {
      throw new Error(`update ${message.protocolInstanceId} is not in accepted state`);
    }
    this.execution.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
      workflowExecutionUpdateCompletedEventAttributes: {
        meta: response.meta ?? { updateId: record.updateId },
        acceptedEventId: int64(record.acceptedEventId ?? 0),
        outcome: response.outcome,
      },
    });
    this.complete(record, response.outcome ?? {});
  }

  /**
   * Every update request delivered with a task must be accepted or rejected by that task's
   * completion; the real server rejects the ones the worker ignored.
   */
  rejectUnprocessed(task: WorkflowTaskAttempt): void {
    for (const id of task.deliveredUpdateIds) {
      const record = this.records.get(id);
      if (record?.state === 'sent' && record.deliveredWithNonce === task.nonce) {
        this.complete(record, { failure: UNPROCESSED_UPDATE_REJECTION });
      }
    }
  }

  /**
   * The run closed. Accepted updates fail; updates not yet accepted are aborted — with a
   * retryable error when the workflow continued as new (the client's retry lands on the new run).
   */
  onWorkflowClosed(continuedAsNew: boolean): void {
    for (const record of this.records.values()) {
      if (record.state === 'accepted') {
        this.complete(record, { failure: ACCEPTED_UPDATE_COMPLETED_WORKFLOW });
      } else if (record.state === 'admitted' || record.state === 'sent') {
        record.abortError = continuedAsNew
          ? new RpcError(GrpcStatus.UNAVAILABLE, 'workflow operation can not be applied because workflow is closing')
          : workflowAlreadyCompleted();
        this.records.delete(record.updateId);
        this.notify(record);
      }
    }
  }

  /**
   * Resolves once `record` reached `stage` (or the wait times out, answering with the stage
   * reached so far — the client then asks again).
   */
  waitForStage(record: UpdateRecord, stage: StageValue, timeoutMs: number): Promise<api.workflowservice.v1.IUpdateWorkflowExecutionResponse> {
    const respond = (): api.workflowservice.v1.IUpdateWorkflowExecutionResponse => {
      if (record.abortError) throw record.abortError;
      return {
        updateRef: { workflowExecution: this.execution.ref, updateId: record.updateId },
        outcome: record.state === 'completed' ? record.outcome : undefined,
        stage: stageOf(record),
      };
    };
    // A rejected update is complete regardless of the requested stage.
    const reached = () => record.abortError !== undefined || stageOf(record) >= stage || record.state === 'completed';
    if (reached()) return Promise.resolve().then(respond);
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        record.listeners.delete(onChange);
        unwatch();
        try {
          resolve(respond());
        } catch (err) {
          reject(err);
        }
      };
      const onChange = () => {
        if (reached()) settle();
      };
      const timer = setTimeout(settle, timeoutMs);
      timer.unref();
      const unwatch = this.execution.env.strict.watch(this.execution.key, (violation) => {
        clearTimeout(timer);
        record.listeners.delete(onChange);
        unwatch();
        reject(new RpcError(GrpcStatus.FAILED_PRECONDITION, `[in-memory Temporal strict mode] ${violation.message}`));
      });
      record.listeners.add(onChange);
    });
  }

  private requireSent(updateId: string): UpdateRecord {
    const record = this.records.get(updateId);
    if (!record || record.state !== 'sent') throw new Error(`update ${updateId} was not sent to this workflow task`);
    return record;
  }

  private complete(record: UpdateRecord, outcome: api.update.v1.IOutcome): void {
    record.state = 'completed';
    record.outcome = outcome;
    this.notify(record);
  }

  private notify(record: UpdateRecord): void {
    for (const listener of [...record.listeners]) listener();
    this.execution.env.changed();
  }
}

export type { UpdateRecord };
