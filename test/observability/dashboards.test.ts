/**
 * The Grafana dashboard and the Prometheus alert rules in ops/ read only what the bridge
 * exports: every metric name in their queries is looked up in real scrapes, of the API's
 * `GET /metrics` (the API half as production assembles it, after a webhook, counting tickets by
 * status) and of a worker's metrics (the bridge's Temporal runtime, after an activity failed once
 * on a remote's 429 and a workflow failed). The dashboard's shape is checked too (the subset of Grafana's model it uses), and
 * the rules' (each alert has its expression, severity and summary); `promtool check rules` runs
 * in CI (.ci/run).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { parsePrometheus } from '../support/prometheus';
import { freePort, startReadyChild, type ReadyChild } from '../support/ready-child';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '../..');
const DASHBOARD = JSON.parse(readFileSync(resolve(ROOT, 'ops/grafana/ticket-bridge.json'), 'utf8')) as unknown;
const RULES = readFileSync(resolve(ROOT, 'ops/prometheus/alerts.yml'), 'utf8');

/** Series Prometheus makes itself for every target, not exported by anyone. */
const PROMETHEUS_GENERATED = new Set(['up']);

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'le', 'inf', 'nan']);

/** The metric names a PromQL expression reads: identifiers outside label matchers, ranges, strings, grouping clauses, not called as functions. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = [...bare.matchAll(/(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)].filter((m) => m[2] === undefined).map((m) => m[1]!);
  return names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase()));
}

const target = z.object({ refId: z.string().regex(/^[A-Z]$/), expr: z.string().min(1), datasource: z.object({ type: z.literal('prometheus'), uid: z.literal('${datasource}') }) });
const gridPos = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), w: z.number().int().min(1).max(24), h: z.number().int().min(1) }).refine((g) => g.x + g.w <= 24, { message: 'wider than the 24 columns' });
const panel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('row'), id: z.number().int(), title: z.string().min(1), gridPos }),
  z.object({ type: z.enum(['timeseries', 'stat']), id: z.number().int(), title: z.string().min(1), gridPos, targets: z.array(target).min(1), datasource: z.object({ uid: z.literal('${datasource}') }) }),
]);
const dashboardSchema = z.object({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(36),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() })) }).refine((t) => t.list.some((v) => v.name === 'datasource' && v.type === 'datasource')),
  panels: z.array(panel).min(1),
});
type Dashboard = z.output<typeof dashboardSchema>;

function dashboardExprs(dashboard: Dashboard): string[] {
  return dashboard.panels.flatMap((p) => (p.type === 'row' ? [] : p.targets.map((t) => t.expr)));
}

/** One entry per `- alert:` with the lines of its block. */
function ruleBlocks(text: string): Array<{ alert: string; expr: string | undefined; block: string }> {
  return text
    .split(/^\s*- alert: /m)
    .slice(1)
    .map((block) => ({ alert: block.split('\n')[0]!.trim(), expr: /^\s*expr: (.+)$/m.exec(block)?.[1]?.trim(), block }));
}

describe('ops/: the dashboard and the alert rules', () => {
  test('the dashboard has the shape Grafana loads: unique ids, panels on the 24-column grid without overlap, a Prometheus query each', () => {
    const dashboard = dashboardSchema.parse(DASHBOARD);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const boxes = dashboard.panels.map((p) => p.gridPos);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i]!, boxes[j]!];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect({ overlap, a: dashboard.panels[i]!.title, b: dashboard.panels[j]!.title }).toEqual({ overlap: false, a: dashboard.panels[i]!.title, b: dashboard.panels[j]!.title });
      }
    }
  });

  test('every alert has one expression, a severity and a summary', () => {
    const blocks = ruleBlocks(RULES);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const { alert, expr, block } of blocks) {
      expect({ alert, expr: expr !== undefined }).toEqual({ alert, expr: true });
      expect(block).toMatch(/^\s*severity: (page|warning)$/m);
      expect(block).toMatch(/^\s*summary: .+$/m);
    }
    expect(new Set(blocks.map((b) => b.alert)).size).toBe(blocks.length);
  });

  test('the name finder reads names, not functions, labels, ranges or grouping', () => {
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route=~"/webhooks/.*"}[$__rate_interval]))) > 5')).toEqual(['a_bucket']);
    expect(metricNamesIn('up{job="x"} == 0 and on (instance) b_total offset 5m')).toEqual(['up', 'b_total']);
  });

  describe('against real scrapes', () => {
    let rig: BridgeRig;
    let worker: ReadyChild<{ metricsUrl: string }>;
    let exported: Set<string>;

    beforeAll(async () => {
      worker = await startReadyChild(resolve(__dirname, 'fixtures/metrics-child.ts'), [`127.0.0.1:${await freePort()}`]);
      rig = await startBridgeRig({ ticketCountsIntervalMs: 500 });
      // One webhook, so the request histogram has series and there is a ticket to count.
      await rig.connect.userCreatesTicket({ id: `dash-${Date.now()}`, title: 'Dashboards', description: 'Scrape me' });
      const scrapeApi = async () => {
        const res = await fetch(`${rig.api.url}/metrics`, { headers: { authorization: `Bearer ${rig.apiConfig.opsApiToken}` } });
        expect(res.status).toBe(200);
        return parsePrometheus(await res.text());
      };
      const api = await eventually(async () => {
        const scrape = await scrapeApi();
        expect(scrape.find('ticket_bridge_http_request_duration_seconds_bucket', { route: '/webhooks/connect' }).length).toBeGreaterThan(0);
        // The running ticket, counted in visibility (eventually consistent, hence eventually).
        const tickets = scrape.find('ticket_bridge_tickets');
        expect(tickets.map((t) => t.labels.status).sort()).toEqual(['CLOSED', 'NEW', 'OPEN', 'PENDING', 'SOLVED']);
        expect(tickets.reduce((sum, t) => sum + t.value, 0)).toBe(1);
        return scrape;
      });
      const workerScrape = parsePrometheus(await (await fetch(worker.ready.metricsUrl)).text());
      expect(workerScrape.find('temporal_activity_execution_failed_total', { activity_type: 'greet' }).length).toBeGreaterThan(0);
      // The one 429 the flaky activity met, by remote; the other remotes' series exist at 0.
      expect(workerScrape.value('ticket_bridge_remote_rate_limited_total', { remote: 'zendesk' })).toBe(1);
      expect(workerScrape.value('ticket_bridge_remote_rate_limited_total', { remote: 'connect' })).toBe(0);
      exported = new Set([...api.samples, ...workerScrape.samples].map((s) => s.name));
    });
    afterAll(async () => {
      await rig?.teardown();
      await worker?.stop();
    });

    test('every metric the dashboard and the rules read is exported by the API or the worker', () => {
      const exprs = [...dashboardExprs(dashboardSchema.parse(DASHBOARD)), ...ruleBlocks(RULES).map((b) => b.expr!)];
      const used = new Set(exprs.flatMap(metricNamesIn));
      expect(used.size).toBeGreaterThan(10);
      const unknown = [...used].filter((name) => !exported.has(name) && !PROMETHEUS_GENERATED.has(name));
      expect(unknown).toEqual([]);
    });

    test('a name the bridge does not export is caught', () => {
      expect(exported.has('ticket_bridge_tickets_by_status')).toBe(false);
      expect(metricNamesIn('sum(ticket_bridge_tickets_by_status)').filter((n) => !exported.has(n))).toEqual(['ticket_bridge_tickets_by_status']);
    });
  });
});
