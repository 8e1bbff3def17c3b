/**
 * `npm run bench`: the performance report of issue 12, measured in one run against the official
 * Temporal dev server (one server, one namespace per rig), printed as one markdown table with
 * each figure next to its target. Numbers are printed, never asserted.
 *
 *   npx tsx bench/report.ts [--n=1000] [--concurrency=16] [--open=20] [--idle=1000,5000,10000] [--idle-budget-s=900]
 *                           [--throughput-tickets=60] [--throughput-concurrency=20] [--latency-ms=100] [--parts=P1,…,P6]
 *
 *  - P1: `POST /webhooks/connect` → 202 vs a bare `client.workflow.signalWithStart` loop (same
 *        options as the gateway, same id pattern, same concurrency, no worker in that namespace),
 *        alternating rounds, as ratios.
 *  - P2: history events, workflow tasks (failed, with causes), activities (reads/writes) and HTTP
 *        requests per remote, for the standard lifecycle, one duplicate Connect notification on a
 *        settled ticket, and the SOLVED-timer lifecycle; from the histories (every run of the
 *        workflow id) and the simulators' request logs.
 *  - P3: replay time of the standard lifecycle's history (`Worker.runReplayHistories`).
 *  - P5: one reconciler round over the open tickets, run in-process with the production activity
 *        code; remote requests from the simulators' logs, Temporal calls counted per gRPC method.
 *  - P4: the production worker half in a child process (bench/worker-process.ts): RSS and heap
 *        with --idle open idle tickets, and the sync latency of a ticket after a worker restart
 *        (empty cache) next to the same ticket cached.
 *  - P6: throughput (bench/throughput.ts): --throughput-tickets whole lifecycles,
 *        --throughput-concurrency at a time, every remote request --latency-ms late, on the
 *        production worker in a child process, next to the raw engine doing as many steps;
 *        lifecycles a minute, worker CPU per lifecycle, Temporal actions per lifecycle.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createReconcilerActivities, type ReconcileSummary } from '../src/activities/reconcile';
import { ConnectSource } from '../src/adapters/connect';
import { ZendeskCrm } from '../src/adapters/zendesk';
import { ticketWorkflowId } from '../src/domain/ticket';
import { DEFAULT_WORKER_MAX_CACHED_WORKFLOWS } from '../src/config/worker';
import { startDevServer } from '../src/runtime/dev-server';
import type { RequestLogEntry } from '../src/simulators/common/sim-server';
import { WORKFLOWS_PATH } from '../src/worker';
import {
  DEFAULT_WORKFLOW_SETTINGS,
  sourceChangedSignal,
  TICKET_WORKFLOW_TYPE,
  type SourceNotification,
  type TicketWorkflowInput,
} from '../src/workflows/definitions';
import { TicketSourceKey, TicketStatusKey } from '../src/workflows/search-attributes';
import { bundleWorkflows, eventually } from '../test/harness';
import { CLAIMS_ENV, namespacePool, POOL_ENV } from '../test/harness/namespaces';
import { startBridgeRig, type BridgeRig } from '../test/support/bridge-rig';
import { freshdeskDriver, zendeskDriver, type HelpdeskDriver } from './helpdesks';
import { billableActions, rejectedUpdates, zendeskDeliveriesOf } from './actions';
import { allRuns } from './histories';
import { bridgeThroughput, rawThroughput, type Throughput } from './throughput';
import { forkReady, median, percentile, pool } from './runner';
import type { BenchWorkerSpec } from './worker-process';

type History = temporal.api.history.v1.IHistory;

const arg = (name: string, fallback: number): number => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
};
const N = arg('n', 1000);
const CONCURRENCY = arg('concurrency', 16);
const OPEN_TICKETS = arg('open', 20);
/** Open idle tickets at which the worker's memory is measured, one after another in one run. */
const IDLE_STEPS = (process.argv.find((a) => a.startsWith('--idle='))?.split('=')[1] ?? '1000,5000,10000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const IDLE_BUDGET_MS = arg('idle-budget-s', 900) * 1000;
const SOLVED_AUTO_CLOSE_MS = 4_000;
const ZENDESK_EVENT_DELAY_MS = arg('zendesk-event-delay-ms', 0);
const THROUGHPUT = { tickets: arg('throughput-tickets', 60), concurrency: arg('throughput-concurrency', 20), latencyMs: arg('latency-ms', 100) };
/** `--parts=P2,P3`: only those parts (P2, P3 and P5 share one rig); all by default. */
const PARTS = new Set((process.argv.find((a) => a.startsWith('--parts='))?.split('=')[1] ?? 'P1,P2,P3,P4,P5,P6').split(','));

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


// ---------------------------------------------------------------------------------------------
// P1
// ---------------------------------------------------------------------------------------------

interface LoadResult {
  count: number;
  wallMs: number;
  latencies: number[];
}

async function load(n: number, concurrency: number, op: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  await pool(n, concurrency, async (i) => {
    const t0 = performance.now();
    await op(i);
    latencies.push(performance.now() - t0);
  });
  return { count: n, wallMs: performance.now() - started, latencies };
}

function merge(results: LoadResult[]) {
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const count = results.reduce((a, r) => a + r.count, 0);
  const wallMs = results.reduce((a, r) => a + r.wallMs, 0);
  return { perSecond: (count / wallMs) * 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99), count };
}

async function measureIngestion(rig: BridgeRig) {
  const url = `${rig.api.url}/webhooks/connect?auth_token=${rig.apiConfig.connectWebhookToken}`;
  // The sender is node:http on a keep-alive agent, as a webhook sender's own machine would use
  // something: it shares this process with the API, and fetch's own CPU (web streams, an abort
  // signal per request: ~0.9 ms a request, measured) was being counted as the bridge's.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const webhook = (prefix: string) => (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ type: 'CREATE', ticketId: `${prefix}${i}` });
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`webhook answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  // What the gateway sends (src/api/temporal-gateway.ts notifySource), on the bridge's own client.
  const raw = (prefix: string) => async (i: number) => {
    const sourceTicketId = `${prefix}${i}`;
    const input: TicketWorkflowInput = { source: 'connect', sourceTicketId, settings: { ...DEFAULT_WORKFLOW_SETTINGS } };
    const notification: SourceNotification = { kind: 'created', eventId: null, receivedAt: new Date().toISOString(), snapshot: null };
    await rig.client.workflow.signalWithStart(TICKET_WORKFLOW_TYPE, {
      workflowId: ticketWorkflowId('connect', sourceTicketId),
      taskQueue: rig.taskQueue,
      args: [input],
      signal: sourceChangedSignal,
      signalArgs: [notification],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: [
        { key: TicketSourceKey, value: 'connect' },
        { key: TicketStatusKey, value: 'NEW' },
      ],
    });
  };
  log(`P1 warm-up`);
  await load(200, CONCURRENCY, webhook('p1-warm-w-'));
  await load(200, CONCURRENCY, raw('p1-warm-r-'));
  const w: LoadResult[] = [];
  const r: LoadResult[] = [];
  for (let round = 0; round < 2; round++) {
    log(`P1 round ${round + 1}/2: ${N} webhooks, ${N} raw signalWithStart, concurrency ${CONCURRENCY}`);
    w.push(await load(N, CONCURRENCY, webhook(`p1-w${round}-`)));
    r.push(await load(N, CONCURRENCY, raw(`p1-r${round}-`)));
  }
  agent.destroy();
  return { webhook: merge(w), raw: merge(r) };
}

// ---------------------------------------------------------------------------------------------
// P2
// ---------------------------------------------------------------------------------------------

const historyLength = async (client: Client, workflowId: string) =>
  (await allRuns(client, workflowId)).reduce((a, h) => a + (h.events?.length ?? 0), 0);

/** Waits until the workflow's history stops growing (no task or activity in flight for `stableMs`). */
async function quiescent(client: Client, workflowId: string, stableMs = 1_200): Promise<void> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const length = await historyLength(client, workflowId);
    if (length !== last) {
      last = length;
      since = Date.now();
    } else if (Date.now() - since >= stableMs) return;
    await sleep(200);
  }
}

const READ_ACTIVITIES = /^(read|fetch|get|find|list|crmBridgeUserId)/;

interface Counts {
  events: number;
  runs: number;
  workflowTasks: number;
  failedTasks: number;
  failedCauses: string[];
  activities: number;
  reads: number;
  writes: number;
  localActivities: number;
  activityNames: Record<string, number>;
}

function countHistories(histories: History[], fromEvent = 0): Counts {
  const events = histories.flatMap((h) => h.events ?? []).slice(fromEvent);
  const activityNames: Record<string, number> = {};
  const failedCauses: string[] = [];
  let workflowTasks = 0;
  let localActivities = 0;
  for (const e of events) {
    if (e.workflowTaskScheduledEventAttributes) workflowTasks++;
    if (e.workflowTaskFailedEventAttributes) {
      const cause = e.workflowTaskFailedEventAttributes.cause ?? 0;
      failedCauses.push(String(temporal.api.enums.v1.WorkflowTaskFailedCause[cause] ?? cause).replace('WORKFLOW_TASK_FAILED_CAUSE_', ''));
    }
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) activityNames[name] = (activityNames[name] ?? 0) + 1;
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') localActivities++;
  }
  const all = Object.entries(activityNames);
  const reads = all.filter(([n]) => READ_ACTIVITIES.test(n)).reduce((a, [, c]) => a + c, 0);
  const activities = all.reduce((a, [, c]) => a + c, 0);
  return {
    events: events.length,
    runs: histories.length,
    workflowTasks,
    failedTasks: failedCauses.length,
    failedCauses,
    activities,
    reads,
    writes: activities - reads,
    localActivities,
    activityNames,
  };
}

/** How many events of each type: where a lifecycle's history goes. */
function eventTypes(histories: History[]): Record<string, number> {
  const by: Record<string, number> = {};
  for (const e of histories.flatMap((h) => h.events ?? [])) {
    const type = String(temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? e.eventType).replace('EVENT_TYPE_', '');
    const name = type === 'MARKER_RECORDED' ? `${type}:${e.markerRecordedEventAttributes?.markerName}` : type;
    by[name] = (by[name] ?? 0) + 1;
  }
  return by;
}

interface Http {
  zendesk: number;
  zendeskGets: number;
  connect: number;
}

function httpSince(rig: BridgeRig, mark: { zendesk: number; connect: number }): Http {
  const zd: RequestLogEntry[] = rig.zendesk.requests().slice(mark.zendesk);
  const cn: RequestLogEntry[] = rig.connect.requests().slice(mark.connect);
  return { zendesk: zd.length, zendeskGets: zd.filter((e) => e.method === 'GET').length, connect: cn.length };
}
const markHttp = (rig: BridgeRig) => ({ zendesk: rig.zendesk.requests().length, connect: rig.connect.requests().length });

/** `signals 4, updates 8, …`: where a lifecycle's actions go. */
function actionKinds(by: Record<string, number>): string {
  return Object.entries(by).filter(([, n]) => n > 0).map(([kind, n]) => `${kind} ${n}`).join(', ');
}

let ticketSeq = 0;
const newId = (tag: string) => `bench-${tag}-${process.pid}-${++ticketSeq}`;

async function openTicket(rig: BridgeRig, id: string) {
  await rig.connect.userCreatesTicket({ id, title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
  return rig.zendeskTicketFor(id);
}

/** The standard lifecycle, its agent in `desk` (Zendesk by default); `crmHttp` counts that helpdesk's requests. */
async function standardLifecycle(rig: BridgeRig, desk: HelpdeskDriver = zendeskDriver(rig)) {
  // Zendesk sends its events a little after the change (`--zendesk-event-delay-ms`; 0: at once).
  if (ZENDESK_EVENT_DELAY_MS > 0) rig.zendesk.webhooks.options = { delayMs: ZENDESK_EVENT_DELAY_MS };
  const id = newId('std');
  const wf = ticketWorkflowId('connect', id);
  const mark = markHttp(rig);
  const crmMark = desk.requests().length;
  // The requests each step cost, by route, in order (logged on stderr: where a figure goes).
  const steps: { step: string; crm: string[]; connect: string[] }[] = [];
  let stepMark = { crm: crmMark, connect: rig.connect.requests().length };
  const stepDone = (step: string) => {
    const [crm, connect] = [desk.requests(), rig.connect.requests()];
    steps.push({ step, crm: crm.slice(stepMark.crm).map((r) => r.route), connect: connect.slice(stepMark.connect).map((r) => r.route) });
    stepMark = { crm: crm.length, connect: connect.length };
  };
  await rig.connect.userCreatesTicket({ id, title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
  const crmId = await desk.ticketFor(id);
  await quiescent(rig.env.client, wf);
  stepDone('create');
  const agentReply = async (body: string) => {
    await desk.agentReplies(crmId, body);
    await eventually(() => {
      if (!rig.connect.ticket(id)!.comments.some((c) => c.message === body)) throw new Error('reply not in Connect yet');
    });
    await quiescent(rig.env.client, wf);
    stepDone('agent reply');
  };
  const userReply = async (body: string) => {
    await rig.connect.userComments(id, body);
    await eventually(() => {
      if (desk.lastText(crmId) !== body) throw new Error(`comment not in ${desk.name} yet`);
    });
    await quiescent(rig.env.client, wf);
    stepDone('user reply');
  };
  await agentReply('Could you send a photo of the meter?');
  await userReply('Here it is: 10432 kWh');
  await agentReply('Thanks, we are checking the billing run.');
  await userReply('Any news?');
  await desk.agentSolves(crmId);
  // Confirm as soon as the app shows SOLVED (the rig's SOLVED timer is short, for the timer lifecycle).
  await eventually(() => {
    if (rig.connect.ticket(id)!.status !== 'SOLVED') throw new Error('not SOLVED in Connect yet');
  });
  await quiescent(rig.env.client, wf);
  stepDone('agent solves');
  await rig.connect.userConfirmsResolved(id);
  const final = await rig.result(id);
  await sleep(1_000); // late echoes of the final writes reach the API, which finds the workflow completed
  stepDone('user confirms');
  log(`requests by step, standard lifecycle on ${desk.name}: ${JSON.stringify(steps)}`);
  const histories = await allRuns(rig.env.client, wf);
  const crmRequests = desk.requests().slice(crmMark);
  // How long the API took to answer each of Zendesk's events about this ticket.
  const ofTicket = zendeskDeliveriesOf(rig.zendesk, crmId);
  const zendeskWebhookMs = ofTicket.filter((d) => d.ms !== undefined).map((d) => d.ms!);
  return {
    id,
    wf,
    counts: countHistories(histories),
    http: httpSince(rig, mark),
    crmHttp: { requests: crmRequests.length, gets: crmRequests.filter((e) => e.method === 'GET').length },
    histories,
    final: final.status,
    zendeskWebhookMs,
    actions: billableActions(histories, rejectedUpdates(ofTicket)),
  };
}

/** P2 on Freshdesk: the same standard lifecycle on a `CRM=freshdesk` rig of its own. */
async function freshdeskRow(row: (area: string, figure: string, measured: string, target: string) => void): Promise<void> {
  const rig = await startBridgeRig({ crm: 'freshdesk', workflowSettings: { solvedAutoCloseAfterMs: SOLVED_AUTO_CLOSE_MS } });
  try {
    log('P2: standard lifecycle on Freshdesk');
    const fd = await standardLifecycle(rig, freshdeskDriver(rig));
    const s = fd.counts;
    row('P2 standard', 'Freshdesk requests (GETs), the same lifecycle with CRM=freshdesk', `${fd.crmHttp.requests} (${fd.crmHttp.gets} GET), ended ${fd.final}`, '—');
    row('P2 standard', 'on Freshdesk: history events / activities (reads / writes) / Connect requests', `${s.events} / ${s.activities} (${s.reads} / ${s.writes}) / ${fd.http.connect}`, '—');
  } finally {
    await rig.teardown();
  }
}

async function duplicateNotification(rig: BridgeRig) {
  const id = newId('dup');
  const wf = ticketWorkflowId('connect', id);
  await openTicket(rig, id);
  await quiescent(rig.env.client, wf);
  const before = await historyLength(rig.env.client, wf);
  const mark = markHttp(rig);
  const delivered = await rig.connect.sendWebhook({ type: 'CREATE', ticketId: id });
  await quiescent(rig.env.client, wf);
  const counts = countHistories(await allRuns(rig.env.client, wf), before);
  return { id, counts, http: httpSince(rig, mark), status: delivered.map((d) => d.status).join(',') };
}

async function solvedTimerLifecycle(rig: BridgeRig) {
  const id = newId('timer');
  const wf = ticketWorkflowId('connect', id);
  const mark = markHttp(rig);
  const zd = await openTicket(rig, id);
  await quiescent(rig.env.client, wf);
  await rig.zendesk.agentAssigns(zd.id, rig.zendesk.agent.id);
  await quiescent(rig.env.client, wf);
  await rig.zendesk.agentReplies(zd.id, 'Fixed on our side.', { status: 'solved' });
  const final = await rig.result(id);
  await sleep(1_000);
  const histories = await allRuns(rig.env.client, wf);
  return { counts: countHistories(histories), http: httpSince(rig, mark), final: final.status };
}

// ---------------------------------------------------------------------------------------------
// P3
// ---------------------------------------------------------------------------------------------

async function replayTime(histories: History[], workflowTasks: number) {
  const workflowBundle = await bundleWorkflows(WORKFLOWS_PATH);
  const once = async (copies: number) => {
    const t0 = performance.now();
    let i = 0;
    const all = Array.from({ length: copies }, () => histories).flat();
    for await (const result of Worker.runReplayHistories(
      { workflowBundle },
      all.map((history) => ({ workflowId: `replay-${i++}`, history })),
    )) {
      if (result.error) throw result.error;
    }
    return performance.now() - t0;
  };
  await once(1); // warm-up
  const samples: number[] = [];
  const fives: number[] = [];
  for (let k = 0; k < 5; k++) {
    samples.push(await once(1));
    fives.push(await once(5));
  }
  const ms = median(samples);
  const marginal = (median(fives) - ms) / 4;
  return { ms, marginal, perActivation: marginal / workflowTasks };
}


// ---------------------------------------------------------------------------------------------
// P4
// ---------------------------------------------------------------------------------------------

interface Mem {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

async function forkWorker(rig: BridgeRig) {
  const spec: BenchWorkerSpec = {
    temporalAddress: rig.env.address,
    namespace: rig.env.namespace,
    taskQueue: rig.taskQueue,
    connect: { url: rig.connect.url, apiKey: rig.connect.apiKey },
    zendesk: { apiUrl: rig.zendesk.apiUrl, email: 'bridge@example.test', apiToken: rig.zendesk.apiToken },
    whitelabel: { url: rig.whitelabel.url, apiKey: rig.whitelabel.apiKey },
  };
  const { child, stop } = await forkReady('worker-process.ts', { BENCH_WORKER_SPEC: JSON.stringify(spec) }, ['--expose-gc']);
  const mem = () =>
    new Promise<Mem>((resolve) => {
      child.once('message', (m) => resolve(m as Mem));
      child.send('mem');
    });
  return { mem, stop, pid: child.pid };
}

/** Waits until neither simulator has received a request for `quietMs`. */
async function remotesQuiet(rig: BridgeRig, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const n = rig.zendesk.requests().length + rig.connect.requests().length;
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await sleep(250);
  }
}

async function idleWorkerMemory(steps: number[], budgetMs: number) {
  const rig = await startBridgeRig({ inProcessWorker: false });
  let worker = await forkWorker(rig);
  try {
    const before = await worker.mem();
    const deadline = Date.now() + budgetMs;
    const ids: string[] = [];
    const measured: { asked: number; mirrored: number; mem: Mem }[] = [];
    for (const count of steps) {
      if (Date.now() >= deadline) break;
      log(`P4: opening idle tickets up to ${count} (budget left ${((deadline - Date.now()) / 1000).toFixed(0)} s)`);
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (ids.length < count && Date.now() < deadline) {
            const id = newId('idle');
            ids.push(id);
            await rig.connect.userCreatesTicket({ id, title: 'Idle ticket', description: 'Waiting for an agent.' });
          }
        }),
      );
      await eventually(
        () => {
          if (rig.zendesk.tickets().length < ids.length && Date.now() < deadline + 120_000) throw new Error('not all mirrored yet');
        },
        { timeoutMs: 600_000, intervalMs: 500 },
      );
      await remotesQuiet(rig, 3_000, 60_000);
      measured.push({ asked: count, mirrored: rig.zendesk.tickets().length, mem: await worker.mem() });
    }

    // A ticket not in the cache: a fresh worker (empty cache) syncs a user comment.
    await worker.stop();
    worker = await forkWorker(rig);
    const target = ids[Math.floor(ids.length / 2)]!;
    const zdId = rig.zendesk.ticketByExternalId(`connect:${target}`)!.id;
    const syncLatency = async (body: string) => {
      const t0 = performance.now();
      await rig.connect.userComments(target, body);
      await eventually(
        () => {
          if (rig.zendesk.comments(zdId).at(-1)?.body !== body) throw new Error('not synced');
        },
        { timeoutMs: 30_000, intervalMs: 10 },
      );
      return performance.now() - t0;
    };
    const uncachedMs = await syncLatency('first words after a worker restart');
    await remotesQuiet(rig, 1_000, 10_000);
    const cachedMs = await syncLatency('and a second comment, now cached');
    return { opened: ids.length, before, measured, uncachedMs, cachedMs };
  } finally {
    await worker.stop();
    await rig.teardown();
  }
}

// ---------------------------------------------------------------------------------------------
// P5
// ---------------------------------------------------------------------------------------------

async function reconcilerRound(rig: BridgeRig, openCount: number) {
  log(`P5: opening ${openCount} tickets`);
  const ids = Array.from({ length: openCount }, () => newId('open'));
  await Promise.all(ids.map((id) => openTicket(rig, id)));
  for (const id of ids) await quiescent(rig.env.client, ticketWorkflowId('connect', id), 500);
  const grpcCalls: Record<string, number> = {};
  const counter: Interceptor = (options, nextCall) => {
    const method = String(options.method_definition.path).split('/').at(-1)!;
    grpcCalls[method] = (grpcCalls[method] ?? 0) + 1;
    return new InterceptingCall(nextCall(options));
  };
  const connection = await Connection.connect({ address: rig.env.address, interceptors: [counter] });
  const client = new Client({ connection, namespace: rig.env.namespace });
  // Visibility is eventually consistent: wait until every open ticket is listed.
  const openQuery = `WorkflowType = "${TICKET_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;
  await eventually(
    async () => {
      const { count } = await rig.env.client.workflow.count(openQuery);
      if (count < openCount) throw new Error(`visibility lists ${count} open tickets`);
    },
    { timeoutMs: 30_000 },
  );
  for (const k of Object.keys(grpcCalls)) delete grpcCalls[k];
  const acts = createReconcilerActivities({
    client,
    sources: { connect: new ConnectSource({ baseUrl: rig.connect.url, apiKey: rig.connect.apiKey }), whitelabel: undefined },
    crm: new ZendeskCrm({ baseUrl: rig.zendesk.apiUrl, email: 'bridge@example.test', apiToken: rig.zendesk.apiToken }),
  });
  const mark = markHttp(rig);
  const t0 = performance.now();
  const summary: ReconcileSummary = await new MockActivityEnvironment().run(acts.reconcileOpenTickets);
  const ms = performance.now() - t0;
  const http = httpSince(rig, mark);
  await connection.close();
  return { summary, http, grpcCalls, ms };
}

// ---------------------------------------------------------------------------------------------

/** A bridge rig for one part of the report, torn down whatever happens. */
async function withRig(options: Parameters<typeof startBridgeRig>[0], part: (rig: BridgeRig) => Promise<void>): Promise<void> {
  const rig = await startBridgeRig(options);
  try {
    await part(rig);
  } finally {
    await rig.teardown();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  // One dev server for the whole run, a pool of namespaces (one per rig), as test/harness/global-setup.ts.
  const namespaces = namespacePool(4);
  const server = await startDevServer({ port: 0, headless: true, namespaces });
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env[POOL_ENV] = namespaces.join(',');
  process.env[CLAIMS_ENV] = mkdtempSync(join(tmpdir(), 'ticket-bridge-bench-ns-'));
  log(`Temporal dev server ${server.cli.version} at ${server.address}`);

  const rows: string[][] = [];
  const row = (area: string, figure: string, measured: string, target: string) => rows.push([area, figure, measured, target]);
  const ratio = (x: number) => `${x.toFixed(2)}×`;
  let lifecycle: Awaited<ReturnType<typeof standardLifecycle>> | undefined;

  try {
    // P1: its own rig (own namespace), with no worker at all: nothing polls while it is measured.
    if (PARTS.has('P1')) await withRig({ inProcessWorker: false }, async (ingestRig) => {
      const p1 = await measureIngestion(ingestRig);
      const { webhook: w, raw: r } = p1;
      row('P1', `ingestion throughput, webhook→202 vs raw (${w.count} each, concurrency ${CONCURRENCY})`,
        `${ratio(w.perSecond / r.perSecond)} (${w.perSecond.toFixed(0)}/s vs ${r.perSecond.toFixed(0)}/s)`, '≥ 0.9×');
      row('P1', 'ingestion p50 latency vs raw', `${ratio(w.p50 / r.p50)} (${w.p50.toFixed(1)} ms vs ${r.p50.toFixed(1)} ms)`, '≤ 1.5×');
      row('P1', 'ingestion p99 latency vs raw', `${ratio(w.p99 / r.p99)} (${w.p99.toFixed(1)} ms vs ${r.p99.toFixed(1)} ms)`, '—');
    });

    if (PARTS.has('P2')) await withRig({ workflowSettings: { solvedAutoCloseAfterMs: SOLVED_AUTO_CLOSE_MS } }, async (rig) => {
      log('P2: standard lifecycle');
      lifecycle = await standardLifecycle(rig);
      const s = lifecycle.counts;
      const causes = (c: Counts) => (c.failedCauses.length ? ` (${c.failedCauses.join(', ')})` : '');
      const delay = ZENDESK_EVENT_DELAY_MS > 0 ? `, Zendesk events ${ZENDESK_EVENT_DELAY_MS} ms after the change` : '';
      row('P2 standard', `history events (all runs${delay})`, `${s.events} (${s.runs} run${s.runs > 1 ? 's' : ''}), ended ${lifecycle.final}`, '≤ 80');
      row('P2 standard', 'workflow tasks', `${s.workflowTasks}`, '—');
      row('P2 standard', 'failed workflow tasks', `${s.failedTasks}${causes(s)}`, '0');
      row('P2 standard', 'activities (reads / writes)', `${s.activities} (${s.reads} / ${s.writes}), local activities ${s.localActivities}`, '—');
      row('P2 standard', 'Zendesk requests (GETs)', `${lifecycle.http.zendesk} (${lifecycle.http.zendeskGets} GET)`, '≤ 10');
      row('P2 standard', 'Connect requests', `${lifecycle.http.connect}`, '≤ 12');
      row('P2 standard', 'Temporal actions (as Temporal Cloud bills them; bench/actions.ts)', `${lifecycle.actions.total} (${actionKinds(lifecycle.actions.by)})`, '—');
      const webhookMs = [...lifecycle.zendeskWebhookMs].sort((a, b) => a - b);
      row('P2 standard', `Zendesk events answered by the API (${webhookMs.length}): p50 / max`, webhookMs.length ? `${percentile(webhookMs, 50).toFixed(1)} ms / ${webhookMs.at(-1)!.toFixed(1)} ms` : '—', '—');

      log('P2: duplicate notification');
      const dup = await duplicateNotification(rig);
      const d = dup.counts;
      row('P2 duplicate', 'history events of one duplicate Connect webhook', `${d.events} (webhook answered ${dup.status})`, '≤ 4');
      row('P2 duplicate', 'workflow tasks / failed', `${d.workflowTasks} / ${d.failedTasks}${causes(d)}`, '—');
      row('P2 duplicate', 'activities (reads / writes)', `${d.activities} (${d.reads} / ${d.writes})`, '—');
      row('P2 duplicate', 'requests: Connect / Zendesk (GETs)', `${dup.http.connect} / ${dup.http.zendesk} (${dup.http.zendeskGets} GET)`,
        '1 read of the notifying side only (Connect 1, Zendesk 0)');

      log('P2: SOLVED-timer lifecycle');
      const timer = await solvedTimerLifecycle(rig);
      const t = timer.counts;
      row('P2 SOLVED timer', `history events (create, assign, solve, ${SOLVED_AUTO_CLOSE_MS / 1000} s timer), ended ${timer.final}`, `${t.events} (${t.runs} run${t.runs > 1 ? 's' : ''})`, '—');
      row('P2 SOLVED timer', 'workflow tasks / failed', `${t.workflowTasks} / ${t.failedTasks}${causes(t)}`, '—');
      row('P2 SOLVED timer', 'activities (reads / writes)', `${t.activities} (${t.reads} / ${t.writes})`, '—');
      row('P2 SOLVED timer', 'requests: Zendesk (GETs) / Connect', `${timer.http.zendesk} (${timer.http.zendeskGets} GET) / ${timer.http.connect}`, '—');

      log(`events by type, standard lifecycle: ${JSON.stringify(eventTypes(lifecycle.histories))}`);
      if (process.env.BENCH_DUMP_HISTORY) writeFileSync(process.env.BENCH_DUMP_HISTORY, JSON.stringify(lifecycle.histories.map((h) => temporal.api.history.v1.History.toObject(h as temporal.api.history.v1.History, { longs: String, enums: String }))));
      log('P3: replay');
      const replay = await replayTime(lifecycle.histories, s.workflowTasks);
      row('P3', 'replay of the standard lifecycle (median of 5, incl. replay-worker start)',
        `${replay.ms.toFixed(0)} ms; per extra history in the same replay worker ${replay.marginal.toFixed(0)} ms (${replay.perActivation.toFixed(2)} ms per workflow task)`, '—');

      if (PARTS.has('P5')) {
      const p5 = await reconcilerRound(rig, OPEN_TICKETS);
      const checked = p5.summary.checked || 1;
      const perTicket = (x: number) => (x / checked).toFixed(2);
      const temporalCalls = Object.entries(p5.grpcCalls).map(([m, c]) => `${m} ${c}`).join(', ');
      row('P5', `reconciler round over ${p5.summary.checked} open tickets: Zendesk requests per ticket`,
        `${perTicket(p5.http.zendesk)} (${p5.http.zendesk} total, ${p5.http.zendeskGets} GET)`, '≤ 0.1');
      row('P5', 'Connect requests per ticket', `${perTicket(p5.http.connect)} (${p5.http.connect} total)`, '—');
      row('P5', 'Temporal calls per ticket', `${perTicket(Object.values(p5.grpcCalls).reduce((a, b) => a + b, 0))} (${temporalCalls})`, 'no per-ticket query');
      row('P5', 'round duration', `${p5.ms.toFixed(0)} ms`, '—');
      log(`reconciler summary: ${JSON.stringify(p5.summary)}`);
      }

      const routes = (entries: RequestLogEntry[]) => {
        const by: Record<string, number> = {};
        for (const e of entries) by[e.route] = (by[e.route] ?? 0) + 1;
        return JSON.stringify(by);
      };
      log(`all Zendesk requests by route: ${routes(rig.zendesk.requests())}`);
      log(`all Connect requests by route: ${routes(rig.connect.requests())}`);
      log(`activities, standard lifecycle: ${JSON.stringify(s.activityNames)}`);
      log(`activities, duplicate: ${JSON.stringify(d.activityNames)}`);
      log(`activities, SOLVED timer: ${JSON.stringify(t.activityNames)}`);
    });
    if (PARTS.has('P2')) await freshdeskRow(row);

    if (PARTS.has('P6')) await withRig({ inProcessWorker: false }, async (rig) => {
      const worker = await forkWorker(rig);
      try {
        const { tickets, concurrency, latencyMs } = THROUGHPUT;
        log(`P6: ${tickets} lifecycles, ${concurrency} at a time, every remote request ${latencyMs} ms`);
        const bridge = await bridgeThroughput(rig, worker.pid!, THROUGHPUT, newId('p6'));
        log(`P6: the raw engine, the same ${tickets} lifecycles of five steps`);
        const raw = await rawThroughput(rig.env.client, { temporalAddress: rig.env.address, namespace: rig.env.namespace, taskQueue: `${rig.taskQueue}-raw` }, THROUGHPUT, newId('p6-raw'));
        const perMinute = (t: Throughput) => (t.completed / t.wallMs) * 60_000;
        const perCore = (t: Throughput) => (t.completed > 0 ? (60_000 * t.completed) / t.workerCpuMs : 0);
        const p = bridge.problems!;
        row('P6 throughput', `lifecycles (create, agent reply, user reply, solve, confirm), ${tickets} with ${concurrency} in flight, every remote request ${latencyMs} ms`,
          `${bridge.completed} / ${tickets} in ${(bridge.wallMs / 1000).toFixed(0)} s: ${perMinute(bridge).toFixed(0)} a minute; raw engine, five steps each: ${perMinute(raw).toFixed(0)} a minute`, '—');
        row('P6 throughput', 'worker CPU per lifecycle → lifecycles a minute per worker core',
          `${(bridge.workerCpuMs / Math.max(1, bridge.completed)).toFixed(0)} ms → ${perCore(bridge).toFixed(0)}; raw engine ${(raw.workerCpuMs / Math.max(1, raw.completed)).toFixed(0)} ms → ${perCore(raw).toFixed(0)}`, '—');
        row('P6 throughput', 'Temporal actions per lifecycle (median) / history events', `${bridge.actions!.median} / ${bridge.events}; raw engine ${raw.actions!.median} / ${raw.events}`, '—');
        row('P6 throughput', 'end state: lost / duplicated / echoed / stuck', `${p.lost} / ${p.duplicated} / ${p.echoed} / ${p.stuck}`, '0');
        log(`P6 actions per lifecycle by kind (mean): ${JSON.stringify(bridge.actions!.by)}; raw: ${JSON.stringify(raw.actions!.by)}`);
      } finally {
        await worker.stop();
      }
    });

    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    if (PARTS.has('P4')) {
    const p4 = await idleWorkerMemory(IDLE_STEPS, IDLE_BUDGET_MS);
    for (const step of p4.measured) {
      row('P4', `worker process (production worker half, WORKER_MAX_CACHED_WORKFLOWS=${DEFAULT_WORKER_MAX_CACHED_WORKFLOWS}) with ${step.mirrored} open idle tickets`,
        `RSS ${mib(step.mem.rss)}, heap used ${mib(step.mem.heapUsed)} (at 0 tickets: RSS ${mib(p4.before.rss)}, heap ${mib(p4.before.heapUsed)})`,
        step.asked >= 10_000 ? '≤ 1 GiB RSS at 10,000 (explicit cache bound)' : '—');
    }
    const skipped = IDLE_STEPS.filter((n) => !p4.measured.some((m) => m.asked === n));
    if (skipped.length > 0) row('P4', `worker with ${skipped.join(', ')} open idle tickets`, `not run: the ${IDLE_BUDGET_MS / 1000} s budget ran out`, '≤ 1 GiB RSS at 10,000 (explicit cache bound)');
    const among = p4.measured.at(-1)?.mirrored ?? 0;
    row('P4', `notification→sync latency, ticket not in the cache (fresh worker, user comment → Zendesk), among ${among} open`,
      `${p4.uncachedMs.toFixed(0)} ms (same ticket, cached: ${p4.cachedMs.toFixed(0)} ms)`, '≤ 1 s');
    }
  } finally {
    await server.stop();
  }

  const header = ['area', 'figure', 'measured', 'target'];
  const lines = [
    `ticket-bridge bench — ${new Date().toISOString()} — Temporal dev server ${server.cli.version} (in memory), ` +
      `node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, run took ${((Date.now() - started) / 1000).toFixed(0)} s`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...[...rows].sort((a, b) => a[0].slice(0, 2).localeCompare(b[0].slice(0, 2))).map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
