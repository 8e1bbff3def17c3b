/** The WorkflowExecutionInfo of a run, as returned by DescribeWorkflowExecution and List APIs. */
import type { WorkflowExecution } from '../execution/execution';
import { api, int64, msToDuration, msToTimestamp } from '../proto';

export function executionInfo(execution: WorkflowExecution): api.workflow.v1.IWorkflowExecutionInfo {
  return {
    execution: execution.ref,
    type: { name: execution.init.workflowType },
    startTime: msToTimestamp(execution.startTime),
    closeTime: execution.closeTime !== undefined ? msToTimestamp(execution.closeTime) : undefined,
    status: execution.status,
    historyLength: int64(execution.history.length),
    executionTime: msToTimestamp(execution.executionTime),
    memo: { fields: execution.memo },
    searchAttributes: { indexedFields: execution.searchAttributes },
    taskQueue: execution.init.taskQueue,
    stateTransitionCount: int64(execution.history.length),
    historySizeBytes: int64(execution.history.encodedSizeBytes),
    executionDuration:
      execution.closeTime !== undefined ? msToDuration(execution.closeTime - execution.executionTime) : undefined,
    rootExecution: execution.ref,
    firstRunId: execution.init.firstExecutionRunId,
    priority: execution.init.priority ?? undefined,
  };
}
