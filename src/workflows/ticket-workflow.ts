/**
 * One long-running workflow per source ticket. Signals only mark work as pending; a single loop
 * does the work, so notifications that arrive during a sync are coalesced into the next one,
 * and duplicates or reordering do no harm: every sync reads the source (and the CRM) back and
 * lets the pure lifecycle decide what to write (see ./ticket-sync).
 */
import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  closeUpdate,
  DEFAULT_WORKFLOW_SETTINGS,
  crmChangedSignal,
  crmEventUpdate,
  KNOWN_CRM_EVENT,
  pauseUpdate,
  resumeUpdate,
  type CrmNotification,
  PATCHES,
  resyncUpdate,
  sourceChangedSignal,
  stateQuery,
  type TicketStateView,
  type TicketWorkflowInput,
  type TicketWorkflowSettings,
} from './definitions';
import { isKnownCrmEvent, onCrmNotification, onSourceNotification, ownEchoLine, validateOperatorRequest } from './intake';
import { hasWork, initialMemory, mergeWork, NO_WORK, toStateView, upgradeMemory, withCrmChangesAsRead, type PendingWork, type TicketMemory } from './memory';
import { dropPauseOfCompletedTicket, pauseTicket, refuseWhilePaused, resumeTicket, validatePause, validateResume } from './pause';
import { nextRefusalRetryAt } from './refusals';
import { syncRules } from './rules';
import { StatusPublisher } from './status-publisher';
import { TicketSync } from './ticket-sync';
import { record, sideName } from './timeline';


/** After a sync failed for good (a 4xx), try again later rather than never: doubling, at most hourly. */
function syncRetryDelayMs(firstMs: number, failedSyncs: number): number {
  return Math.min(60 * 60_000, firstMs * 2 ** Math.max(0, failedSyncs - 1));
}

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketStateView> {
  const settings: TicketWorkflowSettings = { ...DEFAULT_WORKFLOW_SETTINGS, ...input.settings };
  const memory: TicketMemory = input.carried ? upgradeMemory(input.carried as Partial<TicketMemory>) : initialMemory();
  const rules = syncRules();
  const publisher = new StatusPublisher(input, settings.crmName, rules.lean, rules.searchableFingerprints);
  const syncer = new TicketSync(input, settings, memory, () => publisher.publish(memory), rules);
  let retrySyncAt: number | null = hasWork(memory.deferred) ? Date.now() : null;
  /** History is long enough for a new run; it starts once no update handler is mid-flight. */
  let newRunDue = false;

  /** Syncs finished; an update waits for the first sync that starts after it arrived. */
  let finishedSyncs = memory.counts.syncs;
  /** A sync is running: a `pause` answers once it has ended (nothing is written after that answer). */
  let syncing = false;
  /** Updates accepted and waiting for their sync: a `pause` is refused meanwhile (it would hold them). */
  let awaitingSync = 0;
  const runSoon = async (work: Partial<PendingWork>): Promise<TicketStateView> => {
    const target = memory.counts.syncs + 1;
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, ...work });
    awaitingSync++;
    try {
      // The ticket may complete before that sync starts (the user confirmed meanwhile): answer then too.
      await condition(() => finishedSyncs >= target || memory.lifecycle.completed);
    } finally {
      awaitingSync--;
    }
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
  const onCrmEvent = (notification: CrmNotification) => {
    const heard = onCrmNotification(memory, notification, rules.recogniseEchoes, rules.lean);
    if (heard === 'news') record(memory, 'received', `${settings.crmName}: ticket ${notification.crmTicketId} changed`);
    if (heard === 'own-echo') record(memory, 'received', ownEchoLine(settings.crmName, notification.change));
  };
  setHandler(crmChangedSignal, onCrmEvent, { description: 'The helpdesk says its ticket changed: read it back and sync.' });
  setHandler(crmEventUpdate, onCrmEvent, {
    validator: (notification) => {
      if (isKnownCrmEvent(memory, notification, rules.recogniseEchoes)) {
        throw ApplicationFailure.create({ type: KNOWN_CRM_EVENT, message: 'known already: a redelivery, or the event of the bridge\'s own write', nonRetryable: true });
      }
    },
    description: 'The helpdesk says its ticket changed, as an update: refused, leaving no trace, when the ticket knows it already (a redelivery, its own write).',
  });
  setHandler(stateQuery, () => toStateView(input, memory), {
    description: 'Status on each side, CRM ticket, SOLVED deadline, parked writes, last error, counts and timeline. No personal data.',
  });
  setHandler(
    resyncUpdate,
    (request) => {
      record(memory, 'operator', `resync requested${request.reason ? `: ${request.reason}` : ''}`);
      return runSoon({ source: true, crm: true });
    },
    {
      validator: (request) => {
        validateOperatorRequest(memory, request.reason, false);
        refuseWhilePaused(memory, 'resync');
      },
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
      validator: (request) => {
        validateOperatorRequest(memory, request.reason, true);
        refuseWhilePaused(memory, 'close');
      },
      description: 'Close the ticket on both sides now, with an internal note giving the reason.',
    },
  );
  setHandler(
    pauseUpdate,
    async (request) => {
      pauseTicket(memory, request.reason);
      publisher.publishPause(memory);
      // A sync in flight finishes (its writes are one decision); the answer comes after it.
      await condition(() => !syncing);
      if (dropPauseOfCompletedTicket(memory)) publisher.publishPause(memory);
      return toStateView(input, memory);
    },
    {
      validator: (request) => validatePause(memory, request.reason, awaitingSync),
      description: 'Stop syncing until resume: notifications are kept as pending work, nothing is written. Returns once no sync is running.',
    },
  );
  setHandler(
    resumeUpdate,
    (request) => {
      resumeTicket(memory, request.reason);
      publisher.publishPause(memory);
      return runSoon({ source: true, crm: true });
    },
    {
      validator: (request) => validateResume(memory, request.reason),
      description: 'Sync again: one sync reads both sides, so what was said during the pause arrives once; returns the state after it.',
    },
  );
  publisher.publish(memory);

  while (!memory.lifecycle.completed) {
    if (memory.pause) {
      // Paused (PATCHES.pauseResume): only the SOLVED timer is kept, as pending work for the resume.
      if (await waitWhilePaused(memory, settings, syncer.sideMissing())) await continueAsNew<typeof ticketWorkflow>({ ...input, carried: handedOver(memory) });
      continue;
    }
    const wake = nextWake(memory, retrySyncAt, syncer.sideMissing());
    // Also wake to continue-as-new once an update that held it back has finished, and on a pause.
    const ready = () => hasWork(memory.pending) || (newRunDue && allHandlersFinished()) || Boolean(memory.pause);
    const woken = wake === null ? (await condition(ready), true) : await condition(ready, Math.max(1, wake.at - Date.now()), { summary: wake.summary });
    if (newRunDue && allHandlersFinished() && !hasWork(memory.pending)) {
      await continueAsNew<typeof ticketWorkflow>({ ...input, carried: handedOver(memory) });
    }
    // Paused while waiting: what woke the loop stays pending (a deadline now past is met at resume).
    if (memory.pause) continue;

    if (!woken && wake !== null) {
      // The timer that fired was armed for `wake.at`, so whatever is due by then is due now,
      // whatever the workflow clock says (a task that saw an older clock re-armed a fired timer).
      // Every deadline becomes work for the one sync below, inside its error handling.
      const now = Math.max(Date.now(), wake.at);
      const { solvedTimerDeadline } = memory.lifecycle;
      if (solvedTimerDeadline !== null && now >= solvedTimerDeadline && !syncer.sideMissing()) {
        record(memory, 'timer', 'SOLVED timer fired: reading both sides before closing');
        memory.pending = mergeWork(memory.pending, { ...NO_WORK, solvedTimer: true });
      }
      if (memory.rereadAt !== null && now >= memory.rereadAt) {
        memory.rereadAt = null;
        memory.pending = mergeWork(memory.pending, { ...NO_WORK, source: true, crm: true });
      }
      const refusedDue = nextRefusalRetryAt(memory);
      if (refusedDue !== null && now >= refusedDue) memory.pending = mergeWork(memory.pending, { ...NO_WORK, source: true, crm: true });
    }
    // Whatever failed before is retried with this sync, whether the back-off ran out or news arrived.
    const work = mergeWork(memory.pending, memory.deferred);
    memory.pending = memory.deferred = NO_WORK;
    syncing = true;
    const ok = await syncer.run(work);
    syncing = false;
    finishedSyncs = memory.counts.syncs;
    // What each side looked like at the end of this sync, for the reconciler (`TicketFingerprints`; the memo before rules 1.6).
    publisher.publish(memory, true);
    memory.failedSyncs = ok ? 0 : memory.failedSyncs + 1;
    retrySyncAt = ok ? null : Date.now() + syncRetryDelayMs(settings.failedSyncRetryMs, memory.failedSyncs);

    const info = workflowInfo();
    newRunDue = !memory.lifecycle.completed && (info.continueAsNewSuggested || info.historyLength > settings.continueAsNewAfterEvents);
    // Hand everything over, pending work included, once no handler is mid-flight. An update that
    // arrived during this sync waits for the next one: run that first (waiting here for the
    // handler, while the handler waited for a sync, was a deadlock).
    if (newRunDue && allHandlersFinished()) {
      await continueAsNew<typeof ticketWorkflow>({ ...input, carried: handedOver(memory) });
    }
  }
  await condition(allHandlersFinished);
  return toStateView(input, memory);
}

/** The memory the next run starts from (`PATCHES.foldCrmEventsAtNewRun`). */
function handedOver(memory: TicketMemory): TicketMemory {
  const events = memory.pending.crmChanges?.length ?? 0;
  if (events === 0 || !patched(PATCHES.foldCrmEventsAtNewRun)) return memory;
  return { ...memory, pending: withCrmChangesAsRead(memory.pending) };
}

/**
 * The loop's wait while paused (PATCHES.pauseResume). Notifications go on being recorded as
 * pending work by the handlers; no sync runs. The SOLVED timer alone stays armed: when it fires,
 * it becomes pending work (a timeline line says so), which the resume's sync takes with the rest:
 * it reads both sides and closes only if the user has still not answered. Re-reads of a missing
 * side and retries of refused writes wait for the resume, whose sync reads both sides and retries
 * whatever is due. True when history is long enough for a new run (it carries the pause).
 */
async function waitWhilePaused(memory: TicketMemory, settings: TicketWorkflowSettings, sideMissing: boolean): Promise<boolean> {
  const deadline = memory.lifecycle.solvedTimerDeadline;
  const timerArmed = deadline !== null && !sideMissing && !memory.pending.solvedTimer;
  const newRunDue = () => {
    const info = workflowInfo();
    return allHandlersFinished() && (info.continueAsNewSuggested || info.historyLength > settings.continueAsNewAfterEvents);
  };
  const ready = () => !memory.pause || newRunDue();
  const woken = timerArmed
    ? await condition(ready, Math.max(1, deadline - Date.now()), { summary: 'SOLVED auto-close (paused: kept for the resume)' })
    : (await condition(ready), true);
  if (!woken && memory.pause) {
    record(memory, 'timer', 'SOLVED timer fired while paused: kept for the resume, which reads both sides before closing');
    memory.pending = mergeWork(memory.pending, { ...NO_WORK, solvedTimer: true });
  }
  return Boolean(memory.pause) && newRunDue();
}

/**
 * When the loop wakes by itself, and why (the timer's summary in the Temporal UI). After a failed
 * sync only its back-off counts: a deadline already past (a SOLVED timer, a re-read) is part of
 * the deferred work and waits for it, so a failure never turns into a loop of quick wake-ups.
 * While a side reads as 404 the SOLVED timer waits too: nothing is closed on a guess.
 */
export function nextWake(memory: TicketMemory, retrySyncAt: number | null, sideMissing: boolean): { at: number; summary: string } | null {
  if (retrySyncAt !== null) return { at: retrySyncAt, summary: 'retry the failed sync' };
  const candidates: { at: number | null; summary: string }[] = [
    { at: memory.rereadAt, summary: 'read again a side that answered 404' },
    { at: sideMissing ? null : memory.lifecycle.solvedTimerDeadline, summary: 'SOLVED auto-close (no confirmation from the user)' },
    { at: nextRefusalRetryAt(memory), summary: 'try again a write that was refused' },
  ];
  const due = candidates.filter((c): c is { at: number; summary: string } => c.at !== null).sort((a, b) => a.at - b.at);
  return due[0] ?? null;
}

