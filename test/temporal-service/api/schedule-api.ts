/** Schedule RPCs (interval specs only; see schedules/). */
import type { ServiceCore } from '../core';
import { invalidArgument } from '../errors';
import type { HandlerMap } from '../grpc/server';
import { api, int64 } from '../proto';
import type { ScheduleRegistry } from '../schedules/schedules';
import ws = api.workflowservice.v1;

export function scheduleApi(
  core: ServiceCore,
  schedules: ScheduleRegistry,
): HandlerMap<'CreateSchedule' | 'DescribeSchedule' | 'UpdateSchedule' | 'PatchSchedule' | 'DeleteSchedule' | 'ListSchedules' | 'CountSchedules'> {
  const find = (request: { namespace?: string | null; scheduleId?: string | null }) =>
    schedules.get(core.namespaces.get(request.namespace).name, request.scheduleId ?? '');

  return {
    CreateSchedule: (request: ws.ICreateScheduleRequest): ws.ICreateScheduleResponse => {
      const record = schedules.create(core.namespaces.get(request.namespace), request);
      return { conflictToken: schedules.describe(record).conflictToken };
    },
    DescribeSchedule: (request: ws.IDescribeScheduleRequest) => schedules.describe(find(request)),
    UpdateSchedule: (request: ws.IUpdateScheduleRequest): ws.IUpdateScheduleResponse => {
      if (!request.schedule) throw invalidArgument('Schedule is not set on request.');
      schedules.update(find(request), request.schedule);
      return {};
    },
    PatchSchedule: (request: ws.IPatchScheduleRequest): ws.IPatchScheduleResponse => {
      schedules.patch(find(request), request.patch ?? {});
      return {};
    },
    DeleteSchedule: (request: ws.IDeleteScheduleRequest): ws.IDeleteScheduleResponse => {
      schedules.delete(find(request));
      return {};
    },
    ListSchedules: (request: ws.IListSchedulesRequest): ws.IListSchedulesResponse => {
      const namespace = core.namespaces.get(request.namespace);
      if (request.query) throw invalidArgument('ListSchedules queries are not supported by the in-memory Temporal test service');
      return { schedules: schedules.list(namespace.name).map((record) => schedules.listEntry(record)) };
    },
    CountSchedules: (request: ws.ICountSchedulesRequest): ws.ICountSchedulesResponse => ({
      count: int64(schedules.list(core.namespaces.get(request.namespace).name).length),
    }),
  };
}
