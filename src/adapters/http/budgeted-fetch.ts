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
 * activity, what is left of its attempt, and the attempt itself, so that its later requests go
 * before other attempts' first ones; see src/runtime/rate-budgets.ts and ./rate-budget.ts). Past
 * it, the request fails with `RateBudgetExhausted` before anything is sent, which the HTTP
 * clients turn into a retryable 'rate-limited' failure whose retry comes when the slot would have.
 */
import { parseRetryAfter } from './retry-after';
import type { Lane, RateBudget, SlotAsk } from './rate-budget';

/** What the caller can afford to wait, for which attempt, and what cancels the wait. */
export type WaitBound = SlotAsk;

/**
 * What the budget did, for metrics: `waitedMs` for every request sent, `refused` for one not
 * sent (`lane`: whether its attempt had already got a slot, i.e. a slot was spent in vain).
 */
export interface BudgetObserver {
  waited(remote: string, waitedMs: number): void;
  refused(remote: string, lane: Lane): void;
}

export interface BudgetedFetchOptions {
  budget: RateBudget;
  /** The remote's API base URL: only requests to its origin spend the budget. */
  apiUrl: string;
  waitBound: () => WaitBound;
  observer?: BudgetObserver;
  fetch?: typeof fetch;
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
  const slot = async (url: string) => {
    if (originOf(url) !== origin) return;
    const answer = await budget.take(waitBound());
    if (!answer.granted) {
      observer?.refused(budget.remote, answer.lane);
      throw new RateBudgetExhausted(budget.remote, answer.retryAfterMs);
    }
    observer?.waited(budget.remote, answer.waitedMs);
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

