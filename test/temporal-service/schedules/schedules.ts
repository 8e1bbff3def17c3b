/**
 * Schedules: interval specs firing on the virtual clock, each action starting a workflow the way
 * the real server does (workflow id suffixed with the nominal time, TemporalScheduledById and
 * TemporalScheduledStartTime search attributes), overlap policy SKIP (default) or ALLOW_ALL,
 * pause/unpause, trigger-immediately and limited actions.
 */
import type { ServiceCore } from '../core';
import { GrpcStatus, invalidArgument, notFound, RpcError } from '../errors';
import type { WorkflowExecution } from '../execution/execution';
import { startWorkflow } from '../execution/start-workflow';
import type { NamespaceRecord } from '../namespaces';
import { api, int64, msToTimestamp, Payload, toNumber } from '../proto';
import { CompiledSpec, compileSpec, futureActionTimes, nextActionTime } from './schedule-spec';

const OverlapPolicy = api.enums.v1.ScheduleOverlapPolicy;
const RECENT_ACTIONS = 10;

interface ScheduleRecord {
  readonly id: string;
  readonly namespace: NamespaceRecord;
  schedule: api.schedule.v1.ISchedule;
  spec: CompiledSpec;
  memo: Record<string, Payload>;
  searchAttributes: Record<string, Payload>;
  readonly createdAt: number;
  updatedAt?: number;
  actionCount: number;
  overlapSkipped: number;
  recentActions: api.schedule.v1.IScheduleActionResult[];
  started: WorkflowExecution[];
  timer?: { cancel(): void };
  conflictToken: number;
}

/** RFC 3339 without fractional seconds, as the real server suffixes scheduled workflow ids. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class ScheduleRegistry {
  private readonly schedules = new Map<string, ScheduleRecord>();

  constructor(private readonly core: ServiceCore) {}

  private key(namespace: string, id: string): string {
    return `${namespace}/${id}`;
  }

  get(namespace: string, id: string): ScheduleRecord {
    const record = this.schedules.get(this.key(namespace, id));
    if (!record) throw notFound(`schedule "${id}" not found`);
    return record;
  }

  create(namespace: NamespaceRecord, request: api.workflowservice.v1.ICreateScheduleRequest): ScheduleRecord {
    const id = request.scheduleId ?? '';
    if (!id) throw invalidArgument('ScheduleId is not set on request.');
    if (this.schedules.has(this.key(namespace.name, id))) {
      throw new RpcError(GrpcStatus.ALREADY_EXISTS, 'schedule with this ID is already registered');
    }
    const schedule = request.schedule ?? {};
    const record: ScheduleRecord = {
      id,
      namespace,
      schedule,
      spec: this.compile(schedule),
      memo: { ...(request.memo?.fields ?? {}) },
      searchAttributes: namespace.searchAttributes.merge({}, request.searchAttributes),
      createdAt: this.core.clock.now(),
      actionCount: 0,
      overlapSkipped: 0,
      recentActions: [],
      started: [],
      conflictToken: 1,
    };
    this.schedules.set(this.key(namespace.name, id), record);
    this.arm(record);
    if (request.initialPatch) this.patch(record, request.initialPatch);
    return record;
  }

  update(record: ScheduleRecord, schedule: api.schedule.v1.ISchedule): void {
    record.spec = this.compile(schedule);
    record.schedule = schedule;
    record.updatedAt = this.core.clock.now();
    record.conflictToken++;
    this.arm(record);
  }

  patch(record: ScheduleRecord, patch: api.schedule.v1.ISchedulePatch): void {
    const state = (record.schedule.state ??= {});
    if (patch.pause) Object.assign(state, { paused: true, notes: patch.pause });
    if (patch.unpause) Object.assign(state, { paused: false, notes: patch.unpause });
    if (patch.backfillRequest?.length) throw invalidArgument('schedule backfill is not supported by the in-memory Temporal test service');
    record.updatedAt = this.core.clock.now();
    record.conflictToken++;
    if (patch.triggerImmediately) {
      this.act(record, this.core.clock.now(), patch.triggerImmediately.overlapPolicy ?? undefined);
    }
    this.arm(record);
  }

  delete(record: ScheduleRecord): void {
    record.timer?.cancel();
    this.schedules.delete(this.key(record.namespace.name, record.id));
  }

  list(namespace: string): ScheduleRecord[] {
    return [...this.schedules.values()].filter((r) => r.namespace.name === namespace);
  }

  describe(record: ScheduleRecord): api.workflowservice.v1.IDescribeScheduleResponse {
    return {
      schedule: record.schedule,
      info: this.info(record),
      memo: { fields: record.memo },
      searchAttributes: { indexedFields: record.searchAttributes },
      conflictToken: Buffer.from(String(record.conflictToken)),
    };
  }

  listEntry(record: ScheduleRecord): api.schedule.v1.IScheduleListEntry {
    const info = this.info(record);
    return {
      scheduleId: record.id,
      memo: { fields: record.memo },
      searchAttributes: { indexedFields: record.searchAttributes },
      info: {
        spec: record.schedule.spec,
        workflowType: record.schedule.action?.startWorkflow?.workflowType,
        notes: record.schedule.state?.notes ?? '',
        paused: record.schedule.state?.paused ?? false,
        recentActions: info.recentActions,
        futureActionTimes: info.futureActionTimes,
      },
    };
  }

  close(): void {
    for (const record of this.schedules.values()) record.timer?.cancel();
  }

  private info(record: ScheduleRecord): api.schedule.v1.IScheduleInfo {
    const now = this.core.clock.now();
    return {
      actionCount: int64(record.actionCount),
      overlapSkipped: int64(record.overlapSkipped),
      runningWorkflows: record.started.filter((e) => e.isRunning()).map((e) => e.ref),
      recentActions: record.recentActions,
      futureActionTimes: futureActionTimes(record.spec, now, 10).map(msToTimestamp),
      createTime: msToTimestamp(record.createdAt),
      updateTime: record.updatedAt !== undefined ? msToTimestamp(record.updatedAt) : undefined,
    };
  }

  private compile(schedule: api.schedule.v1.ISchedule): CompiledSpec {
    if (!schedule.action?.startWorkflow) throw invalidArgument('schedule action must start a workflow');
    const spec = compileSpec(schedule.spec);
    if (typeof spec === 'string') {
      this.core.strict.record({ kind: 'unsupported-feature', message: spec });
      throw invalidArgument(spec);
    }
    return spec;
  }

  /** (Re)arms the timer of the next action time. */
  private arm(record: ScheduleRecord): void {
    record.timer?.cancel();
    record.timer = undefined;
    if (!this.schedules.has(this.key(record.namespace.name, record.id))) return;
    const now = this.core.clock.now();
    const next = nextActionTime(record.spec, now);
    if (next === undefined) return;
    record.timer = this.core.clock.setTimer(next - now, `schedule ${record.id}`, () => {
      const state = record.schedule.state;
      if (!state?.paused) this.act(record, next);
      this.arm(record);
    });
  }

  private act(record: ScheduleRecord, nominalMs: number, overlapOverride?: api.enums.v1.ScheduleOverlapPolicy): void {
    const state = (record.schedule.state ??= {});
    if (state.limitedActions && toNumber(state.remainingActions) <= 0) return;
    const overlap = overlapOverride || record.schedule.policies?.overlapPolicy || OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP;
    if (overlap !== OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL && record.started.some((e) => e.isRunning())) {
      record.overlapSkipped++;
      return;
    }
    const action = record.schedule.action!.startWorkflow!;
    const workflowId = `${action.workflowId}-${rfc3339(nominalMs)}`;
    const scheduledBy = record.namespace.searchAttributes.merge({}, {
      indexedFields: {
        TemporalScheduledById: jsonPayload(record.id),
        TemporalScheduledStartTime: jsonPayload(new Date(nominalMs).toISOString()),
      },
    });
    let outcome;
    try {
      outcome = startWorkflow(this.core, record.namespace, { ...action, workflowId, identity: 'temporal-scheduler' }, {
        defaultConflictPolicy: api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
      });
    } catch {
      return; // e.g. the id already exists: the real scheduler skips this action too.
    }
    const execution = outcome.execution;
    execution.searchAttributes = { ...execution.searchAttributes, ...scheduledBy };
    record.started.push(execution);
    record.actionCount++;
    if (state.limitedActions) state.remainingActions = int64(toNumber(state.remainingActions) - 1);
    record.recentActions = [
      ...record.recentActions,
      {
        scheduleTime: msToTimestamp(nominalMs),
        actualTime: msToTimestamp(this.core.clock.now()),
        startWorkflowResult: execution.ref,
        startWorkflowStatus: execution.status,
      },
    ].slice(-RECENT_ACTIONS);
  }
}

function jsonPayload(value: string): Payload {
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) };
}
