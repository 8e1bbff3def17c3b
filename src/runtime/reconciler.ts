import type { Client } from '@temporalio/client';
import { RECONCILER_WORKFLOW_ID, type reconcilerWorkflow } from '../workflows/reconciler';

/**
 * Makes sure the deployment's reconciler runs: started if absent, left alone if running (every
 * worker calls this at start; the first one wins). Its interval is fixed per run: to change it,
 * terminate the reconciler and the next worker start begins a new one with the new setting.
 */
export async function ensureReconciler(client: Client, taskQueue: string, intervalMs: number): Promise<void> {
  await client.workflow.start<typeof reconcilerWorkflow>('reconcilerWorkflow', {
    workflowId: RECONCILER_WORKFLOW_ID,
    taskQueue,
    args: [{ intervalMs }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
