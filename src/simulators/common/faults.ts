/**
 * Fault injection for the simulators: what a real remote does on a bad day. Each fault is scoped
 * to a route (`'POST /tickets/:id/comment'`, `'GET *'`, `'*'`) and to a count and/or a time window.
 */

export type FaultKind =
  /** Answer late (e.g. past the client's timeout). Combines with any other fault. */
  | 'latency'
  /**
   * Answer with an error status (default 503) without touching state. On an upload route, with
   * `afterBytes`, only after reading that much of the body (a 5xx mid-stream), then the
   * connection is closed.
   */
  | 'error'
  /** 429 with `Retry-After` (seconds, or an HTTP date string). */
  | 'rate-limit'
  /**
   * Destroy the socket before anything happens: the client sees a dropped connection. On an
   * upload route, with `afterBytes`, only after reading that much of the body (dies mid-stream).
   */
  | 'drop'
  /** Apply the request (state changes, webhooks fire), then destroy the socket: the write landed, the response is lost. */
  | 'drop-after-write'
  /** 200 with a body that is not JSON: a broken proxy or a truncated answer. */
  | 'malformed'
  /**
   * Answer as a signed URL past its expiry does (the simulator's `expiredResponse`, default a
   * plain 403), whatever its signature says: an upload URL that expired between being handed out
   * and being used.
   */
  | 'expired';

export interface FaultSpec {
  kind: FaultKind;
  /** Route pattern as the simulator declares it (`'PUT /tickets/:id.json'`), `'GET *'`, or `'*'` (default). */
  match?: string;
  /** Apply to the next N matching requests (default: until the window ends or it is removed). */
  times?: number;
  /** Apply only for this long from now. */
  forMs?: number;
  /** latency: how long to wait. */
  delayMs?: number;
  /**
   * latency: wait after the request is applied (state changed, webhooks sent), before answering:
   * the remote's events then overtake its answer. Default: before anything happens.
   */
  afterWrite?: boolean;
  /** error: the status (default 503). */
  status?: number;
  /** rate-limit: the `Retry-After` value (default 1 second). */
  retryAfter?: number | string;
  /**
   * drop / error on an upload route (one that streams its body): read this many bytes of the
   * request body first, so the client has started sending its file when it fails.
   */
  afterBytes?: number;
}

export interface FaultHandle {
  readonly spec: FaultSpec;
  /** Requests this fault has hit so far. */
  readonly hits: number;
  remove(): void;
}

interface ActiveFault extends FaultHandle {
  hits: number;
  remaining: number;
  until: number;
}

/** The faults that apply to one request. */
export interface FaultDecision {
  delayMs: number;
  /** Latency after the request is applied, before its answer (`afterWrite`). */
  delayAnswerMs: number;
  outcome: FaultSpec | null;
}

export class Faults {
  private active: ActiveFault[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  add(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = {
      spec,
      hits: 0,
      remaining: spec.times ?? Number.POSITIVE_INFINITY,
      until: spec.forMs === undefined ? Number.POSITIVE_INFINITY : this.now() + spec.forMs,
      remove: () => {
        this.active = this.active.filter((f) => f !== fault);
      },
    };
    this.active.push(fault);
    return fault;
  }

  clear(): void {
    this.active = [];
  }

  /** Faults still able to fire. */
  list(): readonly FaultHandle[] {
    this.expire();
    return [...this.active];
  }

  /**
   * Consume the faults for a request to `routeKey` ('METHOD pattern'): every matching latency
   * adds up; the first matching other fault decides the outcome.
   */
  take(routeKey: string): FaultDecision {
    this.expire();
    let delayMs = 0;
    let delayAnswerMs = 0;
    let outcome: FaultSpec | null = null;
    for (const fault of this.active) {
      if (!matches(fault.spec.match ?? '*', routeKey)) continue;
      if (fault.spec.kind === 'latency' && fault.spec.afterWrite) delayAnswerMs += fault.spec.delayMs ?? 0;
      else if (fault.spec.kind === 'latency') delayMs += fault.spec.delayMs ?? 0;
      else if (outcome === null) outcome = fault.spec;
      else continue;
      fault.hits++;
      fault.remaining--;
    }
    this.expire();
    return { delayMs, delayAnswerMs, outcome };
  }

  private expire(): void {
    const now = this.now();
    this.active = this.active.filter((f) => f.remaining > 0 && now < f.until);
  }
}

/** `'*'` matches all; `'GET *'` every GET; otherwise the exact route key. */
export function matches(pattern: string, routeKey: string): boolean {
  if (pattern === '*') return true;
  const [method, path] = pattern.split(' ', 2);
  const [keyMethod, keyPath] = routeKey.split(' ', 2);
  return (method === '*' || method === keyMethod) && (path === '*' || path === keyPath);
}
