/** How tickets are kept in step (src/workflows): the solved ticket's fate, reconciliation, new tickets' fields. */
import { z } from 'zod';
import { loadMappingFile, type TicketMapping } from '../mapping';
import type { EnvReader } from './env-reader';
import { duration } from './values';

/** The source status a "not resolved" reply from SOLVED leads to (the guide says PENDING). */
export const REOPEN_SOURCE_STATUSES = ['PENDING', 'OPEN'] as const;
export type ReopenSourceStatus = (typeof REOPEN_SOURCE_STATUSES)[number];

const reopenStatus = z.enum(REOPEN_SOURCE_STATUSES, { error: `must be one of ${REOPEN_SOURCE_STATUSES.join(', ')}` });

/** `SOLVED_AUTO_CLOSE_AFTER`, `SOLVED_REOPEN_SOURCE_STATUS`, `RECONCILE_INTERVAL`. */
export function readSyncRules(r: EnvReader) {
  return {
    solvedAutoCloseAfterMs: r.withDefault('SOLVED_AUTO_CLOSE_AFTER', duration, '72h'),
    solvedReopenSourceStatus: r.withDefault('SOLVED_REOPEN_SOURCE_STATUS', reopenStatus, 'PENDING'),
    reconcileIntervalMs: r.withDefault('RECONCILE_INTERVAL', duration, '5m'),
  };
}

/** `MAPPING_FILE`: one issue per problem in the file, each naming its path in the file (never the file's own path). */
export function readMapping(r: EnvReader): TicketMapping | null {
  const path = r.optional('MAPPING_FILE', z.string());
  if (path === undefined) return null;
  const loaded = loadMappingFile(path);
  if (loaded.ok) return loaded.mapping;
  for (const issue of loaded.issues) r.issues.push({ variable: 'MAPPING_FILE', message: `${issue.path}: ${issue.message}` });
  return null;
}
