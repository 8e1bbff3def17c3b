/**
 * Helpers for the simulators' snapshots: plain JSON data a simulator can be restarted from (the
 * sandbox keeps its remotes across restarts of `npm start`). A snapshot is checked on load for
 * what would make the restored remote lie: an id counter at or below an id it already handed
 * out would hand that id out again, and the bridge would take a new ticket for an old one.
 */
import type { z } from 'zod';

/** Called synchronously after every change to a simulator's state. Must not throw. */
export type OnChange = () => void;

/** A no-op, for stores nobody watches. */
export const unwatched: OnChange = () => {};

/** Adds an issue unless `next` is above every id in `ids`. */
export function counterAbove(ctx: z.RefinementCtx, path: (string | number)[], next: number, ids: Iterable<number>): void {
  for (const id of ids) {
    if (id >= next) {
      ctx.addIssue({ code: 'custom', path, message: `counter ${next} would hand out id ${id} again` });
      return;
    }
  }
}

/** Adds an issue for the first id that occurs twice. */
export function uniqueIds(ctx: z.RefinementCtx, path: (string | number)[], ids: Iterable<string | number>): void {
  const seen = new Set<string | number>();
  for (const id of ids) {
    if (seen.has(id)) {
      ctx.addIssue({ code: 'custom', path, message: `id ${String(id)} occurs twice` });
      return;
    }
    seen.add(id);
  }
}
