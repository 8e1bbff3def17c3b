/**
 * Replay safety: histories recorded on the real Temporal server from runs of the ticket workflow
 * must replay, unchanged, against the current workflow code. A change that breaks this would
 * break tickets in flight; such a change needs `patched()` (and a new recording next to the old
 * ones), never a re-recording. The histories were first recorded on sync rules 1.0 (the baseline:
 * no patch ids); test/replay/histories/manifest.json seals them with the workflow code they were
 * recorded on, and this test fails when that code changes without a new sealed history
 * (docs/sync-rules.md says how: `RECORD_HISTORIES=1`, then `npm run replay:seal`).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/worker';
import { bundleWorkflows } from '../harness';
import { activityTypesIn } from '../support/histories';
import { fileHash, historyFiles, historyPath, readManifest, REPO_ROOT, workflowCodeHash, workflowSourceFiles } from '../support/workflow-code';

const files = historyFiles();
const manifest = readManifest();

test('there are recorded histories to replay, sealed in the manifest', () => {
  expect(files.length).toBeGreaterThan(0);
  expect(manifest).not.toBeNull();
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(historyPath(file), 'utf8')));
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
  // Activities, regular or local (reads are local: a marker each).
  expect(activityTypesIn(history).length).toBeGreaterThan(2);
  const last = history.events!.at(-1)!;
  expect(last.workflowExecutionCompletedEventAttributes ?? last.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
}, 60_000);

test('every history is sealed as recorded: none changed, none unsealed', () => {
  expect(Object.keys(manifest!.histories).sort()).toEqual(files);
  for (const file of files) expect({ file, hash: fileHash(historyPath(file)) }).toEqual({ file, hash: manifest!.histories[file] });
});

test('the workflow code is the code the histories were sealed on (a change needs a patch id and a new history)', () => {
  const code = workflowCodeHash();
  if (code !== manifest!.workflowCode) {
    throw new Error(
      'The workflow code changed since the replay histories were sealed. Give the change a patched() id, record a history of ' +
        'the changed path (RECORD_HISTORIES=1 npx jest <its test>), then run `npm run replay:seal` (docs/sync-rules.md).',
    );
  }
});

test('the guard tells a code change from a comment change (on a copy of the workflow sources)', () => {
  const copy = mkdtempSync(join(tmpdir(), 'workflow-code-'));
  try {
    for (const file of workflowSourceFiles()) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      copyFileSync(join(REPO_ROOT, file), join(copy, file));
    }
    const sealed = workflowCodeHash(copy);
    expect(sealed).toBe(workflowCodeHash());
    const lifecycle = join(copy, 'src', 'domain', 'lifecycle.ts');
    const original = readFileSync(lifecycle, 'utf8');
    writeFileSync(lifecycle, `// a comment changes nothing\n${original.replace('/**', '/** reworded:')}`);
    expect(workflowCodeHash(copy)).toBe(sealed);
    writeFileSync(lifecycle, original.replace("plan.crmStatus('closed');\n  plan.sourceStatus('CLOSED');", "plan.sourceStatus('CLOSED');\n  plan.crmStatus('closed');"));
    expect(workflowCodeHash(copy)).not.toBe(sealed);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('the guard sees the workflow code: the bundle entry, the sync, the lifecycle, not the activities', () => {
  const sources = workflowSourceFiles();
  expect(sources).toEqual(expect.arrayContaining(['src/workflows/index.ts', 'src/workflows/ticket-sync.ts', 'src/domain/lifecycle.ts']));
  expect(sources).not.toContain('src/activities/create-activities.ts');
});

test('every path has a recording: timer, updates, continue-as-new, white-label, delete, "not resolved", assignee, adoption, refusals, 404s, pause', () => {
  for (const path of ['solved-timer', 'after-an-update', 'continue-as-new', 'whitelabel', 'deleted', 'not-resolved', 'assignee', 'adopted', 'refused', '404', 'paused']) {
    expect(files.filter((f) => f.includes(path))).not.toEqual([]);
  }
});
