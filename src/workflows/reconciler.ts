/**
 * One long-running reconciler per deployment: every interval it has every open ticket checked
 * against its source and CRM (one activity), so a webhook lost in transit costs one interval.
 * Its own history grows by a handful of events a round; it continues as new long before that
 * matters.
 */
import { continueAsNew, log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { ReconcilerActivities } from '../activities/reconcile';

export const RECONCILER_WORKFLOW_ID = 'ticket-bridge/reconciler';

export interface ReconcilerInput {
  intervalMs: number;
  /** Rounds per run before continue-as-new (bounded history). */
  roundsPerRun?: number;
}

const { reconcileOpenTickets } = proxyActivities<ReconcilerActivities>({
  // A round touches every open ticket; the heartbeat proves it is alive while it works.
  startToCloseTimeout: '30m',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export async function reconcilerWorkflow(input: ReconcilerInput): Promise<void> {
  const rounds = input.roundsPerRun ?? 100;
  for (let round = 0; round < rounds; round++) {
    const summary = await reconcileOpenTickets();
    if (summary.haltedOnMassNotFound) log.error('reconcile round halted', { ...summary });
    else if (summary.sourceSignals + summary.crmSignals + summary.failed > 0) log.info('reconcile round', { ...summary });
    await sleep(input.intervalMs);
    if (workflowInfo().continueAsNewSuggested) break;
  }
  await continueAsNew<typeof reconcilerWorkflow>(input);
}
