/**
 * Worker-facing workflow task RPCs: polling, completing/failing workflow tasks, answering legacy
 * query tasks, sticky queue management and worker shutdown.
 */
import type { ServiceCore } from '../core';
import { invalidArgument } from '../errors';
import { completeWorkflowTask } from '../execution/completion';
import type { WorkflowExecution } from '../execution/execution';
import { decodeTaskToken, TaskToken } from '../execution/task-token';
import type { CallContext, HandlerMap } from '../grpc/server';
import { api } from '../proto';
import ws = api.workflowservice.v1;

function describeFailure(failure: api.failure.v1.IFailure | null | undefined): string {
  if (!failure) return '(no failure details)';
  const stack = failure.stackTrace ? `\n${failure.stackTrace.split('\n').slice(0, 8).join('\n')}` : '';
  const cause = failure.cause ? `\ncaused by: ${describeFailure(failure.cause)}` : '';
  return `${failure.message ?? ''}${stack}${cause}`;
}

export function workerApi(
  core: ServiceCore,
): HandlerMap<
  | 'PollWorkflowTaskQueue'
  | 'RespondWorkflowTaskCompleted'
  | 'RespondWorkflowTaskFailed'
  | 'RespondQueryTaskCompleted'
  | 'ResetStickyTaskQueue'
  | 'ShutdownWorker'
> {
  const runOf = (token: TaskToken): WorkflowExecution => core.store.get(token.namespace, token.workflowId, token.runId);

  const workflowToken = (bytes: Uint8Array | null | undefined) => {
    const token = decodeTaskToken(bytes);
    if (token.kind !== 'workflow') throw invalidArgument('Task token is not a workflow task token.');
    return token;
  };

  return {
    PollWorkflowTaskQueue: async (request: ws.IPollWorkflowTaskQueueRequest, call: CallContext): Promise<ws.IPollWorkflowTaskQueueResponse> => {
      const namespace = core.namespaces.get(request.namespace);
      const queueName = request.taskQueue?.name;
      if (!queueName) throw invalidArgument('TaskQueue is not set on request.');
      const response = await core.matching.pollWorkflowTask(namespace.name, queueName, {
        identity: request.identity ?? '',
        timeoutMs: call.longPollMs(core.config.taskPollTimeoutMs),
        isGone: () => call.isCancelled(),
        onGone: (callback) => call.onCancelled(callback),
      });
      return response ?? {};
    },

    RespondWorkflowTaskCompleted: (request: ws.IRespondWorkflowTaskCompletedRequest) => {
      const token = workflowToken(request.taskToken);
      return completeWorkflowTask(runOf(token), token, request);
    },

    RespondWorkflowTaskFailed: (request: ws.IRespondWorkflowTaskFailedRequest): ws.IRespondWorkflowTaskFailedResponse => {
      const token = workflowToken(request.taskToken);
      const execution = runOf(token);
      const task = execution.workflowTask.startedTaskFor(token);
      const cause = api.enums.v1.WorkflowTaskFailedCause[request.cause ?? 0] ?? String(request.cause);
      core.strict.record({
        kind: 'workflow-task-failed',
        message:
          `Worker failed a workflow task of ${execution.init.workflowType} (workflowId=${execution.workflowId}, ` +
          `attempt ${task.attempt}) with cause ${cause}: ${describeFailure(request.failure)}`,
        executionKey: execution.key,
      });
      execution.workflowTask.fail(task, {
        cause: request.cause ?? api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED,
        failure: request.failure,
        identity: request.identity ?? '',
      });
      return {};
    },

    RespondQueryTaskCompleted: (request: ws.IRespondQueryTaskCompletedRequest): ws.IRespondQueryTaskCompletedResponse => {
      const token = decodeTaskToken(request.taskToken);
      if (token.kind !== 'query') throw invalidArgument('Task token is not a query task token.');
      runOf(token).queries.respondLegacy(token.queryId, request);
      return {};
    },

    ResetStickyTaskQueue: (request: ws.IResetStickyTaskQueueRequest): ws.IResetStickyTaskQueueResponse => {
      const namespace = core.namespaces.get(request.namespace);
      core.store.get(namespace.name, request.execution?.workflowId ?? '', request.execution?.runId).workflowTask.resetSticky();
      return {};
    },

    ShutdownWorker: (request: ws.IShutdownWorkerRequest): ws.IShutdownWorkerResponse => {
      const namespace = core.namespaces.get(request.namespace);
      const sticky = request.stickyTaskQueue;
      if (sticky) {
        core.matching.shutdownStickyQueue(namespace.name, sticky);
        for (const execution of core.store.all(namespace.name)) {
          if (execution.sticky?.queue === sticky) execution.workflowTask.resetSticky();
        }
      }
      return {};
    },
  };
}
