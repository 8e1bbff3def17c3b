/**
 * `npm run bench:cluster`: the bridge scaled out on the Temporal cluster of scripts/cluster.sh
 * (PostgreSQL, four Temporal services, mTLS), measured. A benchmark, not a test: it prints
 * figures and the end state of every ticket, and exits non-zero only when something went wrong
 * (last paragraph), or the run could not start.
 *
 *   npm run cluster -- up
 *   npm run bench:cluster -- [--tickets=300] [--concurrency=30] [--chaos]
 *
 * What runs: the Connect and Zendesk simulators (in this process, real HTTP on loopback), two
 * API processes and two worker processes (`src/api-main.ts`, `src/worker-main.ts`, configured
 * by environment only, each API with its own inbox directory, payload encryption on), and a
 * round-robin load balancer in front of the APIs that every webhook goes through
 * (bench/cluster/balancer.ts). `--tickets` Connect tickets go through the whole lifecycle,
 * `--concurrency` at a time: the user creates, an agent replies, the user replies, the agent
 * solves, the user confirms; each step waits until its effect shows on the other side.
 *
 * `--chaos`: while the tickets flow, a deploy replaces the workers one at a time (SIGTERM, then
 * a new process), a worker is SIGKILLed and replaced, the history service is restarted, an API
 * is SIGKILLed and restarted, and PostgreSQL is restarted (bench/cluster/chaos.ts).
 * `--chaos=kill-worker,stop-postgresql,…` runs only those events (`CHAOS_EVENTS`), `--gap-s` is
 * the pause between them (40), `--outage-s` how long PostgreSQL stays down (30).
 *
 * `--chaos=versioned-deploy`: a deploy of new workflow code (docs/deploying.md). The workers start
 * from an older build, `--old-build=<commit>` (default: the commit before the newest patch id),
 * and are replaced one at a time by workers of this tree, each new one polling `--overlap-s` (30)
 * beside the old ones first; every ticket's history is then read for failed workflow tasks and
 * for work of the new code done by old workers (bench/cluster/deploy-check.ts).
 *
 * Bounds and remotes: `--max-tickets` keeps starting lifecycles past `--tickets` while chaos
 * events are still to come (so every event meets tickets in flight), up to that many; no
 * lifecycle starts after `--max-minutes`; a step not mirrored within `--step-timeout-s` (300,
 * 600 with chaos) is lost. `--think-ms` is how long each person waits before acting (default 0:
 * at once, the most load `--concurrency` can make). `--latency-ms` delays every request to each
 * simulator (a remote's round trip). `--budget=zendesk:700,connect:700` is each remote's
 * requests per minute, given to the workers to share (`ZENDESK_REQUESTS_PER_MINUTE`, …): the
 * report shows the busiest 60 s of each, and a remote above its budget fails the run.
 *
 * `--profile=soak` (`npm run soak`, scripts/soak.sh, in CI) is the short version: a few minutes,
 * a few hundred tickets at most, the chaos events that fit (`SOAK_PROFILE` below).
 *
 * Afterwards every ticket is checked on both simulators and in Temporal: one Zendesk ticket,
 * each comment exactly once on the other side, nothing echoed back, both sides closed, the
 * workflow completed. The exit code is 1 when any ticket was lost, duplicated, echoed or stuck,
 * a remote exceeded its budget, a chaos event asked for did not run, or a workflow task failed in
 * a versioned deploy.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { ticketWorkflowId } from '../src/domain/ticket';
import { createClient } from '../src/runtime/client';
import { freePort } from '../src/runtime/dev-server';
import { cacheRoot } from '../src/runtime/temporal-cli';
import { temporalConnectionOptions } from '../src/runtime/temporal-connection';
import { ConnectSimulator } from '../src/simulators/connect';
import { ZendeskSimulator } from '../src/simulators/zendesk';
import { startBalancer } from './cluster/balancer';
import { budgetUse } from './cluster/budget-metrics';
import { busiestMinute } from '../test/support/busiest-minute';
import { CHAOS_EVENTS, runChaos, type ChaosEvent, type ChaosEventName } from './cluster/chaos';
import { clusterCpu, cpuBetween } from './cluster/cluster-cpu';
import { allRuns } from './histories';
import { spawnBridgeProcess, type BridgeProcess } from './cluster/processes';
import { commitBeforeNewestPatch, materialiseOldBuild } from './cluster/builds';
import { checkDeploy, deployReportRows, inFlightAcross, type Build } from './cluster/deploy-check';
import { checkTicket, type Lifecycle, runLifecycle, type TicketVerdict } from './cluster/lifecycle';

/**
 * The short soak CI runs: 2–3 minutes of load, through a worker SIGKILLed, history restarted,
 * PostgreSQL down for 20 s with an API killed meanwhile, and the whole cluster stopped and
 * started. The deploy and the frontend restart are left to the full run (a deploy is two more
 * worker starts, each bundling the workflow code: a minute or more on a loaded machine).
 *
 * Budgets: 300 requests a minute for each remote, below what the load asks for, so the workers'
 * shared budget is what holds it (docs/operating.md, "One rate budget per remote"): 10 people,
 * each waiting 5 s before acting, would make up to 30 lifecycles a minute × 15–18 Zendesk (10–12
 * Connect) requests each, about 500 a minute. The workers get the budgets as
 * `ZENDESK_REQUESTS_PER_MINUTE` / `CONNECT_REQUESTS_PER_MINUTE` and take their shares; the
 * simulators count what arrives. A remote above its budget in any 60 s fails the run.
 */
const SOAK_PROFILE = {
  tickets: 40,
  concurrency: 10,
  'think-ms': 5_000,
  chaos: ['kill-worker', 'restart-history', 'stop-postgresql', 'restart-cluster'],
  'gap-s': 10,
  'outage-s': 20,
  'max-tickets': 400,
  'max-minutes': 5,
  // A hosted helpdesk's API answers in 100–300 ms; steps then last long enough to be in flight at an event.
  'latency-ms': 150,
  // A step still not mirrored after this is lost (the full run waits 10 minutes).
  'step-timeout-s': 150,
  budget: 'zendesk:300,connect:300',
} as const;
const PROFILE: Partial<Record<string, string | number | readonly string[]>> = process.argv.includes('--profile=soak') ? SOAK_PROFILE : {};

const rawArg = (name: string): string | undefined => {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (hit === undefined) return PROFILE[name]?.toString();
  return hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : '';
};
const arg = (name: string, fallback: number): number => {
  const raw = rawArg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a number: ${raw}`);
  return n;
};
const TICKETS = arg('tickets', 300);
const CONCURRENCY = arg('concurrency', 30);
const MAX_TICKETS = Math.max(TICKETS, arg('max-tickets', TICKETS));
const MAX_MS = arg('max-minutes', Infinity) * 60_000;
const LATENCY_MS = arg('latency-ms', 0);
const THINK_MS = arg('think-ms', 0);
/** undefined: no chaos; every event for a bare `--chaos`; else the events named. */
const CHAOS_ONLY: readonly ChaosEventName[] | undefined = (() => {
  const raw = rawArg('chaos');
  if (raw === undefined) return undefined;
  if (raw === '') return CHAOS_EVENTS;
  const names = raw.split(',');
  const unknown = names.filter((n) => !(CHAOS_EVENTS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`--chaos: unknown event ${unknown.join(', ')}; one of ${CHAOS_EVENTS.join(', ')}`);
  return names as ChaosEventName[];
})();
const CHAOS = CHAOS_ONLY !== undefined;
const BUDGETS: Map<string, number> = new Map(
  (rawArg('budget') ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [remote, perMinute] = pair.split(':');
      if ((remote !== 'zendesk' && remote !== 'connect') || !(Number(perMinute) > 0)) throw new Error(`--budget: expected zendesk:<n>,connect:<n>, got ${pair}`);
      return [remote, Number(perMinute)];
    }),
);
const REPO = join(__dirname, '..');
const VERSIONED_DEPLOY = CHAOS_ONLY?.includes('versioned-deploy') ?? false;
const OVERLAP_S = arg('overlap-s', 30);

const log = (msg: string) => process.stderr.write(`[cluster-load] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : '—');
const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

/**
 * The payload key of every bench run on this machine, kept beside the cluster: the reconciler is
 * one long-lived workflow for the whole namespace, started by the first run's workers, and a later
 * run's workers must read its history (a fresh key per run left it failing every workflow task,
 * as a production key rotation that drops the old key would).
 */
function benchPayloadKeys(): string {
  const file = join(cacheRoot(), 'cluster-load', 'payload-keys');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `bench:${randomBytes(32).toString('base64')}`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The cluster's TEMPORAL_* variables (`scripts/cluster.sh env`), or a one-line refusal. */
function clusterEnv(): Record<string, string> {
  try {
    execFileSync('bash', [join(REPO, 'scripts', 'cluster.sh'), 'status'], { stdio: 'pipe' });
  } catch {
    process.stderr.write('cluster-load: the Temporal cluster is not up (or not healthy): run `npm run cluster -- up` first (`npm run cluster -- status` says what is down)\n');
    process.exit(2);
  }
  const out = execFileSync('bash', [join(REPO, 'scripts', 'cluster.sh'), 'env'], { encoding: 'utf8' });
  return Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

async function main(): Promise<void> {
  const temporalEnv = clusterEnv();
  const runId = `cl${Date.now().toString(36)}`;
  const runDir = mkdtempSync(join(tmpdir(), `ticket-bridge-${runId}-`));
  const oldBuild = VERSIONED_DEPLOY ? materialiseOldBuild(REPO, rawArg('old-build') || commitBeforeNewestPatch(REPO)) : undefined;
  if (oldBuild) {
    process.once('exit', oldBuild.remove);
    log(`workers start from ${oldBuild.title} (in ${oldBuild.dir}); the deploy brings ${oldBuild.newPatches.join(', ')}`);
  }
  log(`run ${runId}: ${TICKETS}${MAX_TICKETS > TICKETS ? `–${MAX_TICKETS}` : ''} tickets, ${CONCURRENCY} at a time${CHAOS ? `, with chaos (${CHAOS_ONLY!.join(', ')})` : ''}; logs in ${runDir}`);

  const secrets = {
    connectWebhookToken: randomBytes(18).toString('hex'),
    zendeskWebhookSecret: randomBytes(18).toString('hex'),
    opsApiToken: randomBytes(18).toString('hex'),
    codecAuthToken: randomBytes(18).toString('hex'),
    payloadKeys: benchPayloadKeys(),
  };
  const bridgeEmail = 'bridge@example.test';
  const connect = await ConnectSimulator.start({});
  const zendesk = await ZendeskSimulator.start({ bridgeEmail, webhookSecret: secrets.zendeskWebhookSecret });
  if (LATENCY_MS > 0) for (const sim of [connect, zendesk]) sim.fault({ match: '*', kind: 'latency', delayMs: LATENCY_MS });

  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    ...temporalEnv,
    TEMPORAL_TASK_QUEUE: 'ticket-bridge',
    CONNECT_API_URL: connect.url,
    CONNECT_API_KEY: connect.apiKey,
    CONNECT_WEBHOOK_TOKEN: secrets.connectWebhookToken,
    ZENDESK_API_URL: zendesk.apiUrl,
    ZENDESK_EMAIL: bridgeEmail,
    ZENDESK_API_TOKEN: zendesk.apiToken,
    ZENDESK_WEBHOOK_SECRET: secrets.zendeskWebhookSecret,
    OPS_API_TOKEN: secrets.opsApiToken,
    CODEC_AUTH_TOKEN: secrets.codecAuthToken,
    PAYLOAD_KEYS: secrets.payloadKeys,
    // A lost webhook (none is expected) is found by the reconciler within a minute.
    RECONCILE_INTERVAL: '1m',
    WORKER_METRICS_ADDRESS: 'off',
    LOG_LEVEL: 'info',
    // Each remote's budget for the workers to share (none given: no budget, as `off`).
    ZENDESK_REQUESTS_PER_MINUTE: String(BUDGETS.get('zendesk') ?? 'off'),
    CONNECT_REQUESTS_PER_MINUTE: String(BUDGETS.get('connect') ?? 'off'),
    WORKER_REPLICAS: '2',
  };

  // --- the bridge: two APIs behind the balancer, two workers --------------------------------
  const apiPorts = [await freePort(), await freePort()];
  const apiEnv = (i: number): NodeJS.ProcessEnv => {
    const dir = join(runDir, `api${i + 1}`);
    mkdirSync(dir, { recursive: true });
    return { ...baseEnv, PORT: String(apiPorts[i]), DATA_DIR: dir, INBOX_DIR: join(dir, 'inbox') };
  };
  let workerSeq = 0;
  const workers: BridgeProcess[] = [];
  const everyWorker: BridgeProcess[] = [];
  const workerBuilds = new Map<number, Build>();
  // The old build until the versioned deploy starts its first worker of this tree.
  let workerRoot = oldBuild?.dir;
  // Each worker's metrics, for what its rate budgets did (read at the end).
  const workerMetrics = new Map<BridgeProcess, string>();
  const startWorker = async (): Promise<BridgeProcess> => {
    const name = `worker${++workerSeq}`;
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const w = await spawnBridgeProcess({ name, role: 'worker', env: { ...baseEnv, DATA_DIR: runDir, WORKER_METRICS_ADDRESS: metricsAddress }, logFile: join(runDir, `${name}.log`), root: workerRoot });
    workerMetrics.set(w, `http://${metricsAddress}/metrics`);
    workers.push(w);
    everyWorker.push(w);
    workerBuilds.set(w.pid, workerRoot === undefined ? 'new' : 'old');
    log(`${name} ready (pid ${w.pid}${oldBuild ? `, ${workerRoot === undefined ? 'new' : 'old'} build` : ''})`);
    return w;
  };
  const apis: BridgeProcess[] = [];
  const everyApi: BridgeProcess[] = [];
  let apiSeq = 0;
  const startApi = async (i: number): Promise<BridgeProcess> => {
    const name = `api${i + 1}-${++apiSeq}`;
    const a = await spawnBridgeProcess({ name, role: 'api', env: apiEnv(i), logFile: join(runDir, `${name}.log`) });
    apis[i] = a;
    everyApi.push(a);
    log(`${name} ready on port ${apiPorts[i]} (pid ${a.pid})`);
    return a;
  };
  log('starting 2 APIs and 2 workers (each worker bundles the workflow code first)');
  await Promise.all([startApi(0), startApi(1)]);
  await startWorker();
  await startWorker();
  const balancer = await startBalancer(apiPorts.map((p) => `http://127.0.0.1:${p}`));
  connect.webhookUrl = `${balancer.url}/webhooks/connect?auth_token=${secrets.connectWebhookToken}`;
  zendesk.webhookUrl = `${balancer.url}/webhooks/zendesk`;

  const sampler = setInterval(() => [...workers, ...apis].forEach((p) => p.sample()), 2_000);

  // --- the load ----------------------------------------------------------------------------
  const clusterScript = join(REPO, 'scripts', 'cluster.sh');
  const cpuBefore = clusterCpu(clusterScript);
  const bridgeCpuBefore = new Map([...workers, ...apis].map((p) => (p.sample(), [p.name, p.cpuSeconds])));
  const zendeskBefore = zendesk.requests().length;
  const connectBefore = connect.requests().length;
  const lifecycles: Lifecycle[] = [];
  const started = Date.now();
  let nextTicket = 0;
  let done = 0;
  // Past --tickets, lifecycles keep starting while chaos events are still to come.
  let chaosPlanDone = !CHAOS;
  const startAnother = (i: number) => i < TICKETS || (!chaosPlanDone && i < MAX_TICKETS);
  const progress = setInterval(() => log(`${done}/${nextTicket} lifecycles done, ${workers.length} workers`), 15_000);
  const load = Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        if (!startAnother(nextTicket) || Date.now() - started > MAX_MS) return;
        const i = nextTicket++;
        lifecycles.push(await runLifecycle({ connect, zendesk, id: `${runId}-${i}`, stepTimeoutMs: arg('step-timeout-s', CHAOS ? 600 : 300) * 1000, thinkMs: THINK_MS }));
        done++;
      }
    }),
  );
  const chaos: { events: ChaosEvent[]; skipped: string[] } = CHAOS
    ? await runChaos({
        workers,
        startWorker,
        ...(oldBuild && {
          startNewBuildWorker: () => {
            workerRoot = undefined;
            return startWorker();
          },
        }),
        overlapMs: OVERLAP_S * 1000,
        apis,
        startApi,
        cluster: (...args) => promisify(execFile)('bash', [clusterScript, ...args]),
        lifecycles,
        until: load,
        log,
        only: CHAOS_ONLY,
        gapMs: arg('gap-s', 40) * 1000,
        outageMs: arg('outage-s', 30) * 1000,
        onPlanDone: () => (chaosPlanDone = true),
      })
    : { events: [], skipped: [] };
  const chaosEvents = chaos.events;
  await load;
  const wallMs = Date.now() - started;
  clearInterval(progress);
  clearInterval(sampler);
  [...workers, ...apis].forEach((p) => p.sample());
  const clusterUsed = cpuBetween(cpuBefore, clusterCpu(clusterScript));
  const cpuOf = (role: 'worker' | 'api') =>
    (role === 'worker' ? everyWorker : everyApi).reduce((sum, p) => sum + p.cpuSeconds - (bridgeCpuBefore.get(p.name) ?? 0), 0);
  log(`all ${lifecycles.length} lifecycles ended after ${Math.round(wallMs / 1000)} s; waiting for the workflows to complete`);

  // --- the end state -----------------------------------------------------------------------
  const config = loadConfig(baseEnv);
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = createClient(connection, config.temporal.namespace, config);
  const verdicts: TicketVerdict[] = [];
  const settleUntil = Date.now() + 120_000;
  for (const lc of lifecycles) verdicts.push(await checkTicket({ connect, zendesk, client, lifecycle: lc, settleUntil }));
  // History events per lifecycle, from a sample of tickets (every run of each).
  const sample = lifecycles.filter((lc) => lc.completed).slice(0, 20);
  const events: number[] = [];
  for (const lc of sample) events.push((await allRuns(client, ticketWorkflowId('connect', lc.id))).reduce((n, h) => n + (h.events?.length ?? 0), 0));
  const deployEvents = chaosEvents.filter((e) => e.name === 'versioned-deploy');
  const deploy =
    oldBuild && deployEvents.length > 0
      ? await checkDeploy({
          client,
          workflowIds: lifecycles.map((lc) => ticketWorkflowId('connect', lc.id)),
          builds: workerBuilds,
          newPatches: oldBuild.newPatches,
          workerLogs: everyWorker.map((w) => join(runDir, `${w.name}.log`)),
        })
      : undefined;
  const zendeskRequests = zendesk.requests().length - zendeskBefore;
  const connectRequests = connect.requests().length - connectBefore;
  const remotes = { zendesk: zendesk.requests().slice(zendeskBefore), connect: connect.requests().slice(connectBefore) };
  const budgetsUsed = await budgetUse(workers.map((w) => workerMetrics.get(w)!));
  const peaks = Object.entries(remotes).map(([remote, requests]) => {
    const peak = busiestMinute(requests.map((r) => Date.parse(r.at)));
    const budget = BUDGETS.get(remote);
    const limited = requests.filter((r) => r.status === 429).length;
    return { remote, peak, budget, limited, over: budget !== undefined && peak > budget };
  });

  // --- the report --------------------------------------------------------------------------
  const steps = lifecycles.flatMap((lc) => lc.steps);
  const stepNames = [...new Set(steps.map((s) => s.name))];
  const bad = verdicts.filter((v) => v.problems.length > 0);
  const count = (kind: TicketVerdict['problems'][number]['kind']) => verdicts.filter((v) => v.problems.some((p) => p.kind === kind)).length;
  const completedLifecycles = lifecycles.filter((lc) => lc.completed).length;
  const cpuMs = (seconds: number) => `${Math.round((seconds / Math.max(1, completedLifecycles)) * 1000)} ms`;
  const lines = [
    `ticket-bridge on a Temporal cluster — ${new Date().toISOString()} — ${lifecycles.length} tickets, ${CONCURRENCY} concurrent${CHAOS ? ', chaos' : ''}, run took ${Math.round(wallMs / 1000)} s`,
    '',
    '| figure | measured |',
    '|---|---|',
    `| lifecycles completed (create, agent reply, user reply, solve, confirm) | ${completedLifecycles} / ${lifecycles.length} |`,
    `| tickets per hour sustained (whole lifecycles, ${CONCURRENCY} in flight) | ${Math.round((completedLifecycles / wallMs) * 3_600_000)} |`,
    `| webhook → 202 through the balancer, p50 / p99 (${balancer.latencies.length} webhooks) | ${ms(percentile(balancer.latencies, 50))} / ${ms(percentile(balancer.latencies, 99))} |`,
    `| action → mirrored on the other side, p50 / p99 (all ${steps.length} steps) | ${ms(percentile(steps.map((s) => s.ms), 50))} / ${ms(percentile(steps.map((s) => s.ms), 99))} |`,
    ...stepNames.map((name) => {
      const xs = steps.filter((s) => s.name === name).map((s) => s.ms);
      return `| … ${name}, p50 / p99 | ${ms(percentile(xs, 50))} / ${ms(percentile(xs, 99))} |`;
    }),
    `| Zendesk requests per ticket (all, reconciler included) | ${(zendeskRequests / lifecycles.length).toFixed(1)} |`,
    `| Connect requests per ticket | ${(connectRequests / lifecycles.length).toFixed(1)} |`,
    `| webhooks per API (round robin) | ${balancer.perBackend.join(' / ')} |`,
    `| webhook answers | ${[...balancer.statuses].map(([s, n]) => `${s}: ${n}`).join(', ')} |`,
    `| history events per lifecycle (median of ${events.length}) | ${percentile(events, 50)} |`,
    ...everyWorker.map((w) => `| ${w.name} peak RSS | ${mib(w.peakRss)} |`),
    `| CPU per lifecycle: workers / APIs | ${cpuMs(cpuOf('worker'))} / ${cpuMs(cpuOf('api'))} |`,
    // Parts restarted during the run (chaos) have no figure of their own.
    ...(clusterUsed.size > 0 ? [`| CPU per lifecycle: ${[...clusterUsed.keys()].join(' / ')} | ${[...clusterUsed.values()].map(cpuMs).join(' / ')} |`] : []),
    ...peaks.map(
      (p) =>
        `| ${p.remote} requests, busiest 60 s${p.budget === undefined ? '' : ' / budget per minute'} (429s answered) | ${p.peak}${p.budget === undefined ? '' : ` / ${p.budget}${p.over ? ' **OVER**' : ''}`} (${p.limited}) |`,
    ),
    ...[...budgetsUsed].map(
      ([remote, u]) =>
        `| ${remote} budget in the ${u.shares.length} workers running at the end: share per minute each; requests sent / waited for a slot in all / refused (retried later; of them after a slot of their attempt) | ${u.shares.map((n) => Math.round(n)).join(' / ')}; ${u.requests} / ${Math.round(u.waitSeconds)} s / ${u.refused} (${u.refusedContinuing}) |`,
    ),
    `| end state: lost / duplicated / echoed / stuck | ${count('lost')} / ${count('duplicated')} / ${count('echoed')} / ${count('stuck')} |`,
    ...(deploy
      ? deployReportRows(deploy, {
          from: oldBuild!.title.split(' ')[0]!,
          newPatches: oldBuild!.newPatches,
          inFlight: inFlightAcross(lifecycles, deployEvents),
          overlapS: OVERLAP_S,
        })
      : []),
    ...(chaos.skipped.length > 0 ? [`| chaos events asked for that did not run (the load ended first) | **${chaos.skipped.length}**: ${chaos.skipped.join('; ')} |`] : []),
  ];
  if (chaosEvents.length > 0) {
    lines.push('', '| chaos event | took | longest pause in mirrored steps after it | steps in flight at the event: slowest |', '|---|---|---|---|');
    for (const e of chaosEvents) lines.push(`| ${e.what} | ${ms(e.tookMs)} | ${ms(e.pauseMs)} | ${ms(e.slowestInFlightMs)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const v of bad.slice(0, 20)) log(`ticket ${v.id}: ${v.problems.map((p) => `${p.kind}: ${p.detail}`).join('; ')}`);
  writeFileSync(join(runDir, 'report.md'), `${lines.join('\n')}\n`);
  writeFileSync(join(runDir, 'verdicts.json'), JSON.stringify({ verdicts, chaosEvents }, null, 2));

  // --- teardown ----------------------------------------------------------------------------
  await connection.close();
  await Promise.all([...workers, ...apis].map((p) => p.stop()));
  await balancer.close();
  await connect.stop();
  await zendesk.stop();
  log(`done; logs and report in ${runDir}`);
  oldBuild?.remove();
  const failed = bad.length > 0 || peaks.some((p) => p.over) || chaos.skipped.length > 0 || (deploy?.failedWorkflowTasks.events ?? 0) > 0;
  if (failed) log('FAILED: see the report above');
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`cluster-load failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
