/** Types shared by the command handlers (commands.ts, close-commands.ts). */
import { api, Command, ProtocolMessage } from '../proto';
import type { NormalizedSchedule } from './activity-options';
import type { WorkflowExecution } from './execution';

export type Cause = api.enums.v1.WorkflowTaskFailedCause;

export interface CommandRejection {
  cause: Cause;
  message: string;
  /** The command is valid Temporal but not implemented by this double. */
  unsupported: boolean;
}

/** State shared while validating the commands of one completion. */
export interface ValidationState {
  readonly execution: WorkflowExecution;
  readonly activityIds: Set<string>;
  readonly timerIds: Set<string>;
  readonly messages: ReadonlyMap<string, ProtocolMessage>;
  /** Normalized ScheduleActivityTask attributes, by command index. */
  readonly schedules: Map<number, Extract<NormalizedSchedule, { ok: true }>>;
}

/** State shared while applying the commands of one completion. */
export interface ApplyContext {
  readonly execution: WorkflowExecution;
  readonly completedEventId: number;
  readonly identity: string;
  readonly messages: Map<string, ProtocolMessage>;
  readonly schedules: Map<number, Extract<NormalizedSchedule, { ok: true }>>;
  /** Set when an activity was cancelled before starting: a new workflow task must report it. */
  activityCancelledBeforeStart: boolean;
}

export interface CommandHandler {
  validate?(command: Command, index: number, state: ValidationState): CommandRejection | undefined;
  apply(command: Command, index: number, context: ApplyContext): void;
}

export const reject = (cause: Cause, message: string, unsupported = false): CommandRejection => ({ cause, message, unsupported });

