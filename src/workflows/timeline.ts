/**
 * The ticket's timeline: what happened, newest last, bounded, and never with message text, so
 * an operator can read it (state query, ops API) without seeing anyone's personal data.
 */
import { boundedIds } from '../domain/comments';
import type { Effect } from '../domain/lifecycle';
import type { TimelineEntry } from './definitions';
import { MEMORY_BOUNDS, type TicketMemory } from './memory';

export function record(memory: TicketMemory, kind: TimelineEntry['kind'], detail: string): void {
  const entry: TimelineEntry = { at: new Date(Date.now()).toISOString(), kind, detail };
  memory.timeline = [...memory.timeline, entry].slice(-MEMORY_BOUNDS.timeline);
}

/** A note for a human, kept in the state's `notes` and on the timeline. */
export function addNote(memory: TicketMemory, note: string): void {
  record(memory, 'synced', note);
  memory.notes = boundedIds([...memory.notes, `${new Date(Date.now()).toISOString()} ${note}`], MEMORY_BOUNDS.notes);
}

/** A timeline line for a write: what went where, never the text itself. */
export function describeEffect(effect: Effect, source: string): string {
  switch (effect.type) {
    case 'create-crm-ticket':
      return `crm ticket created (${effect.status})`;
    case 'crm-user-comment':
      return `user comment → crm`;
    case 'crm-support-note':
      return `support comment from ${source} → crm internal note`;
    case 'crm-internal-note':
      return 'internal note → crm';
    case 'set-crm-status':
      return `crm status → ${effect.status}`;
    case 'source-agent-reply':
      return `agent reply → ${source}`;
    case 'set-source-status':
      return `${source} status → ${effect.status}`;
  }
}
