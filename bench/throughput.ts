/**
 * P6 of bench/report.ts: whole lifecycles, many tickets at once, the remotes at a realistic
 * latency; and the raw engine doing the same number of steps, in the same run.
 *
 *  - The bridge: `tickets` Connect tickets, `concurrency` at a time, each through the lifecycle of
 *    the cluster load (bench/cluster/lifecycle.ts: the user creates, the agent replies, the user
 *    replies, the agent solves, the user confirms; each step waits until it shows on the other
 *    side), through the rig's API, on the production worker in a process of its own; then every
 *    ticket checked on both sides and in Temporal (lost, duplicated, echoed, stuck).
 *  - The raw engine: the same number of lifecycles and steps on a bare workflow in a worker
 *    process of its own (bench/raw-worker-process.ts): a start, then five updates, each running one
 *    activity that takes as long as one remote request.
 *
 * A worker's CPU is read from /proc (its own process), so "lifecycles per minute per worker core"
 * is 60 s over the worker CPU one lifecycle costs: what one core, fully used, would carry.
 */
import type { Client } from '@temporalio/client';
import { ticketWorkflowId } from '../src/domain/ticket';
import type { BridgeRig } from '../test/support/bridge-rig';
import { billableActions, rejectedUpdates, zendeskDeliveriesOf } from './actions';
import { checkTicket, runLifecycle, type Lifecycle, type ProblemKind } from './cluster/lifecycle';
import { cpuSecondsOf } from './cluster/processes';
import { allRuns } from './histories';
import { forkReady, median, pool } from './runner';
import type { RawWorkerSpec } from './raw-worker-process';
import { stepUpdate } from './roundtrip-workflow';

export interface ThroughputOptions {
  tickets: number;
  concurrency: number;
  /** Every request to each remote waits this long first. */
  latencyMs: number;
}

export interface Throughput {
  completed: number;
  wallMs: number;
  workerCpuMs: number;
  /** Bridge only. */
  problems?: Record<ProblemKind, number>;
  actions?: { median: number; by: Record<string, number> };
  events?: number;
}

const STEPS = 5;

/** The bridge's lifecycles; `workerPid` is the forked production worker polling the rig's task queue. */
export async function bridgeThroughput(rig: BridgeRig, workerPid: number, options: ThroughputOptions, tag: string): Promise<Throughput> {
  for (const sim of [rig.connect, rig.zendesk]) sim.fault({ match: '*', kind: 'latency', delayMs: options.latencyMs });
  const lifecycles: Lifecycle[] = [];
  const cpuBefore = cpuSecondsOf(workerPid) ?? 0;
  const started = performance.now();
  await pool(options.tickets, options.concurrency, async (i) => {
    lifecycles.push(await runLifecycle({ connect: rig.connect, zendesk: rig.zendesk, id: `${tag}-${i}`, stepTimeoutMs: 120_000 }));
  });
  const wallMs = performance.now() - started;
  // The last steps' echoes and completions are the worker's work too.
  const settleUntil = Date.now() + 60_000;
  const verdicts = [];
  for (const lifecycle of lifecycles) verdicts.push(await checkTicket({ connect: rig.connect, zendesk: rig.zendesk, client: rig.env.client, lifecycle, settleUntil }));
  const workerCpuMs = ((cpuSecondsOf(workerPid) ?? cpuBefore) - cpuBefore) * 1000;
  const problems: Record<ProblemKind, number> = { lost: 0, duplicated: 0, echoed: 0, stuck: 0 };
  for (const v of verdicts) for (const p of v.problems) problems[p.kind]++;

  const perTicket = await Promise.all(lifecycles.map((lc) => ticketActions(rig, lc)));
  const by: Record<string, number> = {};
  for (const t of perTicket) for (const [kind, n] of Object.entries(t.by)) by[kind] = (by[kind] ?? 0) + n / perTicket.length;
  return {
    completed: lifecycles.filter((lc) => lc.completed).length,
    wallMs,
    workerCpuMs,
    problems,
    actions: { median: median(perTicket.map((t) => t.total)), by },
    events: median(perTicket.map((t) => t.events)),
  };
}

/** One ticket's billable actions: its histories, and the Zendesk events its workflow refused as known (rejected updates). */
async function ticketActions(rig: BridgeRig, lc: Lifecycle) {
  const histories = await allRuns(rig.env.client, ticketWorkflowId('connect', lc.id));
  const actions = billableActions(histories, lc.zendeskId === null ? 0 : rejectedUpdates(zendeskDeliveriesOf(rig.zendesk, lc.zendeskId)));
  return { ...actions, events: histories.reduce((a, h) => a + (h.events?.length ?? 0), 0) };
}

/** The raw engine's lifecycles on `client`, in a worker process of its own on `taskQueue`. */
export async function rawThroughput(client: Client, spec: Omit<RawWorkerSpec, 'activityMs'>, options: ThroughputOptions, tag: string): Promise<Throughput> {
  const { child, stop } = await forkReady('raw-worker-process.ts', {
    BENCH_RAW_WORKER_SPEC: JSON.stringify({ ...spec, activityMs: options.latencyMs } satisfies RawWorkerSpec),
  });
  try {
    const cpuBefore = cpuSecondsOf(child.pid!) ?? 0;
    let completed = 0;
    const started = performance.now();
    await pool(options.tickets, options.concurrency, async (i) => {
      const handle = await client.workflow.start('rawLifecycle', { taskQueue: spec.taskQueue, workflowId: `${tag}-${i}`, args: [STEPS] });
      for (let step = 0; step < STEPS; step++) await handle.executeUpdate(stepUpdate, { args: [`step ${step}`] });
      await handle.result();
      completed++;
    });
    const wallMs = performance.now() - started;
    const workerCpuMs = ((cpuSecondsOf(child.pid!) ?? cpuBefore) - cpuBefore) * 1000;
    const histories = await Promise.all(Array.from({ length: options.tickets }, (_, i) => allRuns(client, `${tag}-${i}`)));
    const counted = histories.map((h) => billableActions(h));
    return {
      completed,
      wallMs,
      workerCpuMs,
      actions: { median: median(counted.map((a) => a.total)), by: counted[0]?.by ?? {} },
      events: median(histories.map((h) => h.reduce((a, run) => a + (run.events?.length ?? 0), 0))),
    };
  } finally {
    await stop();
  }
}
