/**
 * docs/images/dashboard.png: ops/grafana/ticket-bridge.json as it looks on the bridge's own data.
 * Run by hand (several minutes; not by CI):
 *
 *   npx tsx scripts/render-dashboard.ts          # RENDER_MINUTES=5, OUT=docs/images/dashboard.png
 *
 * Grafana itself cannot be installed here (no registry carries it, and its frontend build is far
 * too heavy), so the panels are drawn by scripts/dashboard-html.ts instead, from the very
 * queries of the dashboard JSON, answered by a real Prometheus:
 *
 *  1. the bridge as the tests run it (test/support/bridge-rig.ts: the real API and worker over
 *     the Connect and Zendesk simulators and the official Temporal dev server), with the worker's
 *     metrics served by the bridge's Temporal runtime and the API counting tickets every 5 s;
 *  2. Debian's Prometheus (`/usr/bin/prometheus`, or PROMETHEUS) scraping both every 5 s, with
 *     the jobs of docs/operating.md's scrape config and ops/prometheus/alerts.yml loaded;
 *  3. traffic: tickets opened, answered, set pending, solved and closed, user comments; a spell
 *     of Zendesk 429s, Connect 503s and slow Zendesk answers; webhooks with a wrong token or a
 *     bad body;
 *  4. every panel's targets through `query_range` over the traffic's time span, `$__rate_interval`
 *     and `$__range` substituted as Grafana does, drawn in the dashboard's grid and
 *     screenshotted by headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createLogger } from '../src/observability/logger';
import { installTemporalRuntime } from '../src/observability/temporal-runtime';
import { freePort } from '../src/runtime/dev-server';
import type { FaultHandle } from '../src/simulators/common/faults';
import { eventually } from '../test/harness';
import { startBridgeRig, type BridgeRig } from '../test/support/bridge-rig';
import { dashboardHtml, type PanelJson, type Series } from './dashboard-html';

const ROOT = resolve(__dirname, '..');
const DASHBOARD = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/ticket-bridge.json'), 'utf8')) as {
  title: string;
  panels: Array<PanelJson & { targets?: Array<{ expr: string; legendFormat?: string }> }>;
};
const MINUTES = Number(process.env.RENDER_MINUTES ?? 5);
const OUT = resolve(process.env.OUT ?? join(ROOT, 'docs/images/dashboard.png'));
const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCRAPE_SECONDS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => process.stderr.write(`render-dashboard: ${line}\n`);

interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

async function startPrometheus(apiUrl: string, opsToken: string, workerAddress: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'render-dashboard-prometheus-'));
  const config = {
    global: { scrape_interval: `${SCRAPE_SECONDS}s`, evaluation_interval: `${SCRAPE_SECONDS}s` },
    rule_files: [join(ROOT, 'ops/prometheus/alerts.yml')],
    scrape_configs: [
      { job_name: 'ticket-bridge-api', authorization: { credentials: opsToken }, static_configs: [{ targets: [new URL(apiUrl).host] }] },
      { job_name: 'ticket-bridge-worker', static_configs: [{ targets: [workerAddress] }] },
    ],
  };
  // JSON is YAML: no YAML library needed.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const address = `127.0.0.1:${await freePort()}`;
  const child = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${address}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const url = `http://${address}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${stderr}`);
      const res = await fetch(`${url}/-/ready`);
      if (!res.ok) throw new Error(`prometheus not ready: ${res.status}`);
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One ticket's life: which way it goes depends on `n` (so the statuses spread). */
async function ticketLife(rig: BridgeRig, n: number): Promise<void> {
  const { ticket } = await rig.connect.userCreatesTicket({ title: `Meter reading ${n}`, description: 'The reading doubled overnight.' });
  const zd = await eventually(() => rig.zendeskTicketFor(ticket.id), { timeoutMs: 90_000, intervalMs: 1_000 });
  await sleep(2_000 + (n % 4) * 1_500);
  switch (n % 6) {
    case 0:
      return void (await rig.zendesk.agentReplies(zd.id, 'We are looking into it.'));
    case 1:
      return void (await rig.zendesk.agentReplies(zd.id, 'Could you send a photo of the meter?', { status: 'pending' }));
    case 2:
      await rig.zendesk.agentReplies(zd.id, 'Fixed: the reading was estimated.');
      await rig.zendesk.agentSetsStatus(zd.id, 'solved');
      return;
    case 3:
      await rig.zendesk.agentReplies(zd.id, 'Fixed on our side.');
      await rig.zendesk.agentSetsStatus(zd.id, 'solved');
      await sleep(6_000);
      return void (await rig.connect.userConfirmsResolved(ticket.id));
    case 4:
      await rig.connect.userComments(ticket.id, 'Any news?');
      return;
    default:
      // Left NEW: nobody has answered yet.
      return;
  }
}

/** Webhooks the API refuses: a wrong token (unauthorized) and a body that is not a Connect event (invalid). */
async function badWebhooks(rig: BridgeRig): Promise<void> {
  const post = (query: string, body: unknown) =>
    fetch(`${rig.api.url}/webhooks/connect?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('auth_token=wrong-token', { event: 'CREATE', ticketId: 'x' });
  await post(`auth_token=${rig.apiConfig.connectWebhookToken}`, { nope: true });
}

async function traffic(rig: BridgeRig, minutes: number): Promise<void> {
  const start = Date.now();
  const end = start + minutes * 60_000;
  const lives: Promise<void>[] = [];
  let failures = 0;
  const at = (fraction: number) => start + (end - start) * fraction;
  const faults = [
    { when: at(0.3), what: 'Zendesk answers 429 for 30 s', run: () => rig.zendesk.fault({ kind: 'rate-limit', match: '*', forMs: 30_000, retryAfter: 2 }) },
    { when: at(0.5), what: 'Connect answers 503 four times', run: () => rig.connect.fault({ kind: 'error', status: 503, match: '*', times: 4 }) },
    { when: at(0.65), what: 'Zendesk answers 1.5 s late for 40 s', run: () => rig.zendesk.fault({ kind: 'latency', delayMs: 1_500, match: '*', forMs: 40_000 }) },
  ];
  const injected: Array<{ what: string; handle: FaultHandle }> = [];
  let n = 0;
  let nextBad = start + 15_000;
  while (Date.now() < end) {
    // New tickets until the last minute; then only what is under way finishes.
    if (Date.now() < end - 60_000) {
      const life = ticketLife(rig, n++).catch((err: unknown) => {
        failures++;
        say(`a ticket's life failed: ${err instanceof Error ? err.message : String(err)}`);
      });
      lives.push(life);
    }
    for (const fault of faults.filter((f) => f.when <= Date.now())) {
      say(fault.what);
      injected.push({ what: fault.what, handle: fault.run() });
      faults.splice(faults.indexOf(fault), 1);
    }
    if (Date.now() >= nextBad) {
      await badWebhooks(rig);
      nextBad += 40_000;
    }
    await sleep(5_000);
  }
  await Promise.all(lives);
  say(`${n} tickets, ${failures} lives that failed`);
  // What the faults really did: the picture should show no more than this.
  for (const { what, handle } of injected) say(`${what}: ${handle.hits} requests hit`);
}

async function queryRange(prometheus: string, expr: string, from: number, to: number, step: number): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>> {
  const params = new URLSearchParams({ query: expr, start: String(from), end: String(to), step: String(step) });
  const res = await fetch(`${prometheus}/api/v1/query_range?${params}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
  if (body.status !== 'success') throw new Error(`query_range ${expr}: ${body.error}`);
  return body.data!.result;
}

function legend(format: string | undefined, metric: Record<string, string>): string {
  if (format) return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => metric[label] ?? '');
  const { __name__: name, ...labels } = metric;
  return `${name ?? ''}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

async function panelSeries(prometheus: string, from: number, to: number): Promise<Array<{ panel: PanelJson; series: Series[] }>> {
  const step = Math.max(SCRAPE_SECONDS, Math.round((to - from) / 150));
  // Grafana's $__rate_interval: max(4 × scrape interval, step + scrape interval).
  const rateInterval = `${Math.max(4 * SCRAPE_SECONDS, step + SCRAPE_SECONDS)}s`;
  const range = `${Math.round(to - from)}s`;
  return Promise.all(
    DASHBOARD.panels.map(async (panel) => {
      const series: Series[] = [];
      for (const target of panel.targets ?? []) {
        const expr = target.expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$__range', range);
        for (const result of await queryRange(prometheus, expr, from, to, step)) {
          series.push({ name: legend(target.legendFormat, result.metric), points: result.values.map(([t, v]) => [t, Number(v)]) });
        }
      }
      series.sort((a, b) => a.name.localeCompare(b.name));
      return { panel, series };
    }),
  );
}

async function screenshot(html: string, out: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
    await page.setContent(html);
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const logger = createLogger({ level: 'error', base: { service: 'render-dashboard' } });
  const workerAddress = `127.0.0.1:${await freePort()}`;
  // Before the rig: the worker's metrics come from the bridge's own Temporal runtime.
  installTemporalRuntime({ logger, metricsAddress: workerAddress, metricsRequired: true });
  say('starting the bridge (API, worker, simulators, Temporal dev server)');
  const rig = await startBridgeRig({ ticketCountsIntervalMs: SCRAPE_SECONDS * 1_000 });
  let prometheus: RunningPrometheus | undefined;
  try {
    prometheus = await startPrometheus(rig.api.url, rig.apiConfig.opsApiToken, workerAddress);
    say(`prometheus on ${prometheus.url}; ${MINUTES} minutes of traffic`);
    const from = Math.floor(Date.now() / 1000);
    await traffic(rig, MINUTES);
    // Two more scrapes, so the last moments are in.
    await sleep(2 * SCRAPE_SECONDS * 1_000 + 1_000);
    const to = Math.floor(Date.now() / 1000);
    const panels = await panelSeries(prometheus.url, from, to);
    const { data: build } = (await (await fetch(`${prometheus.url}/api/v1/status/buildinfo`)).json()) as { data: { version: string } };
    const caption = `Drawn by scripts/render-dashboard.ts from ops/grafana/ticket-bridge.json's queries, answered by Prometheus ${build.version} scraping the bridge under ${MINUTES} minutes of test traffic (not Grafana itself).`;
    await screenshot(dashboardHtml({ title: DASHBOARD.title, caption, from, to, panels }), OUT);
    say(`wrote ${OUT}`);
  } finally {
    await prometheus?.stop();
    await rig.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`render-dashboard failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
