/**
 * The service's object graph: clock, time skipping, matching, namespaces, runs and strict mode.
 * RPC handlers receive this; it contains no RPC logic itself.
 */
import { VirtualClock } from './clock';
import { DEFAULT_CONFIG, ServiceConfig } from './config';
import { ExecutionEnvironment, RunInit, WorkflowExecution } from './execution/execution';
import { ExecutionStore } from './execution/store';
import { Matching } from './matching/matching';
import { NamespaceRecord, NamespaceRegistry } from './namespaces';
import { ScheduleRegistry } from './schedules/schedules';
import { IndexedType } from './search-attributes';
import { StrictMode } from './strict';
import { TimeSkipper } from './time-skipper';

export interface CoreOptions {
  /** Skip time while a client waits on a workflow result and nothing is in flight. */
  timeSkipping: boolean;
  strict: boolean;
  /** Custom search attributes registered in every namespace. */
  searchAttributes: Record<string, IndexedType>;
  config?: Partial<ServiceConfig>;
  log?: (message: string) => void;
}

export class ServiceCore {
  readonly clock = new VirtualClock();
  readonly config: ServiceConfig;
  readonly strict: StrictMode;
  readonly matching: Matching;
  readonly skipper: TimeSkipper;
  readonly namespaces: NamespaceRegistry;
  readonly store = new ExecutionStore();
  readonly schedules: ScheduleRegistry;
  /** Listeners of any state change (visibility/history long polls re-check on it). */
  private readonly changeListeners = new Set<() => void>();

  constructor(options: CoreOptions) {
    this.config = { ...DEFAULT_CONFIG, ...options.config };
    this.strict = new StrictMode(options.strict, options.log);
    this.matching = new Matching(() => this.changed());
    this.skipper = new TimeSkipper(this.clock, { autoSkip: options.timeSkipping, isIdle: () => this.matching.isIdle() });
    this.namespaces = new NamespaceRegistry(options.searchAttributes);
    this.schedules = new ScheduleRegistry(this);
  }

  changed(): void {
    this.skipper.poke();
    for (const listener of this.changeListeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Creates, registers and starts a run. */
  startRun(namespace: NamespaceRecord, init: RunInit): WorkflowExecution {
    const environment: ExecutionEnvironment = {
      clock: this.clock,
      matching: this.matching,
      strict: this.strict,
      config: this.config,
      namespace,
      changed: () => this.changed(),
      startNextRun: (_previous, next) => this.startRun(namespace, next),
    };
    const execution = new WorkflowExecution(environment, init);
    this.store.add(execution);
    execution.start();
    return execution;
  }

  close(): void {
    this.schedules.close();
    this.skipper.close();
    this.clock.close();
    this.matching.close();
  }
}
