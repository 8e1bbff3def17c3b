/** Queries and updates (including update-with-start through ExecuteMultiOperation). */
import type { ServiceCore } from '../core';
import { asRpcError, GrpcStatus, invalidArgument, notFound, RpcError, strictModeViolation, workflowAlreadyCompleted } from '../errors';
import type { WorkflowExecution } from '../execution/execution';
import { startWorkflow } from '../execution/start-workflow';
import { Stage, StageValue } from '../execution/updates';
import type { CallContext, HandlerMap } from '../grpc/server';
import { api, packAny, WorkflowExecutionStatus } from '../proto';
import ws = api.workflowservice.v1;

const RejectCondition = api.enums.v1.QueryRejectCondition;

function throwIfViolated(core: ServiceCore, execution: WorkflowExecution): void {
  const violation = core.strict.violationFor(execution.key);
  if (violation) throw strictModeViolation(violation.message);
}

function requestedStage(policy: api.update.v1.IWaitPolicy | null | undefined): StageValue {
  const stage = policy?.lifecycleStage ?? Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
  return stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED
    ? Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
    : stage;
}

/** Admits an update on `execution` and waits for the requested stage. */
async function runUpdate(
  core: ServiceCore,
  execution: WorkflowExecution,
  request: ws.IUpdateWorkflowExecutionRequest,
  call: CallContext,
): Promise<ws.IUpdateWorkflowExecutionResponse> {
  const updateId = request.request?.meta?.updateId;
  if (!updateId) throw invalidArgument('Update ID is not set on request.');
  if (!request.request?.input?.name) throw invalidArgument('Update name is not set on request.');
  const existing = execution.updates.get(updateId);
  if (!existing) {
    if (!execution.isRunning()) throw workflowAlreadyCompleted();
    throwIfViolated(core, execution);
  }
  const record = existing ?? execution.updates.admit(request.request);
  return execution.updates.waitForStage(record, requestedStage(request.waitPolicy), call.longPollMs(core.config.longPollTimeoutMs));
}

function multiOperationFailure(errors: [RpcError | undefined, RpcError | undefined]): RpcError {
  const statuses = errors.map((error) =>
    error
      ? { code: error.code, message: error.message, details: error.details }
      : {
          code: GrpcStatus.ABORTED,
          message: 'Operation was aborted.',
          details: [packAny('temporal.api.failure.v1.MultiOperationExecutionAborted', {})],
        },
  );
  const first = errors.find((e): e is RpcError => e !== undefined)!;
  return new RpcError(first.code, 'Update-with-Start could not be executed.', [
    packAny<api.errordetails.v1.IMultiOperationExecutionFailure>('temporal.api.errordetails.v1.MultiOperationExecutionFailure', {
      statuses,
    }),
  ]);
}

export function interactionApi(
  core: ServiceCore,
): HandlerMap<'QueryWorkflow' | 'UpdateWorkflowExecution' | 'PollWorkflowExecutionUpdate' | 'ExecuteMultiOperation'> {
  const run = (namespace: string | null | undefined, ref: api.common.v1.IWorkflowExecution | null | undefined) =>
    core.store.get(core.namespaces.get(namespace).name, ref?.workflowId ?? '', ref?.runId);

  return {
    QueryWorkflow: async (request: ws.IQueryWorkflowRequest, call: CallContext): Promise<ws.IQueryWorkflowResponse> => {
      const execution = run(request.namespace, request.execution);
      if (!request.query?.queryType) throw invalidArgument('QueryType is not set on request.');
      const condition = request.queryRejectCondition ?? RejectCondition.QUERY_REJECT_CONDITION_NONE;
      const closed = !execution.isRunning();
      if (
        (condition === RejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN && closed) ||
        (condition === RejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY &&
          closed &&
          execution.status !== WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED)
      ) {
        return { queryRejected: { status: execution.status } };
      }
      throwIfViolated(core, execution);
      const answer = await execution.queries.run(request.query, call.longPollMs(core.config.queryTimeoutMs));
      return { queryResult: answer ?? undefined };
    },

    UpdateWorkflowExecution: (request: ws.IUpdateWorkflowExecutionRequest, call: CallContext) =>
      runUpdate(core, run(request.namespace, request.workflowExecution), request, call),

    PollWorkflowExecutionUpdate: (request: ws.IPollWorkflowExecutionUpdateRequest, call: CallContext): Promise<ws.IPollWorkflowExecutionUpdateResponse> => {
      const execution = run(request.namespace, request.updateRef?.workflowExecution);
      const updateId = request.updateRef?.updateId ?? '';
      const record = execution.updates.get(updateId);
      if (!record) throw notFound(`update ${updateId} not found`);
      return execution.updates.waitForStage(record, requestedStage(request.waitPolicy), call.longPollMs(core.config.longPollTimeoutMs));
    },

    ExecuteMultiOperation: async (request: ws.IExecuteMultiOperationRequest, call: CallContext): Promise<ws.IExecuteMultiOperationResponse> => {
      const [first, second] = request.operations ?? [];
      const start = first?.startWorkflow;
      const update = second?.updateWorkflow;
      if (request.operations?.length !== 2 || !start || !update) {
        throw invalidArgument('ExecuteMultiOperation supports exactly [StartWorkflow, UpdateWorkflow] operations.');
      }
      if (update.workflowExecution?.workflowId !== start.workflowId || update.workflowExecution?.runId) {
        throw invalidArgument('Update-with-Start: the update must target the started workflow id, without run id.');
      }
      const namespace = core.namespaces.get(request.namespace);
      let outcome;
      try {
        outcome = startWorkflow(core, namespace, start, {
          defaultConflictPolicy: api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
        });
      } catch (err) {
        throw multiOperationFailure([asRpcError(err), undefined]);
      }
      let updateResponse;
      try {
        updateResponse = await runUpdate(core, outcome.execution, update, call);
      } catch (err) {
        throw multiOperationFailure([undefined, asRpcError(err)]);
      }
      return {
        responses: [
          { startWorkflow: { runId: outcome.execution.runId, started: outcome.started, status: outcome.execution.status } },
          { updateWorkflow: updateResponse },
        ],
      };
    },
  };
}
