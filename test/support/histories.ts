/**
 * Recording workflow histories for the replay tests (test/replay): a bridge test calls
 * `recordHistory(name, handle)` at the end of a path worth keeping, and
 * `RECORD_HISTORIES=1 npx jest <that test>` writes test/replay/histories/<name>.json from the
 * real server. Without the variable it does nothing, so ordinary runs never rewrite fixtures.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(__dirname, '..', 'replay', 'histories');

/** Writes the history of `handle`'s run (pin a run with `getHandle(id, runId)`). */
export async function recordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await handle.fetchHistory();
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), historyToJSON(history));
}

/**
 * The activities a history ran, in order: regular ones from their scheduled events, local ones
 * from their markers (`core_local_activity`, whose `data` detail names the activity type).
 */
export function activityTypesIn(history: { events?: temporal.api.history.v1.IHistoryEvent[] | null }): { type: string; local: boolean }[] {
  return (history.events ?? []).flatMap((e): { type: string; local: boolean }[] => {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return [{ type: scheduled, local: false }];
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const data = marker.details?.data?.payloads?.[0]?.data;
    if (!data) return [];
    const type = (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type;
    return type ? [{ type, local: true }] : [];
  });
}

/** The patch ids a history's `core_patch` markers carry. */
export function patchIdsIn(history: { events?: temporal.api.history.v1.IHistoryEvent[] | null }): string[] {
  return (history.events ?? []).flatMap((e) => {
    const attrs = e.markerRecordedEventAttributes;
    if (attrs?.markerName !== 'core_patch') return [];
    const payload = attrs.details?.['patch-data']?.payloads?.[0];
    return payload?.data ? [(JSON.parse(Buffer.from(payload.data).toString('utf8')) as { id: string }).id] : [];
  });
}
