/**
 * gRPC wiring: turns the protobufjs reflection of a Temporal service into a grpc-js
 * ServiceDefinition and binds handler functions to it. Knows nothing about Temporal semantics.
 *
 * Every method of the service is registered; those without a handler answer UNIMPLEMENTED and are
 * reported to the `onUnimplemented` hook (strict mode turns that into a test failure).
 */
import * as grpc from '@grpc/grpc-js';
import { asRpcError, RpcError, unimplemented } from '../errors';
import { google, lookupService, lookupType, ReflectedMethod, ReflectedType } from '../proto';

/** Per-call facilities handlers need for long polls. */
export interface CallContext {
  readonly method: string;
  /** True once the client cancelled the call or its deadline passed. */
  isCancelled(): boolean;
  onCancelled(callback: () => void): void;
  /**
   * How long a long poll may be held: `preferredMs`, shortened so the empty answer reaches the
   * client before its own deadline.
   */
  longPollMs(preferredMs: number): number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- requests are typed by each handler
export type UnaryHandler = (request: any, call: CallContext) => Promise<object> | object;

/** The PascalCase method names of a generated protobufjs service class. */
export type MethodName<S> = {
  [K in keyof S]: S[K] extends { readonly name: infer N extends string } ? N : never;
}[keyof S];

export type HandlerMap<Name extends string> = Partial<Record<Name, UnaryHandler>>;

export interface ServiceBinding {
  /** Fully-qualified service name, e.g. `temporal.api.workflowservice.v1.WorkflowService`. */
  serviceName: string;
  handlers: Partial<Record<string, UnaryHandler>>;
}

export interface GrpcServerHooks {
  onUnimplemented(method: string): void;
}

const statusType = lookupType<google.rpc.IStatus>('google.rpc.Status');

/** Margin kept between a long poll's empty answer and the client's deadline. */
const DEADLINE_MARGIN_MS = 1_000;

function serializer(type: ReflectedType): (value: object) => Buffer {
  return (value) => Buffer.from(type.encode(value).finish());
}

function deserializer(type: ReflectedType): (buffer: Buffer) => object {
  return (buffer) => type.decode(buffer);
}

function methodDefinition(serviceName: string, method: ReflectedMethod): grpc.MethodDefinition<object, object> {
  method.resolve();
  const requestType = method.resolvedRequestType;
  const responseType = method.resolvedResponseType;
  if (!requestType || !responseType) throw new Error(`Cannot resolve types of ${serviceName}/${method.name}`);
  return {
    path: `/${serviceName}/${method.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: serializer(requestType),
    requestDeserialize: deserializer(requestType),
    responseSerialize: serializer(responseType),
    responseDeserialize: deserializer(responseType),
  };
}

function toServiceError(error: RpcError): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(statusType.encode(error.toStatusProto()).finish()));
  return { code: error.code, details: error.message, metadata };
}

function callContext(method: string, call: grpc.ServerUnaryCall<object, object>): CallContext {
  return {
    method,
    isCancelled: () => call.cancelled,
    onCancelled: (callback) => call.on('cancelled', callback),
    longPollMs: (preferredMs) => {
      const deadline = call.getDeadline();
      const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
      if (!Number.isFinite(deadlineMs)) return preferredMs;
      return Math.max(0, Math.min(preferredMs, deadlineMs - Date.now() - DEADLINE_MARGIN_MS));
    },
  };
}

function bindService(server: grpc.Server, binding: ServiceBinding, hooks: GrpcServerHooks): void {
  const service = lookupService(binding.serviceName);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Object.values(service.methods)) {
    if (method.requestStream || method.responseStream) continue; // Temporal's APIs are unary.
    definition[method.name] = methodDefinition(binding.serviceName, method);
    const handler = binding.handlers[method.name];
    implementation[method.name] = (
      call: grpc.ServerUnaryCall<object, object>,
      callback: grpc.sendUnaryData<object>,
    ): void => {
      if (!handler) {
        hooks.onUnimplemented(method.name);
        callback(toServiceError(unimplemented(`${binding.serviceName}/${method.name}`)));
        return;
      }
      const context = callContext(method.name, call);
      Promise.resolve()
        .then(() => handler(call.request, context))
        .then(
          (response) => callback(null, response),
          (err: unknown) => callback(toServiceError(asRpcError(err))),
        );
    };
  }
  server.addService(definition, implementation);
}

export interface RunningGrpcServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

export async function startGrpcServer(
  host: string,
  port: number,
  bindings: ServiceBinding[],
  hooks: GrpcServerHooks,
): Promise<RunningGrpcServer> {
  const server = new grpc.Server({
    // Workers send large histories back and forth; match the SDKs' own limits.
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
    'grpc.max_send_message_length': 128 * 1024 * 1024,
  });
  for (const binding of bindings) bindService(server, binding, hooks);
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, actualPort) =>
      err ? reject(err) : resolve(actualPort),
    );
  });
  return {
    port: boundPort,
    address: `${host}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Long polls would keep a graceful shutdown waiting for up to a minute.
        server.forceShutdown();
        resolve();
      }),
  };
}
