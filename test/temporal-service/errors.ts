/**
 * gRPC errors shaped like the real server's `serviceerror` package: same status codes, messages in
 * the same spirit, and the same `grpc-status-details-bin` detail messages, because SDK behaviour
 * keys on them (e.g. the client turns ALREADY_EXISTS into WorkflowExecutionAlreadyStartedError, the
 * worker treats NOT_FOUND on a task completion as "task is stale").
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { serverFailure } from './failures';
import { api, google, packAny } from './proto';

export { GrpcStatus };

export class RpcError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
    /** Error details, packed into `google.rpc.Status.details`. */
    readonly details: google.protobuf.IAny[] = [],
  ) {
    super(message);
    this.name = 'RpcError';
  }

  /** The `google.rpc.Status` carried in the `grpc-status-details-bin` trailer. */
  toStatusProto(): google.rpc.IStatus {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function invalidArgument(message: string): RpcError {
  return new RpcError(GrpcStatus.INVALID_ARGUMENT, message);
}

export function notFound(message: string): RpcError {
  return new RpcError(GrpcStatus.NOT_FOUND, message, [
    packAny<api.errordetails.v1.INotFoundFailure>('temporal.api.errordetails.v1.NotFoundFailure', {
      currentCluster: 'active',
      activeCluster: 'active',
    }),
  ]);
}

export function namespaceNotFound(namespace: string): RpcError {
  return new RpcError(GrpcStatus.NOT_FOUND, `Namespace ${namespace} is not found.`, [
    packAny<api.errordetails.v1.INamespaceNotFoundFailure>('temporal.api.errordetails.v1.NamespaceNotFoundFailure', {
      namespace,
    }),
  ]);
}

export function workflowNotFound(workflowId: string, runId?: string): RpcError {
  return notFound(`workflow not found for ID: ${workflowId}${runId ? `, run ID: ${runId}` : ''}`);
}

/** The real server's message for operations on a closed run. */
export function workflowAlreadyCompleted(): RpcError {
  return notFound('workflow execution already completed');
}

export function workflowExecutionAlreadyStarted(message: string, startRequestId: string, runId: string): RpcError {
  return new RpcError(GrpcStatus.ALREADY_EXISTS, message, [
    packAny<api.errordetails.v1.IWorkflowExecutionAlreadyStartedFailure>(
      'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
      { startRequestId, runId },
    ),
  ]);
}

export function queryFailed(message: string, failure?: api.failure.v1.IFailure): RpcError {
  return new RpcError(GrpcStatus.INVALID_ARGUMENT, message, [
    packAny<api.errordetails.v1.IQueryFailedFailure>('temporal.api.errordetails.v1.QueryFailedFailure', {
      failure: failure ?? serverFailure(message),
    }),
  ]);
}

export function unimplemented(what: string): RpcError {
  return new RpcError(GrpcStatus.UNIMPLEMENTED, `${what} is not implemented by the in-memory Temporal test service`);
}

/**
 * Raised to callers blocked on a workflow (result long-polls, updates) when strict mode recorded a
 * violation for it. FAILED_PRECONDITION is not retried by the SDK clients, so the test fails fast.
 */
export function strictModeViolation(message: string): RpcError {
  return new RpcError(GrpcStatus.FAILED_PRECONDITION, `[in-memory Temporal strict mode] ${message}`);
}

export function asRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return new RpcError(GrpcStatus.INTERNAL, `in-memory Temporal service internal error: ${message}`);
}
