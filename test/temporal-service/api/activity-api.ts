/** Worker-facing activity RPCs (task token and by-id variants). */
import type { ServiceCore } from '../core';
import { invalidArgument } from '../errors';
import type { ActivityState } from '../execution/activities';
import type { WorkflowExecution } from '../execution/execution';
import { decodeTaskToken } from '../execution/task-token';
import type { CallContext, HandlerMap } from '../grpc/server';
import { api } from '../proto';
import ws = api.workflowservice.v1;

interface Located {
  execution: WorkflowExecution;
  activity: ActivityState;
}

export function activityApi(
  core: ServiceCore,
): HandlerMap<
  | 'PollActivityTaskQueue'
  | 'RespondActivityTaskCompleted'
  | 'RespondActivityTaskCompletedById'
  | 'RespondActivityTaskFailed'
  | 'RespondActivityTaskFailedById'
  | 'RespondActivityTaskCanceled'
  | 'RespondActivityTaskCanceledById'
  | 'RecordActivityTaskHeartbeat'
  | 'RecordActivityTaskHeartbeatById'
> {
  const byToken = (bytes: Uint8Array | null | undefined): Located => {
    const token = decodeTaskToken(bytes);
    if (token.kind !== 'activity') throw invalidArgument('Task token is not an activity task token.');
    const execution = core.store.get(token.namespace, token.workflowId, token.runId);
    return { execution, activity: execution.activities.startedAttempt(token.scheduledEventId, token.attempt) };
  };

  const byId = (request: { namespace?: string | null; workflowId?: string | null; runId?: string | null; activityId?: string | null }): Located => {
    const namespace = core.namespaces.get(request.namespace);
    const execution = core.store.get(namespace.name, request.workflowId ?? '', request.runId);
    return { execution, activity: execution.activities.byActivityId(request.activityId ?? '') };
  };

  const complete = ({ execution, activity }: Located, result: api.common.v1.IPayloads | null | undefined, identity?: string | null) => {
    execution.activities.complete(activity, result, identity ?? '');
    return {};
  };
  const fail = (
    { execution, activity }: Located,
    failure: api.failure.v1.IFailure | null | undefined,
    details: api.common.v1.IPayloads | null | undefined,
    identity?: string | null,
  ) => {
    execution.activities.fail(activity, failure ?? { message: 'activity failed' }, details, identity ?? '');
    return {};
  };
  const canceled = ({ execution, activity }: Located, details: api.common.v1.IPayloads | null | undefined, identity?: string | null) => {
    execution.activities.reportCanceled(activity, details, identity ?? '');
    return {};
  };
  const heartbeat = ({ execution, activity }: Located, details: api.common.v1.IPayloads | null | undefined) => {
    const { cancelRequested } = execution.activities.heartbeat(activity, details);
    return { cancelRequested, activityPaused: false, activityReset: false };
  };

  return {
    PollActivityTaskQueue: async (request: ws.IPollActivityTaskQueueRequest, call: CallContext): Promise<ws.IPollActivityTaskQueueResponse> => {
      const namespace = core.namespaces.get(request.namespace);
      const queueName = request.taskQueue?.name;
      if (!queueName) throw invalidArgument('TaskQueue is not set on request.');
      const response = await core.matching.pollActivityTask(namespace.name, queueName, {
        identity: request.identity ?? '',
        timeoutMs: call.longPollMs(core.config.taskPollTimeoutMs),
        isGone: () => call.isCancelled(),
        onGone: (callback) => call.onCancelled(callback),
      });
      return response ?? {};
    },

    RespondActivityTaskCompleted: (r: ws.IRespondActivityTaskCompletedRequest) => complete(byToken(r.taskToken), r.result, r.identity),
    RespondActivityTaskCompletedById: (r: ws.IRespondActivityTaskCompletedByIdRequest) => complete(byId(r), r.result, r.identity),
    RespondActivityTaskFailed: (r: ws.IRespondActivityTaskFailedRequest) =>
      fail(byToken(r.taskToken), r.failure, r.lastHeartbeatDetails, r.identity),
    RespondActivityTaskFailedById: (r: ws.IRespondActivityTaskFailedByIdRequest) =>
      fail(byId(r), r.failure, r.lastHeartbeatDetails, r.identity),
    RespondActivityTaskCanceled: (r: ws.IRespondActivityTaskCanceledRequest) => canceled(byToken(r.taskToken), r.details, r.identity),
    RespondActivityTaskCanceledById: (r: ws.IRespondActivityTaskCanceledByIdRequest) => canceled(byId(r), r.details, r.identity),
    RecordActivityTaskHeartbeat: (r: ws.IRecordActivityTaskHeartbeatRequest) => heartbeat(byToken(r.taskToken), r.details),
    RecordActivityTaskHeartbeatById: (r: ws.IRecordActivityTaskHeartbeatByIdRequest) => heartbeat(byId(r), r.details),
  };
}
