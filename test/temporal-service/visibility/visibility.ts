/**
 * Visibility: evaluates parsed List/Count queries against the runs of a namespace.
 *
 * Unlike the real server, visibility here is immediately consistent. Tests meant to also run
 * against a real server must poll (the harness provides `eventually`).
 */
import { invalidArgument } from '../errors';
import type { WorkflowExecution } from '../execution/execution';
import { api, IndexedValueType } from '../proto';
import { decodePayloadValue, IndexedType, SearchAttributeRegistry, SearchAttributeValue } from '../search-attributes';
import { Expr, ParsedQuery, Value } from './query-parser';

const STATUS_NAMES: ReadonlyMap<api.enums.v1.WorkflowExecutionStatus, string> = new Map([
  [api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, 'Running'],
  [api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, 'Completed'],
  [api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED, 'Failed'],
  [api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED, 'Canceled'],
  [api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED, 'Terminated'],
  [api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, 'ContinuedAsNew'],
  [api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, 'TimedOut'],
]);

export function statusName(status: api.enums.v1.WorkflowExecutionStatus): string {
  return STATUS_NAMES.get(status) ?? 'Unspecified';
}

type FieldValue = SearchAttributeValue | undefined;

/** Value of a (system or custom) search attribute for one run. */
function fieldValue(execution: WorkflowExecution, name: string): FieldValue {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  switch (name) {
    case 'WorkflowId':
      return execution.workflowId;
    case 'RunId':
      return execution.runId;
    case 'WorkflowType':
      return execution.init.workflowType;
    case 'TaskQueue':
      return execution.init.taskQueue;
    case 'ExecutionStatus':
      return statusName(execution.status);
    case 'StartTime':
      return iso(execution.startTime);
    case 'ExecutionTime':
      return iso(execution.executionTime);
    case 'CloseTime':
      return iso(execution.closeTime);
    case 'HistoryLength':
    case 'StateTransitionCount':
      return execution.history.length;
    case 'HistorySizeBytes':
      return execution.history.encodedSizeBytes;
    case 'ExecutionDuration':
      return execution.closeTime === undefined ? undefined : (execution.closeTime - execution.executionTime) * 1e6;
    default:
      return decodePayloadValue(execution.searchAttributes[name]);
  }
}

function compareScalars(actual: string | number | boolean, expected: Value, type: IndexedType): number {
  if (type === IndexedValueType.INDEXED_VALUE_TYPE_DATETIME) {
    return Date.parse(String(actual)) - Date.parse(String(expected));
  }
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  const a = String(actual);
  const b = String(expected);
  return a < b ? -1 : a > b ? 1 : 0;
}

class Evaluator {
  constructor(private readonly registry: SearchAttributeRegistry) {}

  private typeOf(name: string): IndexedType {
    const type = this.registry.typeOf(name);
    if (type === undefined) {
      throw invalidArgument(`invalid query: unable to convert filter expression: ${name} is not a valid search attribute`);
    }
    return type;
  }

  /** Validates names and values up front so a bad query fails even when no run exists. */
  validate(expr: Expr | undefined): void {
    if (!expr) return;
    switch (expr.kind) {
      case 'and':
      case 'or':
        this.validate(expr.left);
        this.validate(expr.right);
        return;
      case 'not':
        this.validate(expr.operand);
        return;
      case 'compare':
      case 'in': {
        this.typeOf(expr.name);
        const values = expr.kind === 'in' ? expr.values : [expr.value];
        if (expr.name === 'ExecutionStatus') {
          for (const value of values) {
            if (![...STATUS_NAMES.values()].includes(String(value))) {
              throw invalidArgument(`invalid query: invalid ExecutionStatus value '${value}'`);
            }
          }
        }
        return;
      }
      default:
        this.typeOf(expr.name);
    }
  }

  matches(expr: Expr | undefined, execution: WorkflowExecution): boolean {
    if (!expr) return true;
    switch (expr.kind) {
      case 'and':
        return this.matches(expr.left, execution) && this.matches(expr.right, execution);
      case 'or':
        return this.matches(expr.left, execution) || this.matches(expr.right, execution);
      case 'not':
        return !this.matches(expr.operand, execution);
      case 'null': {
        const value = fieldValue(execution, expr.name);
        const isNull = value === undefined || value === null || (Array.isArray(value) && value.length === 0);
        return expr.negated ? !isNull : isNull;
      }
      case 'startsWith': {
        const values = this.values(execution, expr.name);
        return values.some((v) => String(v).startsWith(expr.prefix));
      }
      case 'in': {
        const values = this.values(execution, expr.name);
        const type = this.typeOf(expr.name);
        const found = values.some((v) => expr.values.some((candidate) => compareScalars(v, candidate, type) === 0));
        return expr.negated ? !found : found;
      }
      case 'compare': {
        const values = this.values(execution, expr.name);
        const type = this.typeOf(expr.name);
        // Lists (KeywordList, or legacy list-valued Keywords) match when any element does;
        // `!=` means no element equals.
        if (expr.op === '!=') return !values.some((v) => compareScalars(v, expr.value, type) === 0);
        return values.some((v) => {
          const c = compareScalars(v, expr.value, type);
          switch (expr.op) {
            case '=':
              return c === 0;
            case '<':
              return c < 0;
            case '<=':
              return c <= 0;
            case '>':
              return c > 0;
            case '>=':
              return c >= 0;
          }
        });
      }
    }
  }

  private values(execution: WorkflowExecution, name: string): Array<string | number | boolean> {
    this.typeOf(name);
    const value = fieldValue(execution, name);
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : [value];
  }
}

/** Default order of the real SQL visibility store: open runs first, then by close and start time. */
function defaultOrder(a: WorkflowExecution, b: WorkflowExecution): number {
  const closeA = a.closeTime ?? Number.MAX_SAFE_INTEGER;
  const closeB = b.closeTime ?? Number.MAX_SAFE_INTEGER;
  if (closeA !== closeB) return closeB - closeA;
  if (a.startTime !== b.startTime) return b.startTime - a.startTime;
  return a.runId < b.runId ? -1 : 1;
}

export function filterExecutions(
  executions: WorkflowExecution[],
  query: ParsedQuery,
  registry: SearchAttributeRegistry,
): WorkflowExecution[] {
  const evaluator = new Evaluator(registry);
  evaluator.validate(query.where);
  const matching = executions.filter((e) => evaluator.matches(query.where, e));
  matching.sort(defaultOrder);
  for (const { name, descending } of [...query.orderBy].reverse()) {
    const type = registry.typeOf(name) ?? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    matching.sort((a, b) => {
      const va = fieldValue(a, name);
      const vb = fieldValue(b, name);
      if (va === undefined || va === null) return 1;
      if (vb === undefined || vb === null) return -1;
      const c = compareScalars(Array.isArray(va) ? va[0]! : va, Array.isArray(vb) ? vb[0]! : (vb as Value), type);
      return descending ? -c : c;
    });
  }
  return matching;
}
