/**
 * Access to the Temporal API protobuf definitions shipped in `@temporalio/proto`, plus the small
 * conversions (int64, Duration, Timestamp, Any) every other module needs.
 *
 * `@temporalio/proto` is a protobufjs reflection root, so message types carry `encode`/`decode`
 * and services carry their method list: that is all the gRPC layer needs, no .proto loading.
 */
import * as protoRoot from '@temporalio/proto';
import Long from 'long';

export import temporal = protoRoot.temporal;
export import google = protoRoot.google;

export import api = protoRoot.temporal.api;

// Short aliases for the types the service manipulates most.
export type Payload = api.common.v1.IPayload;
export type Payloads = api.common.v1.IPayloads;
export type Failure = api.failure.v1.IFailure;
export type HistoryEvent = api.history.v1.IHistoryEvent;
export type Command = api.command.v1.ICommand;
export type ProtocolMessage = api.protocol.v1.IMessage;
export type RetryPolicy = api.common.v1.IRetryPolicy;
export type Memo = api.common.v1.IMemo;
export type SearchAttributes = api.common.v1.ISearchAttributes;
export type Header = api.common.v1.IHeader;
export type WorkflowExecutionRef = api.common.v1.IWorkflowExecution;
export type IDuration = google.protobuf.IDuration;
export type ITimestamp = google.protobuf.ITimestamp;

export const EventType = api.enums.v1.EventType;
export const CommandType = api.enums.v1.CommandType;
export const WorkflowExecutionStatus = api.enums.v1.WorkflowExecutionStatus;
export const RetryState = api.enums.v1.RetryState;
export const TimeoutType = api.enums.v1.TimeoutType;
export const TaskQueueKind = api.enums.v1.TaskQueueKind;
export const WorkflowTaskFailedCause = api.enums.v1.WorkflowTaskFailedCause;
export const IndexedValueType = api.enums.v1.IndexedValueType;

/** Minimal shape of a protobufjs reflected message type that we rely on. */
export interface ReflectedType<T = object> {
  readonly fullName: string;
  encode(message: T): { finish(): Uint8Array };
  decode(reader: Uint8Array): T;
}

/** Minimal shape of a protobufjs reflected service method. */
export interface ReflectedMethod {
  readonly name: string;
  readonly requestStream?: boolean;
  readonly responseStream?: boolean;
  readonly resolvedRequestType: ReflectedType | null;
  readonly resolvedResponseType: ReflectedType | null;
  resolve(): unknown;
}

export interface ReflectedService {
  readonly fullName: string;
  readonly methods: Record<string, ReflectedMethod>;
}

interface LookupRoot {
  lookupService(path: string): ReflectedService;
  lookupType(path: string): ReflectedType;
}

const root = protoRoot as unknown as LookupRoot;

export function lookupService(fullName: string): ReflectedService {
  return root.lookupService(fullName);
}

export function lookupType<T = object>(fullName: string): ReflectedType<T> {
  return root.lookupType(fullName) as ReflectedType<T>;
}

// ---------------------------------------------------------------------------------------------
// int64 / Duration / Timestamp

export type Int64Like = Long | number | string | null | undefined;

export function int64(n: number): Long {
  return Long.fromNumber(n);
}

export function toNumber(value: Int64Like): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

/** Converts a protobuf Duration to milliseconds; `undefined` when unset or zero (= "not set"). */
export function durationMs(d: IDuration | null | undefined): number | undefined {
  if (!d) return undefined;
  const ms = toNumber(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : undefined;
}

export function msToDuration(ms: number): IDuration {
  const seconds = Math.floor(ms / 1000);
  return { seconds: int64(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function optionalDuration(ms: number | undefined): IDuration | undefined {
  return ms === undefined ? undefined : msToDuration(ms);
}

export function msToTimestamp(ms: number): ITimestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds: int64(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function timestampMs(ts: ITimestamp | null | undefined): number | undefined {
  if (!ts) return undefined;
  return toNumber(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

// ---------------------------------------------------------------------------------------------
// google.protobuf.Any

const TYPE_URL_PREFIX = 'type.googleapis.com/';

export function packAny<T extends object>(typeName: string, message: T): google.protobuf.IAny {
  const type = lookupType<T>(typeName);
  return { type_url: TYPE_URL_PREFIX + typeName, value: type.encode(message).finish() };
}

/** Returns the fully-qualified type name of an Any (`temporal.api.update.v1.Acceptance`). */
export function anyTypeName(any: google.protobuf.IAny | null | undefined): string {
  return (any?.type_url ?? '').replace(TYPE_URL_PREFIX, '');
}

export function unpackAny<T extends object>(any: google.protobuf.IAny | null | undefined): T {
  const value = any?.value;
  if (!value) throw new Error('Any message has no value');
  return lookupType<T>(anyTypeName(any)).decode(value);
}
