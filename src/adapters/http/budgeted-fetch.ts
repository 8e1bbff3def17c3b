/**
 * A remote's `RateBudget` in the HTTP client layer. Adapters take a `fetch` (`HttpClient`,
 * `StreamingHttp`); `budgetedFetch` makes the one of a budgeted remote, and those two clients ask
 * `slotFor` it before every request, so each request to the remote's API origin waits for its
 * slot first: reads and writes, pagination and uploads alike. The wait comes before the
 * request's own timeout starts (waiting is not the remote being slow). Requests elsewhere (signed
 * storage URLs) are not the API's and pass untouched. A `429` with `Retry-After` pauses the
 * budget for every request of this process.
 *
 * A request never waits without bound: `waitBound` says how long the caller can afford (in an
 * activity, what is left of its attempt; see src/runtime/rate-budgets.ts). Past it, the request
 * fails with `RateBudgetExhausted` before anything is sent, which the HTTP clients turn into a
 * retryable 'rate-limited' failure whose retry comes when the slot would have.
 */
import { parseRetryAfter } from './retry-after';
import type { RateBudget } from './rate-budget';

/** What the caller can afford to wait, and what cancels the wait (the activity's cancellation). */
export interface WaitBound {
  maxWaitMs: number;
  signal?: AbortSignal;
}

/** What the budget did, for metrics: `waitedMs` for every request sent, `refused` for one not sent. */
export interface BudgetObserver {
  waited(remote: string, waitedMs: number): void;
  refused(remote: string): void;
}

export interface BudgetedFetchOptions {
  budget: RateBudget;
  /** The remote's API base URL: only requests to its origin spend the budget. */
  apiUrl: string;
  waitBound: () => WaitBound;
  observer?: BudgetObserver;
  fetch?: typeof fetch;
  /** Waits `ms` (or rejects when `signal` aborts); injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** No slot within the time the caller had: retry when `retryAfterMs` has passed. */
export class RateBudgetExhausted extends Error {
  override readonly name = 'RateBudgetExhausted';
  constructor(
    readonly remote: string,
    readonly retryAfterMs: number,
  ) {
    super(`${remote}: no request slot in this worker's share of the rate budget within the time left`);
  }
}

/** The slot each budgeted fetch asks for, by fetch: `slotFor` looks them up. */
const SLOTS = new WeakMap<typeof fetch, (url: string) => Promise<void>>();

/**
 * Waits for the slot of the request to `url` when `fetchImpl` spends a rate budget (else at
 * once); throws `RateBudgetExhausted` when it would not come in time. The HTTP clients call it
 * before they start a request's timeout.
 */
export function slotFor(fetchImpl: typeof fetch, url: URL | string): Promise<void> {
  return SLOTS.get(fetchImpl)?.(String(url)) ?? Promise.resolve();
}

export function budgetedFetch(options: BudgetedFetchOptions): typeof fetch {
  const { budget, waitBound, observer } = options;
  const origin = new URL(options.apiUrl).origin;
  const fetchImpl = options.fetch ?? fetch;
  const sleep = options.sleep ?? abortableSleep;
  const slot = async (url: string) => {
    if (originOf(url) !== origin) return;
    const bound = waitBound();
    const wait = budget.reserve(bound.maxWaitMs);
    if (wait === null) {
      observer?.refused(budget.remote);
      throw new RateBudgetExhausted(budget.remote, budget.waitMs());
    }
    if (wait > 0) await sleep(wait, bound.signal);
    observer?.waited(budget.remote, wait);
  };
  const budgeted: typeof fetch = async (input, init) => {
    const response = await fetchImpl(input, init);
    if (response.status === 429 && originOf(input) === origin) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      if (retryAfterMs !== null && retryAfterMs > 0) budget.pauseFor(retryAfterMs);
    }
    return response;
  };
  SLOTS.set(budgeted, slot);
  return budgeted;
}

function originOf(input: Parameters<typeof fetch>[0]): string | null {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return URL.canParse(href) ? new URL(href).origin : null;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
