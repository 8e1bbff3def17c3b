/**
 * Assembles the gRPC services (WorkflowService, OperatorService) from the RPC handler groups.
 */
import { activityApi } from './api/activity-api';
import { historyApi } from './api/history-api';
import { interactionApi } from './api/interaction-api';
import { namespaceApi } from './api/namespace-api';
import { scheduleApi } from './api/schedule-api';
import { visibilityApi, operatorApi } from './api/visibility-api';
import { workerApi } from './api/worker-api';
import { workflowApi } from './api/workflow-api';
import type { ServiceCore } from './core';
import type { ServiceBinding } from './grpc/server';

export const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
export const OPERATOR_SERVICE = 'temporal.api.operatorservice.v1.OperatorService';

export function serviceBindings(core: ServiceCore): ServiceBinding[] {
  return [
    {
      serviceName: WORKFLOW_SERVICE,
      handlers: {
        ...namespaceApi(core),
        ...workflowApi(core),
        ...historyApi(core),
        ...workerApi(core),
        ...activityApi(core),
        ...interactionApi(core),
        ...visibilityApi(core),
        ...scheduleApi(core, core.schedules),
      },
    },
    { serviceName: OPERATOR_SERVICE, handlers: { ...operatorApi(core) } },
  ];
}
