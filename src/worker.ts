/**
 * The Temporal worker that runs ticket workflows and their activities.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';

export interface BridgeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The ticket activities (and the reconciler's, where this worker runs it). */
  activities: object;
  /** Extra worker options (tests set `maxCachedWorkflows`, a prebuilt `workflowBundle`, ...). */
  overrides?: Partial<WorkerOptions>;
}

/** Where the workflow bundle starts: resolved next to this file, in .ts (dev, tests) and .js (built). */
export const WORKFLOWS_PATH = require.resolve('./workflows');

export function createBridgeWorker(options: BridgeWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, activities, overrides } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    ...(overrides?.workflowBundle ? {} : { workflowsPath: WORKFLOWS_PATH }),
    ...overrides,
  });
}
