/**
 * The commands that close a run: complete, fail (retried as a new run when the workflow has a
 * retry policy), cancel, and continue-as-new (memo and search attributes carried over unless the
 * command replaces them).
 */
import { randomUUID } from 'node:crypto';
import { api, durationMs, EventType, int64, RetryState, WorkflowExecutionStatus, WorkflowTaskFailedCause } from '../proto';
import { CommandHandler, reject } from './command-types';
import type { RunInit, WorkflowExecution } from './execution';
import { decideRetry, normalizeRetryPolicy } from './retry-policy';

export const completeWorkflow: CommandHandler = {
  apply(command, _index, context) {
    const execution = context.execution;
    const event = execution.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
      workflowExecutionCompletedEventAttributes: {
        result: command.completeWorkflowExecutionCommandAttributes?.result ?? undefined,
        workflowTaskCompletedEventId: int64(context.completedEventId),
      },
    });
    execution.close(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, event);
  },
};

export const failWorkflow: CommandHandler = {
  apply(command, _index, context) {
    const execution = context.execution;
    const failure = command.failWorkflowExecutionCommandAttributes?.failure ?? { message: 'workflow failed' };
    // A workflow with a retry policy is retried as a new run of the same workflow id.
    const policy = execution.init.retryPolicy ? normalizeRetryPolicy(execution.init.retryPolicy) : undefined;
    const decision = policy
      ? decideRetry({ policy, attempt: execution.init.attempt, failure, now: execution.env.clock.now(), expiresAt: execution.init.executionExpiresAt })
      : ({ retry: false, retryState: RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET } as const);
    const newRunId = decision.retry ? randomUUID() : '';
    const event = execution.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
      workflowExecutionFailedEventAttributes: {
        failure,
        retryState: decision.retry ? RetryState.RETRY_STATE_IN_PROGRESS : decision.retryState,
        workflowTaskCompletedEventId: int64(context.completedEventId),
        newExecutionRunId: newRunId,
      },
    });
    execution.close(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED, event);
    if (decision.retry) {
      execution.env.startNextRun(execution, {
        ...nextRunBase(execution, newRunId),
        attempt: execution.init.attempt + 1,
        initiator: api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
        continuedFailure: failure,
        firstWorkflowTaskBackoffMs: decision.delayMs,
      });
    }
  },
};

export const cancelWorkflow: CommandHandler = {
  apply(command, _index, context) {
    const execution = context.execution;
    const event = execution.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
      workflowExecutionCanceledEventAttributes: {
        details: command.cancelWorkflowExecutionCommandAttributes?.details ?? undefined,
        workflowTaskCompletedEventId: int64(context.completedEventId),
      },
    });
    execution.close(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED, event);
  },
};

export const continueAsNew: CommandHandler = {
  validate(command, _index, state) {
    const attrs = command.continueAsNewWorkflowExecutionCommandAttributes ?? {};
    try {
      state.execution.env.namespace.searchAttributes.merge({}, attrs.searchAttributes);
      return undefined;
    } catch (err) {
      return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, (err as Error).message);
    }
  },
  apply(command, _index, context) {
    const execution = context.execution;
    const attrs = command.continueAsNewWorkflowExecutionCommandAttributes ?? {};
    const newRunId = randomUUID();
    const base = nextRunBase(execution, newRunId);
    // Memo and search attributes carry over unless the command replaces them.
    const init: RunInit = {
      ...base,
      workflowType: attrs.workflowType?.name || base.workflowType,
      taskQueue: attrs.taskQueue?.name || base.taskQueue,
      input: attrs.input,
      header: attrs.header ?? undefined,
      memo: attrs.memo ? { ...(attrs.memo.fields ?? {}) } : base.memo,
      searchAttributes: attrs.searchAttributes
        ? execution.env.namespace.searchAttributes.merge({}, attrs.searchAttributes)
        : base.searchAttributes,
      workflowRunTimeoutMs: durationMs(attrs.workflowRunTimeout) ?? base.workflowRunTimeoutMs,
      workflowTaskTimeoutMs: durationMs(attrs.workflowTaskTimeout) ?? base.workflowTaskTimeoutMs,
      retryPolicy: attrs.retryPolicy ?? base.retryPolicy,
      initiator: attrs.initiator ?? api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      continuedFailure: attrs.failure ?? undefined,
      lastCompletionResult: attrs.lastCompletionResult ?? undefined,
      firstWorkflowTaskBackoffMs: durationMs(attrs.backoffStartInterval),
      attempt: 1,
    };
    const event = execution.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
      workflowExecutionContinuedAsNewEventAttributes: {
        newExecutionRunId: newRunId,
        workflowType: { name: init.workflowType },
        taskQueue: { name: init.taskQueue, kind: api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        header: init.header ?? undefined,
        input: init.input ?? undefined,
        workflowRunTimeout: attrs.workflowRunTimeout ?? undefined,
        workflowTaskTimeout: attrs.workflowTaskTimeout ?? undefined,
        workflowTaskCompletedEventId: int64(context.completedEventId),
        backoffStartInterval: attrs.backoffStartInterval ?? undefined,
        initiator: init.initiator,
        lastCompletionResult: init.lastCompletionResult ?? undefined,
        memo: { fields: init.memo },
        searchAttributes: { indexedFields: init.searchAttributes },
      },
    });
    execution.close(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, event);
    execution.env.startNextRun(execution, init);
  },
};

/** The parts of a next run's init inherited from the current run. */
function nextRunBase(execution: WorkflowExecution, runId: string): RunInit {
  const init = execution.init;
  return {
    ...init,
    runId,
    memo: { ...execution.memo },
    searchAttributes: { ...execution.searchAttributes },
    identity: init.identity,
    requestId: randomUUID(),
    continuedExecutionRunId: execution.runId,
    initialSignal: undefined,
    firstWorkflowTaskBackoffMs: undefined,
  };
}

