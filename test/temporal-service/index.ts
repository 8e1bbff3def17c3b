/**
 * In-memory Temporal test service: a test double of Temporal's gRPC frontend, good enough for the
 * real SDK worker and client. Nothing is durable; it is never the production engine.
 *
 *   const temporal = await startInMemoryTemporal({ timeSkipping: true, strict: true });
 *   const connection = await NativeConnection.connect({ address: temporal.address });
 */
import type { ServiceConfig } from './config';
import { ServiceCore } from './core';
import { startGrpcServer } from './grpc/server';
import { IndexedValueType } from './proto';
import { IndexedType } from './search-attributes';
import { serviceBindings } from './service';
import type { StrictViolation } from './strict';

export { StrictModeError } from './strict';
export type { StrictViolation } from './strict';
export type { ServiceConfig } from './config';

/** The project's custom search attributes, registered by default in every namespace. */
export const PROJECT_SEARCH_ATTRIBUTES: Readonly<Record<string, IndexedType>> = {
  TicketStatus: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TicketSource: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  CrmTicketId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

export interface InMemoryTemporalOptions {
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  host?: string;
  /** Skip virtual time while clients wait on results and nothing is in flight. Default true. */
  timeSkipping?: boolean;
  /** Turn unimplemented RPCs, unsupported commands and failed workflow tasks into errors. Default true. */
  strict?: boolean;
  /** Custom search attributes; defaults to {@link PROJECT_SEARCH_ATTRIBUTES}. */
  searchAttributes?: Record<string, IndexedType>;
  config?: Partial<ServiceConfig>;
  /** Where strict-mode violations are logged. Defaults to console.error. */
  log?: (message: string) => void;
}

export interface InMemoryTemporal {
  /** `host:port` to give to `Connection.connect` / `NativeConnection.connect`. */
  readonly address: string;
  readonly port: number;
  readonly namespace: 'default';
  readonly timeSkipping: boolean;
  /** Current virtual time (epoch ms): what workflows see as `Date.now()`. */
  now(): number;
  /** Lets `ms` of virtual time pass, skipping ahead whenever nothing is in flight. */
  sleep(ms: number): Promise<void>;
  /** Turns automatic skipping (while a client awaits a result) on or off. */
  setAutoSkip(enabled: boolean): void;
  /** Strict-mode violations recorded so far. */
  violations(): readonly StrictViolation[];
  /** Throws a StrictModeError if any violation was recorded. */
  assertNoViolations(): void;
  /** Forgets recorded violations (for tests provoking one on purpose). */
  clearViolations(): StrictViolation[];
  /** Describes pending timers and in-flight work — useful when a test hangs. */
  debugState(): string;
  close(): Promise<void>;
}

export async function startInMemoryTemporal(options: InMemoryTemporalOptions = {}): Promise<InMemoryTemporal> {
  const timeSkipping = options.timeSkipping ?? true;
  const core = new ServiceCore({
    timeSkipping,
    strict: options.strict ?? true,
    searchAttributes: { ...(options.searchAttributes ?? PROJECT_SEARCH_ATTRIBUTES) },
    config: options.config,
    log: options.log,
  });
  const server = await startGrpcServer(options.host ?? '127.0.0.1', options.port ?? 0, serviceBindings(core), {
    onUnimplemented: (method) =>
      core.strict.record({
        kind: 'unimplemented-rpc',
        message: `RPC ${method} is not implemented by the in-memory Temporal test service`,
      }),
  });
  let closed = false;
  return {
    address: server.address,
    port: server.port,
    namespace: 'default',
    timeSkipping,
    now: () => core.clock.now(),
    sleep: (ms) => core.skipper.sleep(ms),
    setAutoSkip: (enabled) => core.skipper.setAutoSkip(enabled),
    violations: () => core.strict.violations,
    assertNoViolations: () => core.strict.assertNoViolations(),
    clearViolations: () => core.strict.clear(),
    debugState: () =>
      [
        `virtual time ${new Date(core.clock.now()).toISOString()} (skipped ${core.clock.skippedMs()} ms)`,
        ...core.clock.pendingTimers().map((t) => `timer at ${new Date(t.dueAt).toISOString()}: ${t.label}`),
        ...core.matching.describeBacklog(),
      ].join('\n'),
    close: async () => {
      if (closed) return;
      closed = true;
      core.close();
      await server.close();
    },
  };
}
