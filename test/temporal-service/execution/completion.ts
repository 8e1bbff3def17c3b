/**
 * RespondWorkflowTaskCompleted: the server side of a worker finishing a workflow task, in the
 * real server's order:
 *   WorkflowTaskCompleted (carrying sdkMetadata) → command events (protocol messages at their
 *   ProtocolMessage command, the others after all commands) → events buffered while the task ran →
 *   WorkflowTaskScheduled when there is new work (returned inline when the worker asked for it).
 */
import { invalidArgument } from '../errors';
import { serverFailure } from '../failures';
import type { WorkflowTaskResponse } from '../matching/matching';
import { api, durationMs, EventType, int64, WorkflowTaskFailedCause } from '../proto';
import type { ApplyContext } from './command-types';
import { applyCommand, applyProtocolMessage, isClosingCommand, validateCompletion } from './commands';
import type { WorkflowExecution } from './execution';
import type { TaskToken } from './task-token';
import { eventIdOf } from './workflow-task';

type Request = api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest;
type Response = api.workflowservice.v1.IRespondWorkflowTaskCompletedResponse;

/** Used when a worker sets a sticky queue without a schedule-to-start timeout. */
const DEFAULT_STICKY_SCHEDULE_TO_START_MS = 5_000;

export function completeWorkflowTask(
  execution: WorkflowExecution,
  token: Extract<TaskToken, { kind: 'workflow' }>,
  request: Request,
): Response {
  const wft = execution.workflowTask;
  const history = execution.history;
  const env = execution.env;
  const task = wft.startedTaskFor(token);
  const commands = request.commands ?? [];
  const messages = request.messages ?? [];
  const identity = request.identity ?? '';

  // Events arrived while the worker decided to close the run: the decision ignored them, so the
  // server refuses it and the worker retries with those events in view. Not a bug: not strict.
  if (commands.some(isClosingCommand) && history.hasBuffered()) {
    wft.failByServer(task, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, serverFailure('UnhandledCommand'));
    throw invalidArgument('UnhandledCommand');
  }

  const validation = validateCompletion(execution, commands, messages);
  if ('cause' in validation) {
    env.strict.record({
      kind: validation.unsupported ? 'unsupported-command' : 'invalid-command',
      message: `${execution.init.workflowType} (workflowId=${execution.workflowId}): ${validation.message}`,
      executionKey: execution.key,
    });
    wft.failByServer(task, validation.cause, serverFailure(validation.message, true));
    throw invalidArgument(validation.message);
  }

  wft.beginCompletion(task);
  const completedEvent = history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
    workflowTaskCompletedEventAttributes: {
      scheduledEventId: int64(task.scheduledEventId),
      startedEventId: int64(task.startedEventId),
      identity,
      binaryChecksum: request.binaryChecksum ?? '',
      workerVersion: request.workerVersionStamp ?? undefined,
      sdkMetadata: request.sdkMetadata ?? undefined,
      meteringMetadata: request.meteringMetadata ?? undefined,
      versioningBehavior: request.versioningBehavior ?? undefined,
    },
  });

  const stickyQueue = request.stickyAttributes?.workerTaskQueue?.name;
  if (stickyQueue) {
    execution.sticky = {
      queue: stickyQueue,
      scheduleToStartTimeoutMs: durationMs(request.stickyAttributes?.scheduleToStartTimeout) ?? DEFAULT_STICKY_SCHEDULE_TO_START_MS,
    };
    env.matching.noteStickyQueue(execution.namespace, stickyQueue);
  } else {
    execution.sticky = undefined;
  }

  const context: ApplyContext = {
    execution,
    completedEventId: eventIdOf(completedEvent),
    identity,
    messages: new Map(messages.map((m) => [m.id ?? '', m])),
    schedules: validation.schedules,
    activityCancelledBeforeStart: false,
  };
  for (const [index, command] of commands.entries()) {
    if (!execution.isRunning()) break;
    applyCommand(command, index, context);
  }
  if (execution.isRunning()) {
    for (const message of context.messages.values()) applyProtocolMessage(message, context);
  }
  if (!request.forceCreateNewWorkflowTask) execution.updates.rejectUnprocessed(task);
  wft.finishCompletion(task);

  let inlineTask: WorkflowTaskResponse | undefined;
  let newTaskCreated = false;
  if (execution.isRunning()) {
    const needsNewTask =
      request.forceCreateNewWorkflowTask ||
      history.hasBuffered() ||
      context.activityCancelledBeforeStart ||
      execution.updates.hasUndelivered();
    history.flushBuffered();
    if (needsNewTask) {
      newTaskCreated = true;
      if (request.returnNewWorkflowTask) {
        const next = wft.schedule({ enqueue: false });
        inlineTask = next && wft.start(next, identity, true);
      } else {
        wft.schedule({});
      }
    }
  }
  execution.queries.onTaskCompleted(task, request.queryResults, newTaskCreated);
  env.changed();
  return { workflowTask: inlineTask, activityTasks: [], resetHistoryEventId: int64(0) };
}
