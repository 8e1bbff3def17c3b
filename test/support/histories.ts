/**
 * Recording workflow histories for the replay tests (test/replay): a bridge test calls
 * `recordHistory(name, handle)` at the end of a path worth keeping, and
 * `RECORD_HISTORIES=1 npx jest <that test>` writes test/replay/histories/<name>.json from the
 * real server. Without the variable it does nothing, so ordinary runs never rewrite fixtures.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(__dirname, '..', 'replay', 'histories');

/** Writes the history of `handle`'s run (pin a run with `getHandle(id, runId)`). */
export async function recordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await handle.fetchHistory();
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), historyToJSON(history));
}
