/**
 * Namespaces known to the service and their search attribute registries. `default` always exists;
 * more can be registered through RegisterNamespace.
 */
import { randomUUID } from 'node:crypto';
import { invalidArgument, namespaceNotFound, RpcError, GrpcStatus } from './errors';
import { api, IDuration, msToDuration } from './proto';
import { IndexedType, SearchAttributeRegistry } from './search-attributes';

export interface NamespaceRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly ownerEmail: string;
  readonly retention: IDuration;
  readonly searchAttributes: SearchAttributeRegistry;
}

const DEFAULT_RETENTION = msToDuration(24 * 60 * 60 * 1000);

export class NamespaceRegistry {
  private readonly byName = new Map<string, NamespaceRecord>();

  constructor(private readonly defaultSearchAttributes: Record<string, IndexedType>) {
    this.register({ namespace: 'default', description: 'Default namespace of the in-memory Temporal test service' });
  }

  register(request: api.workflowservice.v1.IRegisterNamespaceRequest): NamespaceRecord {
    const name = request.namespace ?? '';
    if (!name) throw invalidArgument('Namespace name is not set on request.');
    if (this.byName.has(name)) {
      throw new RpcError(GrpcStatus.ALREADY_EXISTS, 'Namespace already exists.', []);
    }
    const record: NamespaceRecord = {
      id: randomUUID(),
      name,
      description: request.description ?? '',
      ownerEmail: request.ownerEmail ?? '',
      retention: request.workflowExecutionRetentionPeriod ?? DEFAULT_RETENTION,
      searchAttributes: new SearchAttributeRegistry(this.defaultSearchAttributes),
    };
    this.byName.set(name, record);
    return record;
  }

  /** Looks a namespace up by name; NOT_FOUND with NamespaceNotFoundFailure like the real server. */
  get(name: string | null | undefined): NamespaceRecord {
    const record = this.byName.get(name || 'default');
    if (!record) throw namespaceNotFound(name ?? '');
    return record;
  }

  getById(id: string): NamespaceRecord {
    for (const record of this.byName.values()) if (record.id === id) return record;
    throw namespaceNotFound(id);
  }

  all(): NamespaceRecord[] {
    return [...this.byName.values()];
  }

  describe(record: NamespaceRecord): api.workflowservice.v1.IDescribeNamespaceResponse {
    return {
      namespaceInfo: {
        name: record.name,
        id: record.id,
        state: api.enums.v1.NamespaceState.NAMESPACE_STATE_REGISTERED,
        description: record.description,
        ownerEmail: record.ownerEmail,
        supportsSchedules: true,
        // Advertise only what this double implements: workers then skip worker heartbeats,
        // poller autoscaling and paginated completions.
        capabilities: { syncUpdate: true, asyncUpdate: true, eagerWorkflowStart: false },
      },
      config: {
        workflowExecutionRetentionTtl: record.retention,
        historyArchivalState: api.enums.v1.ArchivalState.ARCHIVAL_STATE_DISABLED,
        visibilityArchivalState: api.enums.v1.ArchivalState.ARCHIVAL_STATE_DISABLED,
      },
      replicationConfig: {
        activeClusterName: 'active',
        clusters: [{ clusterName: 'active' }],
        state: api.enums.v1.ReplicationState.REPLICATION_STATE_NORMAL,
      },
      isGlobalNamespace: false,
    };
  }
}
