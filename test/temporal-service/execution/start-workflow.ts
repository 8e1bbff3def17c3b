/**
 * Starting a workflow: request validation, the workflow-id reuse policy (against a closed
 * previous run), the workflow-id conflict policy (against a running one), request-id dedupe, and
 * the WorkflowExecutionAlreadyStarted errors the real server raises.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceCore } from '../core';
import { invalidArgument, workflowExecutionAlreadyStarted } from '../errors';
import type { NamespaceRecord } from '../namespaces';
import { api, durationMs, Header, Payloads, WorkflowExecutionStatus } from '../proto';
import type { RunInit, WorkflowExecution } from './execution';

const ReusePolicy = api.enums.v1.WorkflowIdReusePolicy;
const ConflictPolicy = api.enums.v1.WorkflowIdConflictPolicy;
type ConflictPolicyValue = api.enums.v1.WorkflowIdConflictPolicy;

/** The fields common to StartWorkflowExecution and SignalWithStartWorkflowExecution requests. */
export interface StartRequest {
  workflowId?: string | null;
  workflowType?: api.common.v1.IWorkflowType | null;
  taskQueue?: api.taskqueue.v1.ITaskQueue | null;
  input?: Payloads | null;
  workflowExecutionTimeout?: api.workflowservice.v1.IStartWorkflowExecutionRequest['workflowExecutionTimeout'];
  workflowRunTimeout?: api.workflowservice.v1.IStartWorkflowExecutionRequest['workflowRunTimeout'];
  workflowTaskTimeout?: api.workflowservice.v1.IStartWorkflowExecutionRequest['workflowTaskTimeout'];
  identity?: string | null;
  requestId?: string | null;
  workflowIdReusePolicy?: api.enums.v1.WorkflowIdReusePolicy | null;
  workflowIdConflictPolicy?: api.enums.v1.WorkflowIdConflictPolicy | null;
  retryPolicy?: api.common.v1.IRetryPolicy | null;
  cronSchedule?: string | null;
  memo?: api.common.v1.IMemo | null;
  searchAttributes?: api.common.v1.ISearchAttributes | null;
  header?: Header | null;
  workflowStartDelay?: api.workflowservice.v1.IStartWorkflowExecutionRequest['workflowStartDelay'];
  userMetadata?: api.sdk.v1.IUserMetadata | null;
  priority?: api.common.v1.IPriority | null;
}

export interface StartOutcome {
  execution: WorkflowExecution;
  /** False when an existing run was returned (USE_EXISTING, or a retried request id). */
  started: boolean;
}

const FAILED_STATUSES = new Set<api.enums.v1.WorkflowExecutionStatus>([
  WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
  WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
  WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
]);

export function validateStartRequest(request: StartRequest): void {
  if (!request.workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (!request.workflowType?.name) throw invalidArgument('WorkflowType is not set on request.');
  if (!request.taskQueue?.name) throw invalidArgument('TaskQueue is not set on request.');
  if (request.cronSchedule) throw invalidArgument('cron schedules are not supported by the in-memory Temporal test service');
}

function runInitFrom(core: ServiceCore, namespace: NamespaceRecord, request: StartRequest): RunInit {
  const runId = randomUUID();
  const now = core.clock.now();
  const executionTimeoutMs = durationMs(request.workflowExecutionTimeout);
  const taskTimeoutMs = Math.min(
    durationMs(request.workflowTaskTimeout) ?? core.config.defaultWorkflowTaskTimeoutMs,
    core.config.maxWorkflowTaskTimeoutMs,
  );
  return {
    workflowId: request.workflowId!,
    runId,
    workflowType: request.workflowType!.name!,
    taskQueue: request.taskQueue!.name!,
    input: request.input,
    header: request.header,
    memo: { ...(request.memo?.fields ?? {}) },
    searchAttributes: namespace.searchAttributes.merge({}, request.searchAttributes),
    workflowExecutionTimeoutMs: executionTimeoutMs,
    workflowRunTimeoutMs: durationMs(request.workflowRunTimeout) ?? executionTimeoutMs,
    workflowTaskTimeoutMs: taskTimeoutMs,
    retryPolicy: request.retryPolicy,
    identity: request.identity ?? '',
    requestId: request.requestId || randomUUID(),
    firstExecutionRunId: runId,
    attempt: 1,
    firstWorkflowTaskBackoffMs: durationMs(request.workflowStartDelay),
    executionExpiresAt: executionTimeoutMs !== undefined ? now + executionTimeoutMs : undefined,
    userMetadata: request.userMetadata,
    priority: request.priority,
  };
}

function runningMessage(existing: WorkflowExecution): string {
  return `Workflow execution is already running. WorkflowId: ${existing.workflowId}, RunId: ${existing.runId}.`;
}

/**
 * Starts a run, or applies the id policies against the current run of the same workflow id.
 * `defaultConflictPolicy` differs per API: FAIL for start, USE_EXISTING for signal-with-start.
 */
export function startWorkflow(
  core: ServiceCore,
  namespace: NamespaceRecord,
  request: StartRequest,
  options: { defaultConflictPolicy: ConflictPolicyValue; initialSignal?: RunInit['initialSignal'] },
): StartOutcome {
  validateStartRequest(request);
  const existing = core.store.current(namespace.name, request.workflowId!);
  const requestId = request.requestId ?? '';
  // A retried request (same request id) gets the run it created, whatever the policies say.
  if (existing && requestId && existing.requestIds.has(requestId)) return { execution: existing, started: true };

  let reusePolicy = request.workflowIdReusePolicy ?? ReusePolicy.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
  let conflictPolicy = request.workflowIdConflictPolicy || options.defaultConflictPolicy;
  if (reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
    // Deprecated spelling of "terminate the running one, allow duplicates".
    reusePolicy = ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
    conflictPolicy = ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
  }

  if (existing?.isRunning()) {
    switch (conflictPolicy) {
      case ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING:
        return { execution: existing, started: false };
      case ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING:
        existing.terminate({ reason: 'terminated by new runID', identity: request.identity ?? '' });
        break;
      default:
        throw workflowExecutionAlreadyStarted(runningMessage(existing), existing.init.requestId, existing.runId);
    }
  } else if (existing) {
    if (reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
      throw workflowExecutionAlreadyStarted(
        `Workflow execution already finished and Workflow ID reuse policy does not allow starting a new one. WorkflowId: ${existing.workflowId}, RunId: ${existing.runId}.`,
        existing.init.requestId,
        existing.runId,
      );
    }
    if (reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY && !FAILED_STATUSES.has(existing.status)) {
      throw workflowExecutionAlreadyStarted(
        `Workflow execution already finished successfully. WorkflowId: ${existing.workflowId}, RunId: ${existing.runId}. Workflow ID reuse policy: allow duplicate workflow ID if last run failed.`,
        existing.init.requestId,
        existing.runId,
      );
    }
  }

  const init = runInitFrom(core, namespace, request);
  init.initialSignal = options.initialSignal;
  return { execution: core.startRun(namespace, init), started: true };
}
