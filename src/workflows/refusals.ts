/**
 * Writes a side refuses for good (a 4xx that no retry can change: a comment whose author was
 * merged away, a reply the source forbids). One refusal must not hold back the rest of a ticket:
 * the refused comment is kept in the memory and tried again on a slow, doubling schedule, and
 * after `MAX_REFUSALS` it is parked (`TicketMemory.parked`) with a note for the agents. A status
 * write is not kept: the next decision, from fresh reads, decides it again.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Effect } from '../domain/lifecycle';
import { describeKey, MEMORY_BOUNDS, type RefusedWrite, type TicketMemory } from './memory';

/** Refusals of one write before it is parked. */
export const MAX_REFUSALS = 5;

/**
 * A kept write carries its comment (text and file URLs) in the memory, which travels across
 * continue-as-new: bigger than this, it is parked at its first refusal instead.
 */
export const MAX_KEPT_EFFECT_BYTES = 32 * 1024;

/** Answers that mean "never, as asked": everything non-retryable except a conflict (news) and 401 (the bridge's own credentials). */
const REFUSAL_TYPES: readonly string[] = ['bad-request', 'forbidden', 'not-found', 'unprocessable'];

export function isRefusal(err: unknown): err is ActivityFailure {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && REFUSAL_TYPES.includes(err.cause.type ?? '');
}

/** The refusal's kind (`unprocessable`, ...): never the remote's message, which may quote personal data. */
export function refusalKind(err: ActivityFailure): string {
  return err.cause instanceof ApplicationFailure ? (err.cause.type ?? 'refused') : 'refused';
}

/** The intent key of a comment write (see `TicketMemory.intents`); null for writes that are not kept. */
export function intentKey(effect: Effect): string | null {
  switch (effect.type) {
    case 'crm-user-comment':
    case 'crm-support-note':
      return `crm:${effect.comment.id}`;
    case 'source-agent-reply':
      return `source:${effect.comment.id}`;
    default:
      return null;
  }
}

/**
 * What became of a refusal: `kept` (tried again at `retryAt`), `parked` (given up on, said),
 * `next-decision` (a status: decided again from the next reads), `dropped` (an internal note of
 * the bridge's own, which says nothing a person is waiting for).
 */
export type Refusals = 'kept' | 'parked' | 'next-decision' | 'dropped';

export function noteRefusal(memory: TicketMemory, effect: Effect, key: string | null, kind: string, now: number, firstRetryMs: number): Refusals {
  if (key === null) return effect.type === 'crm-internal-note' ? 'dropped' : 'next-decision';
  const earlier = memory.refused.find((r) => r.key === key);
  const refusals = (earlier?.refusals ?? 0) + 1;
  const others = memory.refused.filter((r) => r.key !== key);
  const fits = JSON.stringify(effect).length <= MAX_KEPT_EFFECT_BYTES && others.length < MEMORY_BOUNDS.refused;
  if (refusals >= MAX_REFUSALS || !fits) {
    memory.refused = others;
    // Given up: its intent is closed, so nothing looks for its landed copy any more.
    memory.intents = memory.intents.filter((i) => i.key !== key);
    const reason = `refused (${kind}) ${refusals} time(s): given up, with a note in the CRM`;
    memory.parked = [...memory.parked, { what: describeKey(key), reason, since: earlier?.since ?? new Date(now).toISOString() }].slice(-MEMORY_BOUNDS.parked);
    return 'parked';
  }
  const entry: RefusedWrite = {
    key,
    effect,
    refusals,
    reason: kind,
    since: earlier?.since ?? new Date(now).toISOString(),
    retryAt: now + firstRetryMs * 2 ** (refusals - 1),
  };
  memory.refused = [...others, entry];
  return 'kept';
}

/** The kept writes whose next attempt is due, oldest first. */
export function refusalsDue(memory: TicketMemory, now: number): RefusedWrite[] {
  return memory.refused.filter((r) => r.retryAt <= now);
}

/** When the next kept write is due; null when none is kept. */
export function nextRefusalRetryAt(memory: TicketMemory): number | null {
  return memory.refused.length === 0 ? null : Math.min(...memory.refused.map((r) => r.retryAt));
}
