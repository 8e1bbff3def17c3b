/** List/Count workflow executions and the operator service's search attribute management. */
import type { ServiceCore } from '../core';
import { invalidArgument } from '../errors';
import type { HandlerMap } from '../grpc/server';
import { api, int64 } from '../proto';
import { keywordPayload } from '../search-attributes';
import { executionInfo } from '../visibility/execution-info';
import { parseVisibilityQuery } from '../visibility/query-parser';
import { filterExecutions, statusName } from '../visibility/visibility';
import ws = api.workflowservice.v1;
import ops = api.operatorservice.v1;

function decodeOffset(token: Uint8Array | null | undefined): number {
  if (!token || token.length === 0) return 0;
  const offset = Number(Buffer.from(token).toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('Invalid NextPageToken.');
  return offset;
}

export function visibilityApi(
  core: ServiceCore,
): HandlerMap<'ListWorkflowExecutions' | 'ScanWorkflowExecutions' | 'CountWorkflowExecutions'> {
  const list = (request: ws.IListWorkflowExecutionsRequest): ws.IListWorkflowExecutionsResponse => {
    const namespace = core.namespaces.get(request.namespace);
    const query = parseVisibilityQuery(request.query);
    if (query.groupBy) throw invalidArgument('invalid query: GROUP BY is only supported by CountWorkflowExecutions');
    const matching = filterExecutions(core.store.all(namespace.name), query, namespace.searchAttributes);
    const offset = decodeOffset(request.nextPageToken);
    const pageSize = request.pageSize || core.config.visibilityPageSize;
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      executions: page.map(executionInfo),
      nextPageToken: next < matching.length ? Buffer.from(String(next), 'utf8') : undefined,
    };
  };

  return {
    ListWorkflowExecutions: list,
    ScanWorkflowExecutions: (request: ws.IScanWorkflowExecutionsRequest) => list(request),
    CountWorkflowExecutions: (request: ws.ICountWorkflowExecutionsRequest): ws.ICountWorkflowExecutionsResponse => {
      const namespace = core.namespaces.get(request.namespace);
      const query = parseVisibilityQuery(request.query);
      const matching = filterExecutions(core.store.all(namespace.name), query, namespace.searchAttributes);
      if (!query.groupBy) return { count: int64(matching.length) };
      if (query.groupBy !== 'ExecutionStatus') {
        throw invalidArgument(`invalid query: GROUP BY ${query.groupBy} is not supported, only ExecutionStatus`);
      }
      const counts = new Map<string, number>();
      for (const execution of matching) {
        const status = statusName(execution.status);
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
      return {
        count: int64(matching.length),
        groups: [...counts].map(([status, count]) => ({ groupValues: [keywordPayload(status)], count: int64(count) })),
      };
    },
  };
}

export function operatorApi(core: ServiceCore): HandlerMap<'AddSearchAttributes' | 'RemoveSearchAttributes' | 'ListSearchAttributes'> {
  return {
    AddSearchAttributes: (request: ops.IAddSearchAttributesRequest): ops.IAddSearchAttributesResponse => {
      const registry = core.namespaces.get(request.namespace).searchAttributes;
      for (const [name, type] of Object.entries(request.searchAttributes ?? {})) registry.add(name, type);
      return {};
    },
    RemoveSearchAttributes: (request: ops.IRemoveSearchAttributesRequest): ops.IRemoveSearchAttributesResponse => {
      const registry = core.namespaces.get(request.namespace).searchAttributes;
      for (const name of request.searchAttributes ?? []) {
        try {
          registry.remove(name);
        } catch (err) {
          throw invalidArgument((err as Error).message);
        }
      }
      return {};
    },
    ListSearchAttributes: (request: ops.IListSearchAttributesRequest): ops.IListSearchAttributesResponse => {
      const registry = core.namespaces.get(request.namespace).searchAttributes;
      return {
        customAttributes: registry.customAttributes(),
        systemAttributes: registry.systemAttributes(),
        storageSchema: {},
      };
    },
  };
}
