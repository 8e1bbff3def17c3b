/** Client-facing lifecycle RPCs: start, signal, signal-with-start, cancel, terminate, describe. */
import type { ServiceCore } from '../core';
import { invalidArgument } from '../errors';
import { startWorkflow } from '../execution/start-workflow';
import type { HandlerMap } from '../grpc/server';
import { api, msToDuration, msToTimestamp, optionalDuration } from '../proto';
import { executionInfo } from '../visibility/execution-info';
import ws = api.workflowservice.v1;

const ConflictPolicy = api.enums.v1.WorkflowIdConflictPolicy;

export function workflowApi(
  core: ServiceCore,
): HandlerMap<
  | 'StartWorkflowExecution'
  | 'SignalWorkflowExecution'
  | 'SignalWithStartWorkflowExecution'
  | 'RequestCancelWorkflowExecution'
  | 'TerminateWorkflowExecution'
  | 'DescribeWorkflowExecution'
> {
  const execution = (namespace: string | null | undefined, ref: api.common.v1.IWorkflowExecution | null | undefined) =>
    core.store.get(core.namespaces.get(namespace).name, ref?.workflowId ?? '', ref?.runId);

  return {
    StartWorkflowExecution: (request: ws.IStartWorkflowExecutionRequest): ws.IStartWorkflowExecutionResponse => {
      // Eager start is not advertised (eagerWorkflowStart: false): `requestEagerExecution` is ignored.
      const namespace = core.namespaces.get(request.namespace);
      const outcome = startWorkflow(core, namespace, request, {
        defaultConflictPolicy: ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
      });
      return {
        runId: outcome.execution.runId,
        started: outcome.started,
        status: outcome.execution.status,
      };
    },

    SignalWorkflowExecution: (request: ws.ISignalWorkflowExecutionRequest): ws.ISignalWorkflowExecutionResponse => {
      if (!request.signalName) throw invalidArgument('SignalName is not set on request.');
      execution(request.namespace, request.workflowExecution).signal({
        signalName: request.signalName,
        input: request.input,
        header: request.header,
        identity: request.identity ?? '',
        requestId: request.requestId ?? undefined,
      });
      return {};
    },

    SignalWithStartWorkflowExecution: (request: ws.ISignalWithStartWorkflowExecutionRequest): ws.ISignalWithStartWorkflowExecutionResponse => {
      if (!request.signalName) throw invalidArgument('SignalName is not set on request.');
      if (request.workflowIdConflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL) {
        throw invalidArgument('SignalWithStartWorkflowExecution does not support WorkflowIdConflictPolicy FAIL.');
      }
      const namespace = core.namespaces.get(request.namespace);
      const existing = core.store.current(namespace.name, request.workflowId ?? '');
      const useExisting =
        existing?.isRunning() &&
        request.workflowIdConflictPolicy !== ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING &&
        request.workflowIdReusePolicy !== api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING;
      if (existing && useExisting) {
        existing.signal({
          signalName: request.signalName,
          input: request.signalInput,
          header: request.header,
          identity: request.identity ?? '',
          requestId: request.requestId ?? undefined,
        });
        return { runId: existing.runId, started: false };
      }
      const outcome = startWorkflow(core, namespace, request, {
        defaultConflictPolicy: ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
        initialSignal: {
          name: request.signalName,
          input: request.signalInput,
          header: request.header,
          identity: request.identity ?? '',
        },
      });
      return { runId: outcome.execution.runId, started: outcome.started };
    },

    RequestCancelWorkflowExecution: (request: ws.IRequestCancelWorkflowExecutionRequest): ws.IRequestCancelWorkflowExecutionResponse => {
      execution(request.namespace, request.workflowExecution).requestCancel({
        reason: request.reason ?? '',
        identity: request.identity ?? '',
        requestId: request.requestId ?? undefined,
      });
      return {};
    },

    TerminateWorkflowExecution: (request: ws.ITerminateWorkflowExecutionRequest): ws.ITerminateWorkflowExecutionResponse => {
      execution(request.namespace, request.workflowExecution).terminate({
        reason: request.reason ?? '',
        details: request.details,
        identity: request.identity ?? '',
      });
      return {};
    },

    DescribeWorkflowExecution: (request: ws.IDescribeWorkflowExecutionRequest): ws.IDescribeWorkflowExecutionResponse => {
      const run = execution(request.namespace, request.execution);
      const task = run.workflowTask.current;
      return {
        executionConfig: {
          taskQueue: { name: run.init.taskQueue, kind: api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          workflowExecutionTimeout: optionalDuration(run.init.workflowExecutionTimeoutMs),
          workflowRunTimeout: optionalDuration(run.init.workflowRunTimeoutMs),
          defaultWorkflowTaskTimeout: msToDuration(run.init.workflowTaskTimeoutMs),
        },
        workflowExecutionInfo: executionInfo(run),
        pendingActivities: run.activities.describePending(),
        pendingChildren: [],
        pendingWorkflowTask: task
          ? {
              state:
                task.phase === 'started'
                  ? api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
                  : api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
              scheduledTime: msToTimestamp(task.scheduledAt),
              originalScheduledTime: msToTimestamp(task.scheduledAt),
              startedTime: task.startedAt !== undefined ? msToTimestamp(task.startedAt) : undefined,
              attempt: task.attempt,
            }
          : undefined,
        workflowExtendedInfo: {
          cancelRequested: run.cancelRequested,
          originalStartTime: msToTimestamp(run.startTime),
          resetRunId: '',
          requestIdInfos: {},
          lastResetTime: undefined,
        },
      };
    },
  };
}

