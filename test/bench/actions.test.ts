/**
 * The billable-action count of bench/actions.ts, on histories built event by event: each rule of
 * Temporal's "Temporal Cloud Actions" page it applies, and what it leaves out.
 */
import { temporal } from '@temporalio/proto';
import { billableActions, rejectedUpdates } from '../../bench/actions';
import type { WebhookDelivery } from '../../src/simulators/common/webhooks';
import type { History } from '../../bench/histories';

type Event = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

/** A history of these events, numbered from 1 (the first is the run's start). */
function history(...events: Omit<Event, 'eventId'>[]): History {
  // Event ids are Longs in the protos; the count reads them with Number(), which a number passes.
  return { events: events.map((e, i) => ({ ...e, eventId: i + 1 }) as unknown as Event) };
}

const started = (continuedFrom?: string): Event => ({
  eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
  workflowExecutionStartedEventAttributes: continuedFrom ? { continuedExecutionRunId: continuedFrom } : {},
});
const signaled: Event = { eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED };
const taskScheduled: Event = { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED };
const taskStarted: Event = { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED };
const taskCompleted: Event = { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED };
const task = [taskScheduled, taskStarted, taskCompleted];
const marker = (markerName: string): Event => ({ eventType: EventType.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName } });
const upsert = (...names: string[]): Event => ({
  eventType: EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: Object.fromEntries(names.map((n) => [n, {}])) } },
});
const activityStarted = (attempt: number): Event => ({ eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, activityTaskStartedEventAttributes: { attempt } });
const memoChanged: Event = { eventType: EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED };
const updateAccepted: Event = { eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED };
const updateCompleted: Event = { eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED };
const timerStarted: Event = { eventType: EventType.EVENT_TYPE_TIMER_STARTED };

describe('billable actions of a history', () => {
  test("a signal-with-start that started the run is one action; each later signal is one more", () => {
    const h = history(started(), signaled, ...task, signaled, ...task, signaled);
    expect(billableActions([h]).by).toMatchObject({ runs: 1, signals: 2 });
    expect(billableActions([h]).total).toBe(3);
  });

  test('a run started without a signal counts its first signal', () => {
    expect(billableActions([history(started(), ...task, signaled)]).by).toMatchObject({ runs: 1, signals: 1 });
  });

  test('the markers a workflow task records are one action, however many: a patch and three local activities in one task, one in the next', () => {
    const h = history(started(), ...task, marker('core_patch'), marker('core_local_activity'), marker('core_local_activity'), marker('core_local_activity'), ...task, marker('core_local_activity'));
    expect(billableActions([h]).by.markerTasks).toBe(2);
  });

  test("an upsert of the patch's TemporalChangeVersion alone is free; one that sets the ticket's attributes is an action", () => {
    const h = history(started(), ...task, marker('core_patch'), upsert('TemporalChangeVersion'), upsert('TicketStatus', 'TicketFingerprints'));
    expect(billableActions([h]).by.upserts).toBe(1);
  });

  test('each attempt of an activity is an action: one that succeeded on its third attempt is three', () => {
    const h = history(started(), ...task, activityStarted(1), ...task, activityStarted(3));
    expect(billableActions([h]).by.activities).toBe(4);
  });

  test('an accepted update is one action (its completion none), a rejected one, which leaves no event, one more; a timer one', () => {
    const h = history(started(), ...task, updateAccepted, updateCompleted, timerStarted);
    expect(billableActions([h], 2).by).toMatchObject({ updates: 3, timers: 1 });
  });

  test('a memo change, the workflow tasks and the completion are not actions', () => {
    const h = history(started(), ...task, memoChanged, ...task, { eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED });
    expect(billableActions([h]).total).toBe(1);
  });

  test('a run continued as new is one more action, and its signals count from the first', () => {
    const first = history(started(), signaled, ...task);
    const next = history(started('run-1'), signaled, ...task);
    expect(billableActions([first, next]).by).toMatchObject({ runs: 2, signals: 1 });
  });
});

describe('rejected updates', () => {
  const delivery = (answer: string | undefined): WebhookDelivery<unknown> => ({ payload: {}, status: 202, at: '2026-12-07T00:00:00Z', ...(answer !== undefined && { answer }) });

  test("are the events the API answered as known (the workflow's validator refused them), not the ones it took or never answered", () => {
    const deliveries = [
      delivery('{"accepted":true,"outcome":"ignored","reason":"known"}'),
      delivery('{"accepted":true,"outcome":"signalled","workflowId":"ticket/connect/1"}'),
      delivery('{"accepted":true,"outcome":"ignored","reason":"no-workflow"}'),
      delivery(undefined),
      delivery('{"accepted":true,"outcome":"ignored","reason":"known"}'),
    ];
    expect(rejectedUpdates(deliveries)).toBe(2);
  });
});
