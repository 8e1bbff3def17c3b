/** System info and namespace RPCs. */
import type { ServiceCore } from '../core';
import type { HandlerMap } from '../grpc/server';
import { api, int64 } from '../proto';

import ws = api.workflowservice.v1;

/** Version reported to clients; the capabilities below are what the 1.24 SDK checks. */
export const SERVER_VERSION = '1.27.0-in-memory';

export function namespaceApi(
  core: ServiceCore,
): HandlerMap<'GetSystemInfo' | 'GetClusterInfo' | 'DescribeNamespace' | 'ListNamespaces' | 'RegisterNamespace' | 'GetSearchAttributes'> {
  return {
    GetSystemInfo: (): ws.IGetSystemInfoResponse => ({
      serverVersion: SERVER_VERSION,
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        supportsSchedules: true,
        encodedFailureAttributes: true,
        buildIdBasedVersioning: false,
        upsertMemo: true,
        eagerWorkflowStart: false,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
        nexus: false,
      },
    }),

    GetClusterInfo: (): ws.IGetClusterInfoResponse => ({
      serverVersion: SERVER_VERSION,
      clusterId: 'in-memory',
      clusterName: 'active',
      historyShardCount: 1,
      persistenceStore: 'in-memory',
      visibilityStore: 'in-memory',
      supportedClients: {},
      initialFailoverVersion: int64(1),
    }),

    DescribeNamespace: (request: ws.IDescribeNamespaceRequest) => {
      const record = request.id ? core.namespaces.getById(request.id) : core.namespaces.get(request.namespace);
      return core.namespaces.describe(record);
    },

    ListNamespaces: (): ws.IListNamespacesResponse => ({
      namespaces: core.namespaces.all().map((record) => core.namespaces.describe(record)),
    }),

    RegisterNamespace: (request: ws.IRegisterNamespaceRequest) => {
      core.namespaces.register(request);
      return {};
    },

    GetSearchAttributes: (): ws.IGetSearchAttributesResponse => {
      const registry = core.namespaces.get('default').searchAttributes;
      return { keys: { ...registry.systemAttributes(), ...registry.customAttributes() } };
    },
  };
}
