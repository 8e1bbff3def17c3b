/**
 * What a deploy of new workflow code did to the tickets that lived through it, read from every
 * run of every ticket's history: which build ran each workflow task and each activity (a task's
 * worker identity is `<pid>@<host>`, the SDK's default, and the load knows each worker's pid and
 * build), which runs recorded a marker of a patch the old build does not know, and every workflow
 * task that failed (a nondeterminism error is one: the old code replaying history the new code
 * wrote). A failed workflow task is retried by Temporal, so the end-state checks may still pass:
 * this is where it shows.
 *
 * The two hazards of a rolling deploy with patches (docs/deploying.md):
 * - a workflow task of a run that a NEW worker has marked with a new patch, then run by an OLD
 *   worker (sticky queue timed out, cache evicted): the old code does not know the patch;
 * - an activity scheduled by the NEW workflow code and run by an OLD worker (activities go to any
 *   worker polling the queue): the old activity may not know the new input fields.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { allRuns, type History } from '../histories';
import type { Lifecycle } from './lifecycle';

export type Build = 'old' | 'new';

export interface DeployCheck {
  tickets: number;
  /** Tickets with workflow tasks run by both builds. */
  onBothBuilds: number;
  /** Tickets with a marker of a patch only the new build knows. */
  withNewPatch: number;
  /** Tickets with a workflow task run by an old worker after a new patch's marker in the same run. */
  oldTaskAfterNewMarker: number;
  /** Activities scheduled by a new worker's workflow task and run by an old worker, and in how many tickets. */
  newActivitiesOnOldWorkers: { activities: number; tickets: number; types: string[] };
  /**
   * WorkflowTaskFailed events that are replay failures (nondeterminism, a worker's unhandled
   * failure, anything not in `SERVER_RACES`): how many, in how many tickets, the distinct causes.
   */
  failedWorkflowTasks: { events: number; tickets: number; causes: string[] };
  /** WorkflowTaskFailed events of `SERVER_RACES`: the server's answer to a race, retried at once. */
  raceRejections: { events: number; tickets: number };
  /** Worker log lines that speak of nondeterminism (TMPRL1100). */
  nondeterminismLogLines: number;
}

/** The identity a worker process polls with (the SDK's default: nothing in src/ sets another). */
export const workerIdentity = (pid: number) => `${pid}@${hostname()}`;

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
/**
 * Causes the server gives a task it refuses for news, not the worker: UNHANDLED_COMMAND is a
 * signal (a webhook) that arrived while the task completed the workflow, which the worker then
 * runs again with the signal. Any workflow that completes while signals arrive sees it, deploy or
 * not; it says nothing about replay.
 */
const SERVER_RACES: ReadonlySet<number> = new Set([Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE]);

const decoded = (data: Uint8Array | null | undefined) => (data ? Buffer.from(data).toString('utf8') : '');

/** The findings for one run's history; `buildOf` maps a worker identity to its build. */
export function checkRun(history: History, buildOf: (identity: string) => Build | undefined, newPatches: readonly string[]) {
  const found = { builds: new Set<Build>(), newMarker: false, oldAfterMarker: false, newActivitiesOnOld: [] as string[], failed: [] as string[], races: 0 };
  const taskBuild = new Map<number, Build | undefined>(); // WorkflowTaskCompleted event id → build
  const scheduled = new Map<number, { type: string; by: Build | undefined }>(); // ActivityTaskScheduled event id → …
  let markerSeen = false;
  for (const e of history.events ?? []) {
    const id = Number(e.eventId);
    if (e.workflowTaskStartedEventAttributes) {
      const build = buildOf(e.workflowTaskStartedEventAttributes.identity ?? '');
      if (build) found.builds.add(build);
      if (build === 'old' && markerSeen) found.oldAfterMarker = true;
    } else if (e.workflowTaskCompletedEventAttributes) {
      taskBuild.set(id, buildOf(e.workflowTaskCompletedEventAttributes.identity ?? ''));
    } else if (e.markerRecordedEventAttributes?.markerName === 'core_patch') {
      const details = Object.values(e.markerRecordedEventAttributes.details ?? {}).flatMap((p) => (p.payloads ?? []).map((x) => decoded(x.data)));
      if (newPatches.some((patch) => details.some((d) => d.includes(patch)))) markerSeen = found.newMarker = true;
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      scheduled.set(id, { type: a.activityType?.name ?? '?', by: taskBuild.get(Number(a.workflowTaskCompletedEventId)) });
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      const s = scheduled.get(Number(a.scheduledEventId));
      if (s?.by === 'new' && buildOf(a.identity ?? '') === 'old') found.newActivitiesOnOld.push(s.type);
    } else if (e.workflowTaskFailedEventAttributes) {
      const f = e.workflowTaskFailedEventAttributes;
      const cause = Number(f.cause ?? 0);
      if (SERVER_RACES.has(cause)) found.races++;
      else found.failed.push(`${(Cause[cause] ?? String(cause)).replace('WORKFLOW_TASK_FAILED_CAUSE_', '')} on ${buildOf(f.identity ?? '') ?? 'an unknown'} worker: ${(f.failure?.message ?? '').slice(0, 160)}`);
    }
  }
  return found;
}

export async function checkDeploy(options: {
  client: Client;
  workflowIds: readonly string[];
  /** Every worker of the run, by pid. */
  builds: ReadonlyMap<number, Build>;
  newPatches: readonly string[];
  workerLogs: readonly string[];
}): Promise<DeployCheck> {
  const byIdentity = new Map([...options.builds].map(([pid, build]) => [workerIdentity(pid), build]));
  const buildOf = (identity: string) => byIdentity.get(identity);
  const result: DeployCheck = {
    tickets: options.workflowIds.length,
    onBothBuilds: 0,
    withNewPatch: 0,
    oldTaskAfterNewMarker: 0,
    newActivitiesOnOldWorkers: { activities: 0, tickets: 0, types: [] },
    failedWorkflowTasks: { events: 0, tickets: 0, causes: [] },
    raceRejections: { events: 0, tickets: 0 },
    nondeterminismLogLines: 0,
  };
  const activityTypes = new Set<string>();
  const causes = new Set<string>();
  for (const workflowId of options.workflowIds) {
    const runs = (await allRuns(options.client, workflowId)).map((h) => checkRun(h, buildOf, options.newPatches));
    if (new Set(runs.flatMap((r) => [...r.builds])).size === 2) result.onBothBuilds++;
    if (runs.some((r) => r.newMarker)) result.withNewPatch++;
    if (runs.some((r) => r.oldAfterMarker)) result.oldTaskAfterNewMarker++;
    const onOld = runs.flatMap((r) => r.newActivitiesOnOld);
    if (onOld.length > 0) result.newActivitiesOnOldWorkers.tickets++;
    result.newActivitiesOnOldWorkers.activities += onOld.length;
    onOld.forEach((t) => activityTypes.add(t));
    const failed = runs.flatMap((r) => r.failed);
    if (failed.length > 0) result.failedWorkflowTasks.tickets++;
    result.failedWorkflowTasks.events += failed.length;
    failed.forEach((c) => causes.add(c));
    const races = runs.reduce((n, r) => n + r.races, 0);
    if (races > 0) result.raceRejections.tickets++;
    result.raceRejections.events += races;
  }
  result.newActivitiesOnOldWorkers.types = [...activityTypes].sort();
  result.failedWorkflowTasks.causes = [...causes];
  for (const file of options.workerLogs) {
    result.nondeterminismLogLines += readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /nondetermin|TMPRL1100/i.test(line)).length;
  }
  return result;
}

/** Lifecycles begun before `start` and whose last step showed after `end`. */
function spanning(lifecycles: readonly Lifecycle[], start: number, end: number): Set<string> {
  return new Set(
    lifecycles
      .filter((lc) => {
        const first = lc.steps[0];
        const last = lc.steps.at(-1);
        return first !== undefined && last !== undefined && first.at < start && last.at + last.ms > end;
      })
      .map((lc) => lc.id),
  );
}

/**
 * Tickets in flight through the whole deploy, and through at least one of its worker
 * replacements (begun before the new worker started, last step after the old one exited).
 */
export function inFlightAcross(lifecycles: readonly Lifecycle[], steps: readonly { at: number; tookMs: number }[]): { whole: number; aStep: number } {
  if (steps.length === 0) return { whole: 0, aStep: 0 };
  const aStep = new Set(steps.flatMap((s) => [...spanning(lifecycles, s.at, s.at + s.tookMs)]));
  return { whole: spanning(lifecycles, steps[0]!.at, steps.at(-1)!.at + steps.at(-1)!.tookMs).size, aStep: aStep.size };
}

/** The report's rows for the deploy (markdown table rows, as the rest of the report). */
export function deployReportRows(check: DeployCheck, deploy: { from: string; newPatches: readonly string[]; inFlight: { whole: number; aStep: number }; overlapS: number }): string[] {
  const f = check.failedWorkflowTasks;
  const a = check.newActivitiesOnOldWorkers;
  return [
    `| deploy of new workflow code: from ${deploy.from} to this tree (new patches: ${deploy.newPatches.join(', ')}), old and new workers overlapping ${deploy.overlapS} s per worker | ${check.tickets} tickets checked |`,
    `| … tickets in flight through the whole deploy / through one worker replacement (begun before, last step after) | ${deploy.inFlight.whole} / ${deploy.inFlight.aStep} |`,
    `| … tickets run by both builds / with a new patch's marker | ${check.onBothBuilds} / ${check.withNewPatch} |`,
    `| … tickets with a workflow task on an OLD worker after a NEW worker's patch marker | ${check.oldTaskAfterNewMarker} |`,
    `| … activities scheduled by the new code, run by an old worker (tickets) | ${a.activities} (${a.tickets})${a.types.length > 0 ? `: ${a.types.join(', ')}` : ''} |`,
    `| … failed workflow tasks: replay failures (tickets) / worker log lines about nondeterminism | ${f.events > 0 ? `**${f.events}** (${f.tickets}): ${f.causes.join('; ')}` : '0 (0)'} / ${check.nondeterminismLogLines} |`,
    `| … failed workflow tasks: a signal arriving as the workflow completed (UnhandledCommand, run again at once; not replay) (tickets) | ${check.raceRejections.events} (${check.raceRejections.tickets}) |`,
  ];
}
