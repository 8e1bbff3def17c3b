/**
 * Replay safety: histories recorded from real runs of the ticket workflow must replay, unchanged,
 * against the current workflow code. A change that breaks this would break tickets in flight;
 * such a change needs `patched()` (and a new recording next to the old one), not a re-recording.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/worker';
import { bundleWorkflows } from '../harness';

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
  // The recording is the real flow, not an empty shell: it completed after syncing both ways.
  expect(history.events!.length).toBeGreaterThan(40);
  expect(history.events!.at(-1)!.workflowExecutionCompletedEventAttributes).toBeTruthy();
}, 60_000);
