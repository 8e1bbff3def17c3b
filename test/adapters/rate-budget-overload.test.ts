import { budgetedFetch } from '../../src/adapters/http/budgeted-fetch';
import { RateBudget, shareOf } from '../../src/adapters/http/rate-budget';
import { busiestMinute } from '../support/busiest-minute';
import { runOverloadModel, type BudgetedFetchFactory } from '../support/overload-model';

/**
 * A load above the budget for long (docs/operating.md, "One rate budget per remote"): activities
 * of 2 and 3 requests arriving at 1.1× and 1.5× one worker's share for 15 simulated minutes
 * (../support/overload-model.ts), the reads as regular activities (20 s of waiting an attempt) or
 * as local ones (5 s), as the sync's are. An attempt that got a slot must be able to finish: its later
 * requests go before the first requests of attempts that have none, so the share is spent on
 * activities that complete, and a first request that cannot be served in time is refused having
 * sent nothing.
 */
describe('a rate budget under a load above it for long', () => {
  const share = shareOf(200, 2); // 90 a minute, bursts of 10
  const minutes = 15;
  const budgeted: BudgetedFetchFactory = (clock, waitBound, remote) =>
    budgetedFetch({ budget: new RateBudget('zendesk', share, clock.now, clock.timers), apiUrl: 'https://remote.test/api/v2', waitBound, fetch: remote });

  it.each([
    [1.1, false],
    [1.5, false],
    [1.1, true],
    [1.5, true],
  ])('at %s× the share (reads as local activities: %s), completes activities at the share and wastes no slot', async (load, localReads) => {
    const model = await runOverloadModel({ share, load, minutes, localReads }, budgeted);
    // What the share can carry: 90 requests a minute ÷ 2.5 requests an activity, for 15 minutes.
    const capacity = (share.perMinute * minutes) / 2.5;
    expect(model.arrived).toBeGreaterThan(capacity);
    expect(model.completed).toBeGreaterThanOrEqual(0.95 * capacity);
    expect(model.refusedAfterSlot).toBe(0);
    expect(model.slotsWasted).toBe(0);
    // Refused attempts there are (the load is above the share), but before sending anything.
    expect(model.refusedBeforeSlot).toBeGreaterThan(0);
    expect(busiestMinute(model.sent)).toBeLessThanOrEqual(Math.floor(share.perMinute) + share.burst);
  });

  it('below the share, completes every activity without a refusal', async () => {
    const model = await runOverloadModel({ share, load: 0.8, minutes }, budgeted);
    expect(model.finished).toBe(model.arrived);
    expect(model.completed).toBeGreaterThanOrEqual(model.arrived - 1);
    expect(model.refusedBeforeSlot + model.refusedAfterSlot).toBe(0);
  });
});
