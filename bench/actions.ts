/**
 * Temporal Cloud's billable actions of a workflow, counted from its histories as Temporal's
 * "Temporal Cloud Actions" page defines them (docs.temporal.io/cloud/actions): what a ticket
 * would cost on Temporal Cloud, and a measure of load on any cluster.
 *
 *  - a run started, by a client's start or signal-with-start (one action however the call went),
 *    or by continue-as-new: each run;
 *  - a signal: each one (a signal-with-start that started the run is that run's one action);
 *  - a timer started (including `condition` with a timeout);
 *  - an `UpsertSearchAttributes` command, unless it sets only `TemporalChangeVersion` (a patch);
 *  - an update received: each accepted one, and each one a validator rejected (those leave no
 *    event: `rejectedUpdates` counts them from outside);
 *  - an activity started or retried: each attempt;
 *  - the markers of one workflow task (local activities, patches): one action, however many.
 *
 * Not counted: queries (the bridge sends none in a lifecycle; a person's look at the UI is one)
 * and activity heartbeats (only file copies heartbeat, and a heartbeat leaves no event).
 */
import { temporal } from '@temporalio/proto';
import type { WebhookDelivery } from '../src/simulators/common/webhooks';
import type { ZendeskSimulator } from '../src/simulators/zendesk';
import type { History } from './histories';

const { EventType } = temporal.api.enums.v1;

export interface Actions {
  total: number;
  /** Per kind, for the log: where the actions go. */
  by: Record<'runs' | 'signals' | 'timers' | 'upserts' | 'updates' | 'activities' | 'markerTasks', number>;
}

export function billableActions(histories: readonly History[], rejectedUpdates = 0): Actions {
  const by: Actions['by'] = { runs: 0, signals: 0, timers: 0, upserts: 0, updates: rejectedUpdates, activities: 0, markerTasks: 0 };
  for (const history of histories) {
    by.runs++;
    // A signal-with-start that started the run: its signal is the run's action, not one more.
    let startSignal = startedBySignal(history);
    /** The workflow task whose completion recorded the markers that follow it. */
    let task: number | null = null;
    let taskHasMarkers = false;
    for (const e of history.events ?? []) {
      switch (e.eventType) {
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
          if (startSignal === e) startSignal = null;
          else by.signals++;
          break;
        case EventType.EVENT_TYPE_TIMER_STARTED:
          by.timers++;
          break;
        case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
          const names = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
          if (names.some((name) => name !== 'TemporalChangeVersion')) by.upserts++;
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
          by.updates++;
          break;
        case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
          by.activities += e.activityTaskStartedEventAttributes?.attempt || 1;
          break;
        case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
          task = Number(e.eventId);
          taskHasMarkers = false;
          break;
        case EventType.EVENT_TYPE_MARKER_RECORDED:
          if (task !== null && !taskHasMarkers) {
            taskHasMarkers = true;
            by.markerTasks++;
          }
          break;
      }
    }
  }
  return { total: Object.values(by).reduce((a, n) => a + n, 0), by };
}

/**
 * The signal of the signal-with-start that started a run, if one did: a run a client started (not
 * continued as new) whose first event after the start is a signal (a signal-with-start writes the
 * start, then the signal, then the first workflow task).
 */
function startedBySignal(history: History): temporal.api.history.v1.IHistoryEvent | null {
  const [started, second] = history.events ?? [];
  if (started?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId) return null;
  return second?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED ? second : null;
}

/** The Zendesk simulator's webhook deliveries about one ticket. */
export function zendeskDeliveriesOf(zendesk: ZendeskSimulator, ticketId: number | string): WebhookDelivery<unknown>[] {
  return zendesk.webhooks.deliveries.filter((d) => String((d.payload as { detail?: { id?: unknown } }).detail?.id) === String(ticketId));
}

/**
 * Of those deliveries, the events the workflow refused as known (its own writes' echoes): rejected
 * updates, billed, and in no history. The API's answer says `known` for them.
 */
export function rejectedUpdates(deliveries: readonly WebhookDelivery<unknown>[]): number {
  return deliveries.filter((d) => /"reason":"known"/.test(d.answer ?? '')).length;
}
