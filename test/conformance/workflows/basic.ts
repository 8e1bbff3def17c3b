/** Minimal workflows for the lifecycle conformance tests. */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';

export async function greet(name: string): Promise<string> {
  return `hello ${name}`;
}

export async function failing(message: string): Promise<never> {
  throw ApplicationFailure.nonRetryable(message, 'ConformanceFailure');
}

export async function info(): Promise<{ workflowId: string; runId: string; firstExecutionRunId: string; attempt: number; taskQueue: string }> {
  const { workflowId, runId, firstExecutionRunId, attempt, taskQueue } = workflowInfo();
  return { workflowId, runId, firstExecutionRunId, attempt, taskQueue };
}

/** Fails its first attempt; with a workflow retry policy the server retries it as a new run. */
export async function failFirstAttempt(): Promise<number> {
  const { attempt } = workflowInfo();
  if (attempt === 1) throw ApplicationFailure.retryable('first attempt fails', 'FirstAttempt');
  return attempt;
}
