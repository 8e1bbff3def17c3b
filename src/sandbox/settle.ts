/**
 * The sandbox's "look at both sides" routes show a ticket once the bridge has done its part: a
 * person pastes a check line right after an action, and must see what the tour's comment says,
 * not a half-finished sync. So such a route first waits, a few seconds at most (as the play
 * routes do, ./play.ts), until nothing is in flight for that ticket:
 *  - no webhook of a simulator still on its way to the bridge (an echo of the bridge's own
 *    write in Zendesk is sent in the background, as Zendesk does), and
 *  - no webhook waits in the API's inbox for Temporal, and
 *  - the ticket's workflow has no workflow task and no activity pending (describe).
 * A webhook the bridge answered is a signal in the workflow's history, and a write the bridge
 * makes emits its webhook before the activity completes: checked in that order, with no new
 * webhook emitted meanwhile, nothing can be in flight unseen.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { WebhookOutbox } from '../simulators/common/webhooks';
import { waitFor } from './play';

/** Whether the ticket's workflow has nothing to do right now (true too when it does not exist). */
export type WorkflowIdle = (workflowId: string) => Promise<boolean>;

/**
 * Idle: no webhook waits in the API's inbox (one Temporal did not take in time, a busy machine,
 * is delivered later: it is in flight too), and the workflow has no task nor activity pending.
 */
export function workflowIdleProbe(client: Client, inbox?: { stats(): { entries: number } }): WorkflowIdle {
  return async (workflowId) => {
    if (inbox && inbox.stats().entries > 0) return false;
    try {
      const { raw } = await client.workflow.getHandle(workflowId).describe();
      return (raw.pendingActivities ?? []).length === 0 && !raw.pendingWorkflowTask;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  };
}

/** Waits until nothing is in flight for the ticket's workflow (bounded); false if something still is. */
export type Settled = (workflowId: string) => Promise<boolean>;

export class BridgeSettling {
  private idle: WorkflowIdle | null = null;

  constructor(private readonly outboxes: ReadonlyArray<Pick<WebhookOutbox<unknown>, 'emitted' | 'inFlightCount'>>) {}

  /** Set once the API's Temporal client exists; until then the routes do not wait. */
  follow(idle: WorkflowIdle): void {
    this.idle = idle;
  }

  /** Waits (at most `waitMs`) until nothing is in flight for the ticket; false if it still is then. */
  async settled(workflowId: string, waitMs: number): Promise<boolean> {
    const idle = this.idle;
    if (!idle) return true;
    try {
      const quiet = await waitFor(async () => {
        const emitted = this.emittedCount();
        if (this.outboxes.some((o) => o.inFlightCount() > 0)) return false;
        if (!(await idle(workflowId))) return false;
        return this.emittedCount() === emitted;
      }, waitMs);
      return quiet === true;
    } catch {
      // Temporal does not answer: show what the simulators hold now rather than an error.
      return false;
    }
  }

  private emittedCount(): number {
    return this.outboxes.reduce((n, o) => n + o.emitted.length, 0);
  }
}
