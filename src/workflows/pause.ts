/**
 * Pause and resume (PATCHES.pauseResume). While a ticket is paused its workflow keeps taking in
 * every notification as pending work (nothing is lost) and writes nothing to either side; a
 * SOLVED timer that fires meanwhile becomes pending work too. Resume runs one sync that reads
 * both sides, so what was said during the pause arrives once, and a SOLVED timer that fired
 * meanwhile is decided there, from those reads, as it always is.
 */
import { patched } from '@temporalio/workflow';
import { PATCHES } from './definitions';
import { validateOperatorRequest } from './intake';
import type { TicketMemory } from './memory';
import { record } from './timeline';

/**
 * `pause` validator: refuses before anything reaches history. `awaitingSync`: updates accepted and
 * waiting for a sync (a resync, close or resume); a pause now would hold them until the next
 * resume, so it is refused until they have answered. Only a validator: a refused update leaves no
 * event, and replay runs no validators, so this needs no patch.
 */
export function validatePause(memory: TicketMemory, reason: string, awaitingSync: number): void {
  validateOperatorRequest(memory, reason, true);
  if (memory.pause) throw new Error(`the ticket is already paused (since ${memory.pause.since}: ${memory.pause.reason})`);
  if (awaitingSync > 0) throw new Error('a resync, close or resume is waiting for its sync: pause once it has answered');
}

/** `resume` validator. */
export function validateResume(memory: TicketMemory, reason: string | undefined): void {
  validateOperatorRequest(memory, reason, false);
  if (!memory.pause) throw new Error('the ticket is not paused');
}

/** `resync` and `close` wait for a sync, which a paused ticket does not run: refused, saying how to go on. */
export function refuseWhilePaused(memory: TicketMemory, what: string): void {
  if (memory.pause) throw new Error(`the ticket is paused (since ${memory.pause.since}: ${memory.pause.reason}); resume it before a ${what}`);
}

/**
 * The patch marker, asked in the `pause`/`resume` handlers: no history recorded before this change
 * has either update, so none reaches it and all replay as before, and a ticket never paused adds
 * no marker (nor any other event) to its history. A run carried over continue-as-new while paused
 * needs no marker of its own to stay paused: only code that knows `pause` could have written it.
 */
function markPauseRules(): void {
  patched(PATCHES.pauseResume);
}

/** Applies an accepted `pause`. */
export function pauseTicket(memory: TicketMemory, reason: string): void {
  markPauseRules();
  const trimmed = reason.trim();
  memory.pause = { since: new Date(Date.now()).toISOString(), reason: trimmed };
  record(memory, 'operator', `paused: ${trimmed}`);
}

/**
 * After an accepted `pause` waited for the sync in flight: when that sync completed the ticket
 * there is nothing left to pause, and the pause is taken back (PATCHES.pauseEndsWithTheTicket,
 * asked only then), so a completed workflow does not show `TicketPaused="true"`. True when it did.
 */
export function dropPauseOfCompletedTicket(memory: TicketMemory): boolean {
  if (!memory.pause || !memory.lifecycle.completed || !patched(PATCHES.pauseEndsWithTheTicket)) return false;
  memory.pause = null;
  record(memory, 'operator', 'pause not applied: the ticket completed in the sync it waited for');
  return true;
}

/** Applies an accepted `resume`: the caller then asks for the one sync that reads both sides. */
export function resumeTicket(memory: TicketMemory, reason: string | undefined): void {
  markPauseRules();
  const trimmed = reason?.trim() ?? '';
  record(memory, 'operator', `resumed${trimmed ? `: ${trimmed}` : ''} (paused since ${memory.pause?.since ?? 'unknown'})`);
  memory.pause = null;
}
