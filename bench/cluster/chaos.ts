/**
 * What goes wrong in production, done to the running bridge and cluster while tickets flow, one
 * event at a time with a pause between: a deploy that replaces the workers one by one, a deploy
 * of new workflow code that replaces workers of an older build by the current one, old and new
 * overlapping (`versioned-deploy`: the load starts the workers from the old build), a worker
 * SIGKILLed, Temporal's history and frontend services restarted, an API SIGKILLed and
 * restarted, PostgreSQL stopped for 30 s (an API killed meanwhile, its inbox holding webhooks),
 * and the whole cluster stopped and started again. Each event is timed, and once the load is
 * over each gets its effect on the tickets: the longest pause in mirrored steps after it, and
 * the slowest step that was in flight when it began.
 */
import type { Lifecycle } from './lifecycle';
import type { BridgeProcess } from './processes';

export interface ChaosEvent {
  name: ChaosEventName;
  what: string;
  /** When it began and how long the action took (e.g. until the new worker was ready). */
  at: number;
  tookMs: number;
  /** The longest stretch without any mirrored step, from its start to 60 s after it ended. */
  pauseMs: number;
  /** The slowest step that had begun before the event and ended after it began. */
  slowestInFlightMs: number;
}

export interface ChaosOptions {
  /** The running workers (the array is kept current: a replaced worker leaves it). */
  workers: BridgeProcess[];
  startWorker(): Promise<BridgeProcess>;
  /** A worker of the current tree, for `versioned-deploy` (the others run an older build). */
  startNewBuildWorker?(): Promise<BridgeProcess>;
  /** How long an old and a new worker both poll in `versioned-deploy` before the old one stops. Default 30 s. */
  overlapMs?: number;
  apis: BridgeProcess[];
  startApi(index: number): Promise<BridgeProcess>;
  /** scripts/cluster.sh with these arguments (without blocking: the simulators live in this process). */
  cluster(...args: string[]): Promise<unknown>;
  /** The lifecycles finished so far (filled by the load as it goes). */
  lifecycles: readonly Lifecycle[];
  /** The load; events stop when it is over. */
  until: Promise<unknown>;
  log(line: string): void;
  /** Pause before the first event and between events. Default 40 s. */
  gapMs?: number;
  /** The events to run, in the plan's order. Default: all of them. */
  only?: readonly ChaosEventName[];
  /** How long PostgreSQL stays down (an API is SIGKILLed halfway). Default 30 s. */
  outageMs?: number;
  /** Told once the last event has run (or been skipped), before the load is over. */
  onPlanDone?(): void;
}

/** Every event of the plan, in the order they run. */
export const CHAOS_EVENTS = ['deploy', 'versioned-deploy', 'kill-worker', 'restart-history', 'restart-frontend', 'kill-api', 'stop-postgresql', 'restart-cluster'] as const;
export type ChaosEventName = (typeof CHAOS_EVENTS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The events that ran, with their effect, and those skipped because the load was over first. */
export async function runChaos(options: ChaosOptions): Promise<{ events: ChaosEvent[]; skipped: string[] }> {
  const { workers, log } = options;
  let over = false;
  void options.until.then(() => (over = true));

  const replaceWorker = async (how: 'SIGTERM' | 'SIGKILL') => {
    const old = workers.shift()!;
    const exit = how === 'SIGTERM' ? await old.stop() : await old.kill();
    log(`${old.name} exited (${exit}); starting its replacement`);
    await options.startWorker();
  };
  // New first, then the old one drains: both builds poll the queue meanwhile, as in a rolling deploy.
  const overlapMs = options.overlapMs ?? 30_000;
  const upgradeWorker = async () => {
    if (!options.startNewBuildWorker) throw new Error('versioned-deploy: the load started no worker of an older build');
    const old = workers[0]!;
    const next = await options.startNewBuildWorker();
    log(`${next.name} (new build) ready beside ${old.name} (old build); both poll for ${overlapMs / 1000} s`);
    await sleep(overlapMs);
    workers.splice(workers.indexOf(old), 1);
    log(`${old.name} exited (${await old.stop()})`);
  };
  const restartApi = async () => {
    const old = options.apis[0]!;
    await old.kill();
    await options.startApi(0);
  };
  const outageMs = options.outageMs ?? 30_000;
  const plan: [ChaosEventName, string, () => Promise<void>][] = [
    ['deploy', 'deploy, 1 of 2: SIGTERM the oldest worker, start a new one', () => replaceWorker('SIGTERM')],
    ['deploy', 'deploy, 2 of 2: SIGTERM the other old worker, start a new one', () => replaceWorker('SIGTERM')],
    ['versioned-deploy', `deploy of new workflow code, 1 of 2: a new-build worker, ${overlapMs / 1000} s beside the old ones, then SIGTERM the oldest`, upgradeWorker],
    ['versioned-deploy', `deploy of new workflow code, 2 of 2: a new-build worker, ${overlapMs / 1000} s beside the old one, then SIGTERM it`, upgradeWorker],
    ['kill-worker', 'SIGKILL a worker, start a replacement', () => replaceWorker('SIGKILL')],
    ['restart-history', 'restart Temporal history', async () => void (await options.cluster('restart', 'history'))],
    ['restart-frontend', 'restart Temporal frontend', async () => void (await options.cluster('restart', 'frontend'))],
    ['kill-api', 'SIGKILL an API, start it again (same inbox)', restartApi],
    [
      'stop-postgresql',
      `stop PostgreSQL for ${outageMs / 1000} s; ${outageMs / 2000} s in, SIGKILL an API (webhooks queued in its inbox) and start it again`,
      async () => {
        await options.cluster('stop', 'postgresql');
        await sleep(outageMs / 2);
        await restartApi();
        await sleep(outageMs / 2);
        await options.cluster('up');
      },
    ],
    [
      'restart-cluster',
      'stop the whole cluster (Temporal and PostgreSQL) and start it again',
      async () => {
        await options.cluster('down');
        await options.cluster('up');
      },
    ],
  ];

  const events: Omit<ChaosEvent, 'pauseMs' | 'slowestInFlightMs'>[] = [];
  const skipped: string[] = [];
  // Let the load reach a steady state first.
  await sleep(options.gapMs ?? 40_000);
  for (const [name, what, act] of plan) {
    if (options.only && !options.only.includes(name)) continue;
    if (over) {
      log(`chaos: load over, skipped: ${what}`);
      skipped.push(what);
      continue;
    }
    log(`chaos: ${what}`);
    const at = Date.now();
    await act();
    events.push({ name, what, at, tookMs: Date.now() - at });
    log(`chaos: done in ${Math.round((Date.now() - at) / 1000)} s`);
    await Promise.race([sleep(options.gapMs ?? 40_000), options.until]);
  }
  options.onPlanDone?.();
  await options.until;
  return { events: events.map((e) => ({ ...e, ...effectOf(e.at, e.at + e.tookMs, options.lifecycles) })), skipped };
}

function effectOf(start: number, end: number, lifecycles: readonly Lifecycle[]): Pick<ChaosEvent, 'pauseMs' | 'slowestInFlightMs'> {
  const steps = lifecycles.flatMap((lc) => lc.steps);
  const windowEnd = end + 60_000;
  const completions = steps
    .map((s) => s.at + s.ms)
    .filter((t) => t >= start && t <= windowEnd)
    .sort((a, b) => a - b);
  let pauseMs = 0;
  let previous = start;
  for (const t of completions) {
    pauseMs = Math.max(pauseMs, t - previous);
    previous = t;
  }
  const slowestInFlightMs = Math.max(0, ...steps.filter((s) => s.at <= start && s.at + s.ms >= start).map((s) => s.ms));
  return { pauseMs, slowestInFlightMs };
}
