/** The workflow test harness: one entry point for every workflow test. */
export { createTestEnv } from './test-env';
export type { TestEnv } from './test-env';
export { bundleWorkflows, runWorker, startWorker, uniqueTaskQueue } from './workers';
export type { RunningWorker, TestWorkerOptions } from './workers';
export { eventually } from './eventually';
