/**
 * Replay safety: histories recorded on the real Temporal server from runs of the ticket workflow
 * must replay, unchanged, against the current workflow code. A change that breaks this would
 * break tickets in flight; such a change needs `patched()` (and a new recording next to the old
 * one), not a re-recording. The `v2-*` histories carry the `sync-v2` marker; the others were
 * recorded before it and replay on the v1 rules. Record with `RECORD_HISTORIES=1` (see
 * test/support/histories.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/worker';
import { SYNC_V2_PATCH, SYNC_V3_PATCH } from '../../src/workflows/ticket-workflow';
import { bundleWorkflows } from '../harness';
import { activityTypesIn } from '../support/histories';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  const results = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await bundleWorkflows(WORKFLOWS_PATH) },
    [{ workflowId: file, history }],
  )) {
    results.push(result);
  }
  expect(results).toHaveLength(1);
  expect(results[0].error).toBeUndefined();
  // The recording is a real flow, not an empty shell: it ran to its end (completed, or handed
  // over to a new run) after syncing.
  expect(history.events!.length).toBeGreaterThan(20);
  // Activities, regular or local (v3 reads are local: a marker each).
  expect(activityTypesIn(history).length).toBeGreaterThan(2);
  const last = history.events!.at(-1)!;
  expect(last.workflowExecutionCompletedEventAttributes ?? last.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
}, 60_000);

/** The patch ids a recorded history's `core_patch` markers carry. */
function patchesIn(file: string): string[] {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  return history.events!.flatMap((e) => {
    const attrs = e.markerRecordedEventAttributes;
    if (attrs?.markerName !== 'core_patch') return [];
    const payload = attrs.details?.['patch-data']?.payloads?.[0];
    return payload?.data ? [(JSON.parse(Buffer.from(payload.data).toString('utf8')) as { id: string }).id] : [];
  });
}

test.each(files)('%s follows the sync rules its name says (v2-* carry sync-v2, v3-* sync-v2 and sync-v3, the others neither)', (file) => {
  const patches = patchesIn(file);
  expect(patches.includes(SYNC_V2_PATCH)).toBe(file.startsWith('v2-') || file.startsWith('v3-'));
  expect(patches.includes(SYNC_V3_PATCH)).toBe(file.startsWith('v3-'));
});

test('every path has a v3 recording: timer, updates, continue-as-new, white-label, delete, "not resolved", assignee, adoption', () => {
  const v3 = files.filter((f) => f.startsWith('v3-'));
  for (const path of ['solved-timer', 'after-an-update', 'continue-as-new', 'whitelabel', 'deleted', 'not-resolved', 'assignee', 'adopted']) {
    expect(v3.filter((f) => f.includes(path))).not.toEqual([]);
  }
});
