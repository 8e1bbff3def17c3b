/**
 * The rate budget under a steady load, modelled (test/support/overload-model.ts): one worker's
 * share of a 200-a-minute budget split over two workers (90 a minute, bursts of 10), activities of
 * 2 and 3 requests arriving at 0.8×, 1.1×, 1.5× and 3× the share for 15 simulated minutes, the
 * reads as regular activities and then as local ones (5 s of waiting an attempt). Prints
 * the table docs/operating.md quotes ("One rate budget per remote across all workers").
 *
 *   npx tsx bench/rate-budget-overload.ts
 */
import { budgetedFetch } from '../src/adapters/http/budgeted-fetch';
import { RateBudget, shareOf } from '../src/adapters/http/rate-budget';
import { busiestMinute } from '../test/support/busiest-minute';
import { quantile, runOverloadModel, type BudgetedFetchFactory } from '../test/support/overload-model';

const share = shareOf(200, 2);
const minutes = 15;
const budgeted: BudgetedFetchFactory = (clock, waitBound, remote) =>
  budgetedFetch({ budget: new RateBudget('zendesk', share, clock.now, clock.timers), apiUrl: 'https://remote.test/api/v2', waitBound, fetch: remote });

async function main(): Promise<void> {
  const capacity = (share.perMinute * minutes) / 2.5;
  console.log(`share ${share.perMinute}/min (bursts of ${share.burst}), ${minutes} min; the share carries ${capacity} activities of 2.5 requests`);
  console.log('| load | activities arrived | completed | attempts refused after a slot | slots wasted | attempts refused before a slot | wait p50 / p99 | activity p50 / p99 | busiest minute |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [load, localReads] of [0.8, 1.1, 1.5, 3].flatMap((load) => [[load, false], [load, true]] as const)) {
    const m = await runOverloadModel({ share, load, minutes, localReads }, budgeted);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `| ${load}×${localReads ? ', local reads' : ''} | ${m.arrived} | ${m.completed} | ${m.refusedAfterSlot} | ${m.slotsWasted} | ${m.refusedBeforeSlot} | ${s(quantile(m.waits, 0.5))} / ${s(quantile(m.waits, 0.99))} | ${s(quantile(m.latencies, 0.5))} / ${s(quantile(m.latencies, 0.99))} | ${busiestMinute(m.sent)} |`,
    );
  }
}

void main();
