/**
 * Worker helpers: bundle workflow code once per test file, and run one worker in the background
 * for all the tests of a file (starting a worker costs far more than a test).
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, Worker, WorkerOptions, WorkflowBundle } from '@temporalio/worker';
import { cacheEnabled, readCachedBundle, writeCachedBundle } from './bundle-cache';
import type { TestEnv } from './test-env';

const bundles = new Map<string, Promise<WorkflowBundle>>();

/**
 * Bundles `workflowsPath` (webpack, ~2 s) once: reused within the test file, and across test
 * files and runs through the on-disk cache (see bundle-cache.ts).
 */
export function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundle> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = buildOrReuse(workflowsPath);
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

async function buildOrReuse(workflowsPath: string): Promise<WorkflowBundle> {
  if (!cacheEnabled()) return bundleWorkflowCode({ workflowsPath, logger: silentBundlerLogger });
  const cached = readCachedBundle(workflowsPath);
  if (cached.code !== undefined) return { code: cached.code };
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: silentBundlerLogger });
  writeCachedBundle(cached.key, bundle.code);
  return bundle;
}

const silentBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
  error: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
};

export function uniqueTaskQueue(prefix = 'tq'): string {
  return `${prefix}-${randomUUID()}`;
}

export interface RunningWorker {
  readonly worker: Worker;
  readonly taskQueue: string;
  /** Shuts the worker down and waits for it to stop; rethrows a fatal worker error. */
  stop(): Promise<void>;
}

export type TestWorkerOptions = Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue'> & { taskQueue?: string };

/** Creates a worker on the env's connection and runs it in the background until `stop()`. */
export async function startWorker(env: TestEnv, options: TestWorkerOptions): Promise<RunningWorker> {
  const taskQueue = options.taskQueue ?? uniqueTaskQueue();
  const worker = await Worker.create({
    ...options,
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
  });
  const running = worker.run();
  return {
    worker,
    taskQueue,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** Runs `fn` while `worker` runs (SDK `runUntil`), for tests that own their worker. */
export function runWorker<T>(worker: Worker, fn: () => Promise<T>): Promise<T> {
  return worker.runUntil(fn);
}
