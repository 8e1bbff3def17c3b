/**
 * Strict mode: in tests, anything that would make a real run silently hang or retry forever is a
 * bug to report loudly — an RPC this double does not implement, a command it does not support, a
 * workflow task failed by the worker (nondeterminism, workflow code throwing a non-Temporal error)
 * or timed out.
 *
 * Violations are recorded (the harness's teardown throws them), logged immediately, and pushed to
 * the affected workflow's listeners so a client blocked on that workflow fails right away instead
 * of waiting for a test timeout.
 */

export type ViolationKind =
  | 'unimplemented-rpc'
  | 'unsupported-command'
  | 'invalid-command'
  | 'workflow-task-failed'
  | 'workflow-task-timed-out'
  | 'unsupported-feature';

export interface StrictViolation {
  kind: ViolationKind;
  message: string;
  /** `namespace/workflowId/runId` when the violation concerns one workflow run. */
  executionKey?: string;
}

export class StrictModeError extends Error {
  constructor(readonly violations: readonly StrictViolation[]) {
    super(
      `In-memory Temporal service recorded ${violations.length} strict-mode violation(s):\n` +
        violations.map((v, i) => `  ${i + 1}. [${v.kind}] ${v.message}`).join('\n'),
    );
    this.name = 'StrictModeError';
  }
}

export class StrictMode {
  private readonly recorded: StrictViolation[] = [];
  private readonly listeners = new Map<string, Set<(violation: StrictViolation) => void>>();

  constructor(
    public enabled: boolean,
    private readonly log: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
  ) {}

  get violations(): readonly StrictViolation[] {
    return this.recorded;
  }

  /**
   * Records a violation when strict mode is on (otherwise only logs it as a warning); returns
   * whether it was recorded.
   */
  record(violation: StrictViolation): boolean {
    if (!this.enabled) {
      this.log(`[in-memory Temporal] warning: ${violation.kind}: ${violation.message}`);
      return false;
    }
    this.recorded.push(violation);
    this.log(`[in-memory Temporal strict mode] ${violation.kind}: ${violation.message}`);
    if (violation.executionKey) {
      for (const listener of this.listeners.get(violation.executionKey) ?? []) listener(violation);
    }
    return true;
  }

  /** First violation recorded for a workflow run, if any. */
  violationFor(executionKey: string): StrictViolation | undefined {
    return this.recorded.find((v) => v.executionKey === executionKey);
  }

  /** Subscribes to violations of one run; returns the unsubscribe function. */
  watch(executionKey: string, listener: (violation: StrictViolation) => void): () => void {
    let set = this.listeners.get(executionKey);
    if (!set) this.listeners.set(executionKey, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  /** Throws a {@link StrictModeError} listing every violation recorded so far. */
  assertNoViolations(): void {
    if (this.recorded.length > 0) throw new StrictModeError([...this.recorded]);
  }

  /** Forgets recorded violations (for tests that provoke one on purpose). */
  clear(): StrictViolation[] {
    return this.recorded.splice(0);
  }
}
