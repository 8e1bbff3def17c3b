/** Tunables of the in-memory service, with the real server's defaults where one exists. */
export interface ServiceConfig {
  /** Start-to-close timeout of a workflow task when the start request sets none. */
  defaultWorkflowTaskTimeoutMs: number;
  /** The server caps workflow task timeouts at 2 minutes. */
  maxWorkflowTaskTimeoutMs: number;
  /** Events per history page (poll responses and GetWorkflowExecutionHistory). */
  historyPageSize: number;
  /** How long PollWorkflowTaskQueue / PollActivityTaskQueue are held without a task. */
  taskPollTimeoutMs: number;
  /** How long GetWorkflowExecutionHistory(waitNewEvent) and update waits are held. */
  longPollTimeoutMs: number;
  /** How long a query waits for a worker's answer. */
  queryTimeoutMs: number;
  /** Default page size of ListWorkflowExecutions. */
  visibilityPageSize: number;
}

export const DEFAULT_CONFIG: ServiceConfig = {
  defaultWorkflowTaskTimeoutMs: 10_000,
  maxWorkflowTaskTimeoutMs: 120_000,
  historyPageSize: 256,
  taskPollTimeoutMs: 60_000,
  longPollTimeoutMs: 20_000,
  queryTimeoutMs: 30_000,
  visibilityPageSize: 1_000,
};
