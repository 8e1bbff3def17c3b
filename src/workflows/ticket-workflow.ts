/**
 * One long-running workflow per source ticket. Signals only mark work as pending; a single loop
 * does the work, so notifications that arrive during a sync are coalesced into the next one,
 * and duplicates or reordering do no harm: every sync reads the source (and the CRM) back and
 * lets the pure lifecycle decide what to write (see ./ticket-sync).
 */
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  closeUpdate,
  DEFAULT_WORKFLOW_SETTINGS,
  crmChangedSignal,
  resyncUpdate,
  sourceChangedSignal,
  stateQuery,
  type TicketStateView,
  type TicketWorkflowInput,
  type TicketWorkflowSettings,
} from './definitions';
import { onCrmNotification, onSourceNotification, validateOperatorRequest } from './intake';
import { hasWork, initialMemory, mergeWork, NO_WORK, toStateView, upgradeMemory, type PendingWork, type TicketMemory } from './memory';
import { StatusPublisher } from './status-publisher';
import { TicketSync } from './ticket-sync';
import { record, sideName } from './timeline';


/** After a sync failed for good (a 4xx), try again later rather than never: doubling, at most hourly. */
function syncRetryDelayMs(firstMs: number, failedSyncs: number): number {
  return Math.min(60 * 60_000, firstMs * 2 ** Math.max(0, failedSyncs - 1));
}

/** The marker of the v2 sync rules (see `SyncRules`); runs started before it replay with v1. */
export const SYNC_V2_PATCH = 'sync-v2';
/** The marker of the v3 sync rules (one decision from both reads, conditional writes, adoption). */
export const SYNC_V3_PATCH = 'sync-v3';

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketStateView> {
  const settings: TicketWorkflowSettings = { ...DEFAULT_WORKFLOW_SETTINGS, ...input.settings };
  const memory: TicketMemory = input.carried ? upgradeMemory(input.carried as Partial<TicketMemory>) : initialMemory();
  const rules = { v2: patched(SYNC_V2_PATCH), v3: patched(SYNC_V3_PATCH) };
  const publisher = new StatusPublisher(input, rules.v3);
  const syncer = new TicketSync(input, settings, memory, () => publisher.publish(memory), rules);
  let retrySyncAt: number | null = hasWork(memory.deferred) ? Date.now() : null;
  /** History is long enough for a new run; it starts once no update handler is mid-flight. */
  let newRunDue = false;

  /** Syncs finished; an update waits for the first sync that starts after it arrived. */
  let finishedSyncs = memory.counts.syncs;
  const runSoon = async (work: Partial<PendingWork>): Promise<TicketStateView> => {
    const target = memory.counts.syncs + 1;
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, ...work });
    // The ticket may complete before that sync starts (the user confirmed meanwhile): answer then too.
    await condition(() => finishedSyncs >= target || memory.lifecycle.completed);
    return toStateView(input, memory);
  };

  // Descriptions show beside each handler in the Temporal UI and `temporal workflow metadata`.
  setHandler(
    sourceChangedSignal,
    (notification) => {
      if (onSourceNotification(memory, notification)) record(memory, 'received', `${sideName(input.source)}: ticket ${notification.kind}`);
    },
    { description: 'The source (app) says the ticket changed: read it back and sync.' },
  );
  setHandler(
    crmChangedSignal,
    (notification) => {
      if (onCrmNotification(memory, notification.eventId)) record(memory, 'received', `Zendesk: ticket ${notification.crmTicketId} changed`);
    },
    { description: 'The CRM (Zendesk) says its ticket changed: read it back and sync.' },
  );
  setHandler(stateQuery, () => toStateView(input, memory), {
    description: 'Status on each side, CRM ticket, SOLVED deadline, last error, counts and timeline. No personal data.',
  });
  setHandler(
    resyncUpdate,
    (request) => {
      record(memory, 'operator', `resync requested${request.reason ? `: ${request.reason}` : ''}`);
      return runSoon({ source: true, crm: true });
    },
    {
      validator: (request) => validateOperatorRequest(memory, request.reason, false),
      description: 'Read both sides and sync now (a webhook was lost, a remote was fixed); returns the state after it.',
    },
  );
  setHandler(
    closeUpdate,
    (request) => {
      record(memory, 'operator', `close requested: ${request.reason}`);
      return runSoon({ closeReason: request.reason });
    },
    {
      validator: (request) => validateOperatorRequest(memory, request.reason, true),
      description: 'Close the ticket on both sides now, with an internal note giving the reason.',
    },
  );
  publisher.publish(memory);

  while (!memory.lifecycle.completed) {
    const deadline = earliest(memory.lifecycle.solvedTimerDeadline, retrySyncAt, memory.sourceRecheckAt);
    // The timer's summary tells an operator in the Temporal UI what the ticket is waiting for.
    const summary =
      deadline === retrySyncAt
        ? 'retry the failed sync'
        : deadline === memory.sourceRecheckAt
          ? 'read the source again: confirm the 404 before taking the ticket as deleted'
          : 'SOLVED auto-close (no confirmation from the user)';
    // Also wake to continue-as-new once an update that held it back has finished.
    const ready = () => hasWork(memory.pending) || (newRunDue && allHandlersFinished());
    const woken =
      deadline === null ? (await condition(ready), true) : await condition(ready, Math.max(1, deadline - Date.now()), { summary });
    if (newRunDue && allHandlersFinished() && !hasWork(memory.pending)) {
      await continueAsNew<typeof ticketWorkflow>({ ...input, carried: memory });
    }

    if (!woken && rules.v2) {
      // Every deadline becomes work for the one sync below, inside its error handling.
      // v3: the timer that fired was armed for `deadline`, so whatever is due by then is due now,
      // whatever the workflow clock says (a task that saw an older clock re-armed a fired timer).
      const now = rules.v3 && deadline !== null ? Math.max(Date.now(), deadline) : Date.now();
      const { solvedTimerDeadline } = memory.lifecycle;
      if (solvedTimerDeadline !== null && now >= solvedTimerDeadline) {
        record(memory, 'timer', 'SOLVED timer fired: reading both sides before closing');
        memory.pending = mergeWork(memory.pending, { ...NO_WORK, solvedTimer: true });
      }
      if (memory.sourceRecheckAt !== null && now >= memory.sourceRecheckAt) {
        memory.sourceRecheckAt = null;
        memory.pending = mergeWork(memory.pending, { ...NO_WORK, source: true });
      }
    } else if (!woken && !(retrySyncAt !== null && Date.now() >= retrySyncAt)) {
      // v1: the timer closed both sides without reading either (a failure here failed the run).
      record(memory, 'timer', 'SOLVED timer fired: no confirmation from the user');
      await syncer.apply({ type: 'solved-timer-fired', now: Date.now() }, null);
      continue;
    }
    // Whatever failed before is retried with this sync, whether the back-off ran out or news arrived.
    const work = mergeWork(memory.pending, memory.deferred);
    memory.pending = memory.deferred = NO_WORK;
    const ok = await syncer.run(work);
    finishedSyncs = memory.counts.syncs;
    // v3: what each side looked like at the end of this sync, for the reconciler (in the memo).
    if (rules.v3) publisher.publish(memory, true);
    memory.failedSyncs = ok ? 0 : memory.failedSyncs + 1;
    retrySyncAt = ok ? null : Date.now() + syncRetryDelayMs(settings.failedSyncRetryMs, memory.failedSyncs);

    const info = workflowInfo();
    newRunDue = !memory.lifecycle.completed && (info.continueAsNewSuggested || info.historyLength > settings.continueAsNewAfterEvents);
    // Hand everything over, pending work included, once no handler is mid-flight. An update that
    // arrived during this sync waits for the next one: run that first (waiting here for the
    // handler, while the handler waited for a sync, was a deadlock).
    if (newRunDue && allHandlersFinished()) {
      await continueAsNew<typeof ticketWorkflow>({ ...input, carried: memory });
    }
  }
  await condition(allHandlersFinished);
  return toStateView(input, memory);
}

function earliest(...deadlines: (number | null)[]): number | null {
  const set = deadlines.filter((d): d is number => d !== null);
  return set.length === 0 ? null : Math.min(...set);
}
