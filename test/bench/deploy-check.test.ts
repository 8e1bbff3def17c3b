/**
 * The deploy of new workflow code in the cluster load (bench/cluster/builds.ts, deploy-check.ts):
 * the old build is a real commit of this repository written outside the work tree, and the
 * history check finds a new patch's marker, an old worker's task after it, an activity of the new
 * code on an old worker and a failed workflow task in a real sealed history.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/worker';
import { bundleWorkflows } from '../harness';
import { commitBeforeNewestPatch, lockDifferences, materialiseOldBuild, patchIds } from '../../bench/cluster/builds';
import { checkRun, type Build } from '../../bench/cluster/deploy-check';
import type { History } from '../../bench/histories';
import { historyFiles, historyPath, REPO_ROOT } from '../support/workflow-code';

const DEFINITIONS = 'src/workflows/definitions.ts';
const git = (...args: string[]) => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' }).trim();

describe('the old build of a deploy', () => {
  const current = patchIds(readFileSync(join(REPO_ROOT, DEFINITIONS), 'utf8'));

  it('is by default the commit before the newest patch id appeared', () => {
    const commit = commitBeforeNewestPatch(REPO_ROOT);
    const before = patchIds(git('show', `${commit}:${DEFINITIONS}`));
    // Its children (a merge may have several): one of them brought the patch.
    const children = git('rev-list', '--parents', '--ancestry-path', `${commit}..HEAD`)
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, ...parents]) => parents.includes(commit))
      .map(([child]) => child!);
    expect(current.length).toBeGreaterThan(0);
    expect(before).not.toContain(current.at(-1));
    expect(children.some((child) => patchIds(git('show', `${child}:${DEFINITIONS}`)).includes(current.at(-1)!))).toBe(true);
  });

  it('is that commit’s tree outside the work tree, with the dependencies linked, and is removed afterwards', () => {
    const commit = commitBeforeNewestPatch(REPO_ROOT);
    const build = materialiseOldBuild(REPO_ROOT, commit);
    try {
      expect(build.dir.startsWith(realpathSync(REPO_ROOT))).toBe(false);
      expect(readFileSync(join(build.dir, DEFINITIONS), 'utf8')).toBe(git('show', `${commit}:${DEFINITIONS}`) + '\n');
      expect(realpathSync(join(build.dir, 'node_modules'))).toBe(realpathSync(join(REPO_ROOT, 'node_modules')));
      expect(build.newPatches).toContain(current.at(-1));
      expect(build.newPatches).not.toContain(current[0]);
    } finally {
      build.remove();
    }
    expect(existsSync(build.dir)).toBe(false);
    // The repository's own dependencies are untouched by the removal.
    expect(existsSync(join(REPO_ROOT, 'node_modules', '@temporalio', 'worker'))).toBe(true);
  });

  it('is refused when its dependencies are not this tree’s (it would run on this tree’s node_modules), not when this tree only added some', () => {
    const lock = (packages: Record<string, string>) =>
      JSON.stringify({ packages: { '': { name: 'ticket-bridge' }, ...Object.fromEntries(Object.entries(packages).map(([p, v]) => [`node_modules/${p}`, { version: v }])) } });
    const old = lock({ express: '5.1.0', zod: '4.6.7' });
    expect(lockDifferences(old, lock({ express: '5.1.0', zod: '4.6.7', '@grafana/schema': '13.2.3' }))).toEqual([]);
    expect(lockDifferences(old, lock({ express: '5.2.0', zod: '4.6.7' }))).toEqual(['express@5.1.0']);
    expect(lockDifferences(old, lock({ zod: '4.6.7' }))).toEqual(['express@5.1.0']);
    // A real commit whose lock pinned another version of something is refused the same way.
    const lockChanges = git('log', '--format=%H', '--', 'package-lock.json').split('\n');
    const current = readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8');
    const differing = lockChanges.map((c) => `${c}^`).find((c) => {
      try {
        return lockDifferences(git('show', `${c}:package-lock.json`), current).length > 0;
      } catch {
        return false; // the first commit has no parent, or no lock
      }
    });
    expect(differing).toBeDefined();
    expect(() => materialiseOldBuild(REPO_ROOT, differing!)).toThrow(/package-lock.json differs/);
  });

  it('is refused when its workflow code has every patch of the current tree (no behaviour change to deploy)', () => {
    expect(() => materialiseOldBuild(REPO_ROOT, 'HEAD')).toThrow(/every patch of the current tree/);
  });
});

describe('the history check of a deploy', () => {
  // A real run of the current code: one worker ran every task, and it recorded rules 1.2's marker.
  const sealed = (): History => historyFromJSON(JSON.parse(readFileSync(historyPath('lean-one-write-per-side.json'), 'utf8')));
  const identities = (h: History) => [...new Set((h.events ?? []).map((e) => e.workflowTaskStartedEventAttributes?.identity).filter((i): i is string => !!i))];
  const newPatches = ['rules-1.2-lean-sync'];

  it('sees the new patch marker, and nothing wrong when the new build ran every task', () => {
    const history = sealed();
    const [identity] = identities(history);
    const found = checkRun(history, (i) => (i === identity ? 'new' : undefined), newPatches);
    expect(found.newMarker).toBe(true);
    expect([...found.builds]).toEqual(['new']);
    expect(found.oldAfterMarker).toBe(false);
    expect(found.newActivitiesOnOld).toEqual([]);
    expect(found.failed).toEqual([]);
    // A patch the history does not carry is not found.
    expect(checkRun(history, () => 'new', ['rules-9-not-there']).newMarker).toBe(false);
  });

  it('finds an old worker’s workflow task and activity after the new code marked the run, and a failed workflow task', () => {
    const history = sealed();
    const events = history.events!;
    const marker = events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    const laterTask = events.findIndex((e, i) => i > marker && e.workflowTaskStartedEventAttributes);
    const laterActivity = events.findIndex((e, i) => i > marker && e.activityTaskStartedEventAttributes);
    expect(Math.min(marker, laterTask, laterActivity)).toBeGreaterThanOrEqual(0);
    events[laterTask]!.workflowTaskStartedEventAttributes!.identity = 'old-worker';
    events[laterActivity]!.activityTaskStartedEventAttributes!.identity = 'old-worker';
    events.push({ workflowTaskFailedEventAttributes: { cause: 24, identity: 'old-worker', failure: { message: '[TMPRL1100] Nondeterminism error' } } });
    const buildOf = (i: string): Build | undefined => (i === 'old-worker' ? 'old' : 'new');
    const found = checkRun(history, buildOf, newPatches);
    expect(found.oldAfterMarker).toBe(true);
    expect([...found.builds].sort()).toEqual(['new', 'old']);
    const scheduledId = Number(events[laterActivity]!.activityTaskStartedEventAttributes!.scheduledEventId);
    const activityType = events.find((e) => Number(e.eventId) === scheduledId)?.activityTaskScheduledEventAttributes?.activityType?.name;
    expect(activityType).toEqual(expect.any(String));
    expect(found.newActivitiesOnOld).toEqual([activityType]);
    expect(found.failed).toEqual([expect.stringMatching(/^NON_DETERMINISTIC_ERROR on old worker: \[TMPRL1100\] Nondeterminism/)]);
    expect(found.races).toBe(0);
  });

  it('tells a task refused for a signal that arrived as the workflow completed (UnhandledCommand) from a replay failure', () => {
    const history = sealed();
    history.events!.push({ workflowTaskFailedEventAttributes: { cause: 1, identity: 'old-worker', failure: { message: 'UnhandledCommand' } } });
    const found = checkRun(history, (i) => (i === 'old-worker' ? 'old' : 'new'), newPatches);
    expect(found.races).toBe(1);
    expect(found.failed).toEqual([]);
  });
});

/**
 * What an old worker does with a task of a run the new code has marked (the hazard of old and
 * new workers overlapping): it replays the history with the old code, which does not know the
 * marker, and fails the workflow task as nondeterministic. Temporal retries the task (the bridge
 * fails tasks, never workflows, on nondeterminism), so it is lost to nobody once a new worker
 * takes it; but it fails every time an old worker does.
 */
describe('a history the new code marked, replayed by the old build', () => {
  const commit = commitBeforeNewestPatch(REPO_ROOT);
  let build: ReturnType<typeof materialiseOldBuild>;
  beforeAll(() => {
    build = materialiseOldBuild(REPO_ROOT, commit);
  });
  afterAll(() => build.remove());

  const replay = async (workflowsPath: string, file: string) => {
    const history = historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await bundleWorkflows(workflowsPath) }, [{ workflowId: file, history }])) results.push(r);
    return results[0]!;
  };

  it('fails as nondeterministic on the new patch’s marker, while the old build replays its own histories', async () => {
    const oldWorkflows = join(build.dir, 'src', 'workflows', 'index.ts');
    // Control: the old bundle works (its own sealed histories replay), so the failure below is the marker's.
    const own = readdirSync(join(build.dir, 'test', 'replay', 'histories')).filter((f) => f.endsWith('.json') && f !== 'manifest.json');
    expect(own.length).toBeGreaterThan(0);
    expect((await replay(oldWorkflows, join(build.dir, 'test', 'replay', 'histories', own[0]!))).error).toBeUndefined();

    // A sealed history the new code recorded with its newest patch (the marker's payload, as stored).
    const marker = Buffer.from(JSON.stringify({ id: build.newPatches.at(-1), deprecated: false })).toString('base64');
    const marked = historyFiles()
      .map(historyPath)
      .find((file) => readFileSync(file, 'utf8').includes(marker));
    if (marked === undefined) throw new Error(`no sealed history carries the marker of ${build.newPatches.at(-1)}`);
    const result = await replay(oldWorkflows, marked);
    expect(result.error).toBeInstanceOf(DeterminismViolationError);
    // And the new code replays it (the replay guard checks every sealed history the same way).
    expect((await replay(WORKFLOWS_PATH, marked)).error).toBeUndefined();
  }, 180_000);
});
