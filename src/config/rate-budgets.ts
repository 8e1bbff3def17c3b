/**
 * Each remote's rate budget (requests per minute for the whole account, every worker together)
 * and how many workers share it when Temporal cannot say. The worker takes its share of each
 * (src/runtime/rate-budgets.ts); docs/operating.md, "One rate budget per remote", says why.
 */
import { z } from 'zod';
import type { EnvReader } from './env-reader';
import { countUpTo } from './values';

export const BUDGETED_REMOTES = ['zendesk', 'freshdesk', 'connect', 'whitelabel'] as const;
export type BudgetedRemote = (typeof BUDGETED_REMOTES)[number];

export const BUDGET_VARIABLES: Record<BudgetedRemote, string> = {
  zendesk: 'ZENDESK_REQUESTS_PER_MINUTE',
  freshdesk: 'FRESHDESK_REQUESTS_PER_MINUTE',
  connect: 'CONNECT_REQUESTS_PER_MINUTE',
  whitelabel: 'WHITELABEL_REQUESTS_PER_MINUTE',
};

/**
 * None unless set. Set each helpdesk's to its plan's limit (Zendesk 200 to 2,500 a minute;
 * Freshdesk about 200, 400, 700). Not on by default: the bridge cannot know the plan, and a budget
 * below what the account really allows would slow a busy hour for nothing; without one, the
 * helpdesk's 429s pace the bridge, as before (docs/operating.md, "One rate budget per remote",
 * Above the budget for long).
 */
export const DEFAULT_BUDGETS: Record<BudgetedRemote, string> = { zendesk: 'off', freshdesk: 'off', connect: 'off', whitelabel: 'off' };
export const DEFAULT_WORKER_REPLICAS = 1;

export interface RateBudgetSettings {
  /** `<REMOTE>_REQUESTS_PER_MINUTE`: the account's budget for all workers together; null: none (`off`). */
  rateBudgets: Record<BudgetedRemote, number | null>;
  /**
   * `WORKER_REPLICAS`: the workers sharing each budget while Temporal has not told how many poll
   * the task queue (at start, and whenever it cannot be asked).
   */
  workerReplicas: number;
}

const perMinute = z.string().transform((text, ctx) => {
  if (text === 'off') return null;
  const parsed = countUpTo(1_000_000).safeParse(text);
  if (parsed.success) return parsed.data;
  ctx.addIssue({ code: 'custom', message: 'must be requests per minute (a whole number from 1 to 1000000) or off' });
  return z.NEVER;
});

export function readRateBudgets(r: EnvReader): { rateBudgets: Record<BudgetedRemote, number | null | undefined>; workerReplicas: number | undefined } {
  const rateBudgets = Object.fromEntries(BUDGETED_REMOTES.map((remote) => [remote, r.withDefault(BUDGET_VARIABLES[remote], perMinute, DEFAULT_BUDGETS[remote])]));
  return {
    rateBudgets: rateBudgets as Record<BudgetedRemote, number | null | undefined>,
    workerReplicas: r.withDefault('WORKER_REPLICAS', countUpTo(1000), String(DEFAULT_WORKER_REPLICAS)),
  };
}
