/**
 * All workflow runs of the service, indexed by namespace + workflow id (run chains) and run id.
 */
import { workflowNotFound } from '../errors';
import type { WorkflowExecution } from './execution';

export class ExecutionStore {
  /** Runs per `namespace/workflowId`, oldest first: the last one is the current run. */
  private readonly chains = new Map<string, WorkflowExecution[]>();
  private readonly byRunId = new Map<string, WorkflowExecution>();

  private static chainKey(namespace: string, workflowId: string): string {
    return `${namespace}/${workflowId}`;
  }

  add(execution: WorkflowExecution): void {
    const key = ExecutionStore.chainKey(execution.namespace, execution.workflowId);
    const chain = this.chains.get(key) ?? [];
    chain.push(execution);
    this.chains.set(key, chain);
    this.byRunId.set(`${execution.namespace}/${execution.runId}`, execution);
  }

  current(namespace: string, workflowId: string): WorkflowExecution | undefined {
    const chain = this.chains.get(ExecutionStore.chainKey(namespace, workflowId));
    return chain?.[chain.length - 1];
  }

  /** The given run, or the current run when `runId` is empty; NOT_FOUND otherwise. */
  get(namespace: string, workflowId: string, runId?: string | null): WorkflowExecution {
    const execution = runId ? this.byRunId.get(`${namespace}/${runId}`) : this.current(namespace, workflowId);
    if (!execution || execution.workflowId !== workflowId) throw workflowNotFound(workflowId, runId ?? undefined);
    return execution;
  }

  /** Every run of a namespace (visibility). */
  all(namespace: string): WorkflowExecution[] {
    return [...this.byRunId.values()].filter((e) => e.namespace === namespace);
  }
}
