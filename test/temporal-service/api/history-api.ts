/**
 * GetWorkflowExecutionHistory, including the long-poll forms clients use to wait for a result
 * (`waitNewEvent` + CLOSE_EVENT filter) — which is also what triggers automatic time skipping.
 */
import type { ServiceCore } from '../core';
import { strictModeViolation } from '../errors';
import type { WorkflowExecution } from '../execution/execution';
import { decodePageToken, encodePageToken, readPage } from '../execution/history-pages';
import type { CallContext, HandlerMap } from '../grpc/server';
import { api, HistoryEvent, toNumber } from '../proto';

type Request = api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest;
type Response = api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse;

const CLOSE_EVENT = api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;

/**
 * Waits until `ready()` holds, the run closes, a strict-mode violation hits the run, or the long
 * poll expires. Resolves true when ready.
 */
function waitFor(
  core: ServiceCore,
  execution: WorkflowExecution,
  call: CallContext,
  ready: () => boolean,
  options: { holdsTimeSkipping: boolean },
): Promise<boolean> {
  if (ready()) return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    const release = options.holdsTimeSkipping ? core.skipper.holdResultWaiter() : () => undefined;
    const cleanups: Array<() => void> = [release];
    const finish = (value: boolean | Error) => {
      for (const cleanup of cleanups) cleanup();
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const check = () => {
      if (ready()) finish(true);
    };
    cleanups.push(execution.history.onAppend(() => setImmediate(check)));
    cleanups.push(execution.onClose(() => setImmediate(check)));
    cleanups.push(core.strict.watch(execution.key, (violation) => finish(strictModeViolation(violation.message))));
    const timer = setTimeout(() => finish(false), call.longPollMs(core.config.longPollTimeoutMs));
    timer.unref();
    cleanups.push(() => clearTimeout(timer));
    call.onCancelled(() => finish(false));
  });
}

function throwIfViolated(core: ServiceCore, execution: WorkflowExecution): void {
  const violation = core.strict.violationFor(execution.key);
  if (violation) throw strictModeViolation(violation.message);
}

async function getHistory(core: ServiceCore, request: Request, call: CallContext): Promise<Response> {
  const namespace = core.namespaces.get(request.namespace);
  const token = decodePageToken(request.nextPageToken);
  const execution = core.store.get(namespace.name, request.execution?.workflowId ?? '', token?.runId || request.execution?.runId);

  if (request.historyEventFilterType === CLOSE_EVENT) {
    if (request.waitNewEvent) {
      throwIfViolated(core, execution);
      const closed = await waitFor(core, execution, call, () => !execution.isRunning(), { holdsTimeSkipping: true });
      if (!closed) return { history: { events: [] }, nextPageToken: encodePageToken({ runId: execution.runId, next: 0, end: 0 }) };
    }
    const closeEvent = execution.closeEvent();
    return { history: { events: closeEvent ? [closeEvent] : [] } };
  }

  const pageSize = request.maximumPageSize || core.config.historyPageSize;
  const from = token?.next ?? 1;
  if (request.waitNewEvent && execution.isRunning()) {
    await waitFor(core, execution, call, () => execution.history.lastEventId >= from, { holdsTimeSkipping: false });
  }
  const page = readPage(execution, { from, end: token?.end ?? 0, transientNonce: token?.transientNonce }, pageSize);
  let nextPageToken = page.nextPageToken;
  if (!nextPageToken && request.waitNewEvent && execution.isRunning()) {
    // Long-poll clients keep following the history until the run closes.
    const lastServed = page.events.length > 0 ? toNumber(page.events[page.events.length - 1]!.eventId) : from - 1;
    nextPageToken = encodePageToken({ runId: execution.runId, next: lastServed + 1, end: 0 });
  }
  return { history: { events: page.events as HistoryEvent[] }, nextPageToken };
}

export function historyApi(core: ServiceCore): HandlerMap<'GetWorkflowExecutionHistory' | 'GetWorkflowExecutionHistoryReverse'> {
  return {
    GetWorkflowExecutionHistory: (request: Request, call: CallContext) => getHistory(core, request, call),
    GetWorkflowExecutionHistoryReverse: (request: api.workflowservice.v1.IGetWorkflowExecutionHistoryReverseRequest) => {
      const namespace = core.namespaces.get(request.namespace);
      const execution = core.store.get(namespace.name, request.execution?.workflowId ?? '', request.execution?.runId);
      const events = execution.history.slice(1).reverse();
      return { history: { events } };
    },
  };
}
