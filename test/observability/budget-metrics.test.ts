import { resolve } from 'node:path';
import { eventually } from '../harness';
import { parsePrometheus } from '../support/prometheus';
import { freePort, startReadyChild, type ReadyChild } from '../support/ready-child';

jest.setTimeout(60_000);

/**
 * What a worker's rate budgets put on its Prometheus metrics, scraped from a real exporter
 * (fixtures/budget-metrics-child.ts: 8 requests at once against a share of 54 a minute, bursts
 * of 6, each allowed to wait 1.5 s).
 */
describe("the rate budgets on the worker's metrics", () => {
  let child: ReadyChild<{ metricsUrl: string; served: number }>;
  beforeAll(async () => {
    child = await startReadyChild(resolve(__dirname, 'fixtures/budget-metrics-child.ts'), [`127.0.0.1:${await freePort()}`]);
  });
  afterAll(async () => {
    await child?.stop();
  });

  it('counts the requests sent and their wait, the refusals, and shows the share', async () => {
    expect(child.ready.served).toBe(7);
    const scrape = await eventually(async () => {
      const s = parsePrometheus(await (await fetch(child.ready.metricsUrl)).text());
      expect(s.find('ticket_bridge_rate_budget_wait_seconds_count', { remote: 'zendesk' })).toHaveLength(1);
      return s;
    });
    expect(scrape.value('ticket_bridge_rate_budget_wait_seconds_count', { remote: 'zendesk' })).toBe(7);
    // The 7th request's slot was 60 s / 54 = 1.11 s after the burst: the wait is the bucket's, not a
    // stopwatch's (the exporter's sum comes out a few hundredths lower: it is approximated).
    const waited = scrape.value('ticket_bridge_rate_budget_wait_seconds_sum', { remote: 'zendesk' });
    expect(waited).toBeGreaterThan(1);
    expect(waited).toBeLessThan(60 / 54 + 0.01);
    // Refused as a first request (the child's requests belong to no attempt): no slot was spent in vain.
    expect(scrape.value('ticket_bridge_rate_budget_refused_total', { remote: 'zendesk', lane: 'first' })).toBe(1);
    expect(scrape.find('ticket_bridge_rate_budget_refused_total', { remote: 'zendesk', lane: 'continuing' })).toHaveLength(0);
    expect(scrape.value('ticket_bridge_rate_budget_share_per_minute', { remote: 'zendesk' })).toBe(54);
  });
});
