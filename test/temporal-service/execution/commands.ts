/**
 * Workflow task commands: validation (before anything is written, so a rejected completion leaves
 * history untouched) and application (events + state changes), one handler per command type.
 *
 * Command types this double does not implement (child workflows, external signals/cancels, Nexus)
 * are rejected like invalid commands, and reported as strict-mode violations.
 */
import { invalidArgument } from '../errors';
import {
  anyTypeName,
  api,
  Command,
  CommandType,
  durationMs,
  EventType,
  int64,
  ProtocolMessage,
  toNumber,
  unpackAny,
  WorkflowTaskFailedCause,
} from '../proto';
import { ApplyContext, Cause, CommandHandler, CommandRejection, reject, ValidationState } from './command-types';
import type { NormalizedSchedule } from './activity-options';
import { cancelWorkflow, completeWorkflow, continueAsNew, failWorkflow } from './close-commands';
import type { WorkflowExecution } from './execution';

const CLOSING_COMMANDS = new Set<api.enums.v1.CommandType>([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

export function isClosingCommand(command: Command): boolean {
  return CLOSING_COMMANDS.has(command.commandType ?? CommandType.COMMAND_TYPE_UNSPECIFIED);
}

// ---------------------------------------------------------------------------------------------
// Handlers

const scheduleActivity: CommandHandler = {
  validate(command, index, state) {
    const normalized = state.execution.activities.normalize(command.scheduleActivityTaskCommandAttributes ?? {}, state.activityIds);
    if (!normalized.ok) return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, normalized.message);
    state.activityIds.add(normalized.attributes.activityId ?? '');
    state.schedules.set(index, normalized);
    return undefined;
  },
  apply(_command, index, context) {
    context.execution.activities.schedule(context.schedules.get(index)!, context.completedEventId);
  },
};

const requestCancelActivity: CommandHandler = {
  apply(command, _index, context) {
    const scheduledEventId = toNumber(command.requestCancelActivityTaskCommandAttributes?.scheduledEventId);
    const outcome = context.execution.activities.requestCancel(scheduledEventId, context.completedEventId);
    if (outcome === 'canceled') context.activityCancelledBeforeStart = true;
  },
};

const startTimer: CommandHandler = {
  validate(command, _index, state) {
    const timerId = command.startTimerCommandAttributes?.timerId ?? '';
    if (!timerId) return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'TimerId is not set on command.');
    if (state.timerIds.has(timerId) || state.execution.timers.has(timerId)) {
      return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, `Timer with ID ${timerId} is already pending.`);
    }
    if (durationMs(command.startTimerCommandAttributes?.startToFireTimeout) === undefined) {
      return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'A valid StartToFireTimeout is not set on command.');
    }
    state.timerIds.add(timerId);
    return undefined;
  },
  apply(command, _index, context) {
    context.execution.timers.start(command.startTimerCommandAttributes ?? {}, context.completedEventId);
  },
};

const cancelTimer: CommandHandler = {
  validate(command, _index, state) {
    const timerId = command.cancelTimerCommandAttributes?.timerId ?? '';
    if (!timerId) return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, 'TimerId is not set on command.');
    // A timer started by an earlier command of the same completion is cancellable too.
    if (!state.timerIds.has(timerId) && !state.execution.timers.isCancellable(timerId)) {
      return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, `Timer with ID ${timerId} is not pending.`);
    }
    return undefined;
  },
  apply(command, _index, context) {
    const timerId = command.cancelTimerCommandAttributes?.timerId ?? '';
    context.execution.timers.cancel(timerId, context.completedEventId, context.identity);
  },
};

const recordMarker: CommandHandler = {
  validate(command) {
    if (!command.recordMarkerCommandAttributes?.markerName) {
      return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES, 'MarkerName is not set on command.');
    }
    return undefined;
  },
  apply(command, _index, context) {
    const attrs = command.recordMarkerCommandAttributes!;
    context.execution.history.append(EventType.EVENT_TYPE_MARKER_RECORDED, {
      markerRecordedEventAttributes: {
        markerName: attrs.markerName,
        details: attrs.details ?? undefined,
        workflowTaskCompletedEventId: int64(context.completedEventId),
        header: attrs.header ?? undefined,
        failure: attrs.failure ?? undefined,
      },
    });
  },
};

const upsertSearchAttributes: CommandHandler = {
  validate(command, _index, state) {
    try {
      state.execution.env.namespace.searchAttributes.merge({}, command.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes);
      return undefined;
    } catch (err) {
      return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, (err as Error).message);
    }
  },
  apply(command, _index, context) {
    const upserted = command.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes;
    const execution = context.execution;
    execution.searchAttributes = execution.env.namespace.searchAttributes.merge(execution.searchAttributes, upserted);
    execution.history.append(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
      upsertWorkflowSearchAttributesEventAttributes: {
        workflowTaskCompletedEventId: int64(context.completedEventId),
        searchAttributes: upserted ?? undefined,
      },
    });
  },
};

const modifyWorkflowProperties: CommandHandler = {
  apply(command, _index, context) {
    const upserted = command.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo;
    const execution = context.execution;
    const memo = { ...execution.memo };
    for (const [key, payload] of Object.entries(upserted?.fields ?? {})) {
      // An empty payload removes the memo field.
      if (!payload.data || payload.data.length === 0) delete memo[key];
      else memo[key] = payload;
    }
    execution.memo = memo;
    execution.history.append(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
      workflowPropertiesModifiedEventAttributes: {
        workflowTaskCompletedEventId: int64(context.completedEventId),
        upsertedMemo: upserted ?? undefined,
      },
    });
  },
};

const protocolMessage: CommandHandler = {
  validate(command, _index, state) {
    const messageId = command.protocolMessageCommandAttributes?.messageId ?? '';
    if (!state.messages.has(messageId)) {
      return reject(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, `ProtocolMessageCommand references unknown message ${messageId}.`);
    }
    return undefined;
  },
  apply(command, _index, context) {
    const messageId = command.protocolMessageCommandAttributes?.messageId ?? '';
    const message = context.messages.get(messageId);
    context.messages.delete(messageId);
    if (message) applyProtocolMessage(message, context);
  },
};

function unsupported(what: string, cause: Cause): CommandHandler {
  return {
    validate: () => reject(cause, `${what} is not supported by the in-memory Temporal test service`, true),
    apply: () => {
      throw new Error(`unreachable: ${what} rejected at validation`);
    },
  };
}

const HANDLERS: Partial<Record<api.enums.v1.CommandType, CommandHandler>> = {
  [CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]: scheduleActivity,
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK]: requestCancelActivity,
  [CommandType.COMMAND_TYPE_START_TIMER]: startTimer,
  [CommandType.COMMAND_TYPE_CANCEL_TIMER]: cancelTimer,
  [CommandType.COMMAND_TYPE_RECORD_MARKER]: recordMarker,
  [CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]: upsertSearchAttributes,
  [CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES]: modifyWorkflowProperties,
  [CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE]: protocolMessage,
  [CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]: completeWorkflow,
  [CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION]: failWorkflow,
  [CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION]: cancelWorkflow,
  [CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION]: continueAsNew,
  [CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION]: unsupported(
    'StartChildWorkflowExecution (child workflows)',
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
  ),
  [CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION]: unsupported(
    'SignalExternalWorkflowExecution',
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  ),
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION]: unsupported(
    'RequestCancelExternalWorkflowExecution',
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  ),
  [CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION]: unsupported(
    'ScheduleNexusOperation',
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES,
  ),
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION]: unsupported(
    'RequestCancelNexusOperation',
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES,
  ),
};

// ---------------------------------------------------------------------------------------------
// Protocol messages (updates)

const UPDATE_ACCEPTANCE = 'temporal.api.update.v1.Acceptance';
const UPDATE_REJECTION = 'temporal.api.update.v1.Rejection';
const UPDATE_RESPONSE = 'temporal.api.update.v1.Response';

function validateMessage(message: ProtocolMessage): CommandRejection | undefined {
  const type = anyTypeName(message.body);
  if (type === UPDATE_ACCEPTANCE || type === UPDATE_REJECTION || type === UPDATE_RESPONSE) return undefined;
  return reject(
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
    `protocol message body ${type || '(empty)'} is not supported by the in-memory Temporal test service`,
    true,
  );
}

export function applyProtocolMessage(message: ProtocolMessage, context: ApplyContext): void {
  const updates = context.execution.updates;
  switch (anyTypeName(message.body)) {
    case UPDATE_ACCEPTANCE:
      updates.accept(message, unpackAny<api.update.v1.IAcceptance>(message.body));
      break;
    case UPDATE_REJECTION:
      updates.reject(message, unpackAny<api.update.v1.IRejection>(message.body));
      break;
    case UPDATE_RESPONSE:
      updates.respond(message, unpackAny<api.update.v1.IResponse>(message.body));
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points used by the completion handler

export interface ValidatedCompletion {
  readonly schedules: Map<number, Extract<NormalizedSchedule, { ok: true }>>;
}

export function validateCompletion(
  execution: WorkflowExecution,
  commands: readonly Command[],
  messages: readonly ProtocolMessage[],
): CommandRejection | ValidatedCompletion {
  const state: ValidationState = {
    execution,
    activityIds: new Set(),
    timerIds: new Set(),
    messages: new Map(messages.map((m) => [m.id ?? '', m])),
    schedules: new Map(),
  };
  for (const [index, command] of commands.entries()) {
    const handler = HANDLERS[command.commandType ?? CommandType.COMMAND_TYPE_UNSPECIFIED];
    if (!handler) {
      return reject(
        WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
        `Unknown command type: ${api.enums.v1.CommandType[command.commandType ?? 0]}`,
        true,
      );
    }
    const rejection = handler.validate?.(command, index, state);
    if (rejection) return rejection;
  }
  for (const message of messages) {
    const rejection = validateMessage(message);
    if (rejection) return rejection;
  }
  return { schedules: state.schedules };
}

export function applyCommand(command: Command, index: number, context: ApplyContext): void {
  const handler = HANDLERS[command.commandType ?? CommandType.COMMAND_TYPE_UNSPECIFIED];
  if (!handler) throw invalidArgument(`unvalidated command ${command.commandType}`);
  context.execution.history.withCommandMetadata(command.userMetadata, () => handler.apply(command, index, context));
}
