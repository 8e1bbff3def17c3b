/** Workflows that misbehave on purpose, for the strict-mode tests. */
import { executeChild, sleep } from '@temporalio/workflow';

/** Throws a plain (non-Temporal) error: the worker fails the workflow task, over and over. */
export async function buggy(): Promise<void> {
  await sleep(1);
  throw new TypeError('a bug in workflow code');
}

/** Uses child workflows, which the in-memory service does not implement. */
export async function withChild(): Promise<string> {
  return executeChild(childOfWithChild);
}

export async function childOfWithChild(): Promise<string> {
  return 'child';
}
