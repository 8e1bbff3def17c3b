/**
 * The ticket's timeline: what happened, newest last, bounded, and never with message text, so
 * an operator can read it (state query, ops API) without seeing anyone's personal data.
 */
import type { FileOutcome } from '../activities/types';
import { formatBytes } from '../domain/attachments';
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

/** What an operator calls a source: the app (Connect), the white-label platform. */
export function sideName(source: string): string {
  return source === 'connect' ? 'app' : source === 'whitelabel' ? 'white-label' : source;
}

/** Who a timeline line names: the source's kind, and the helpdesk by its name (`crmName`). */
export interface SideNames {
  source: string;
  crm: string;
}

/** A timeline line for a write, with the id of what was written: never the text itself. */
export function describeEffect(effect: Effect, names: SideNames, writtenId?: string): string {
  const { source, crm } = names;
  const app = sideName(source);
  const id = (what: string) => (writtenId ? ` (${what} ${writtenId})` : '');
  switch (effect.type) {
    case 'create-crm-ticket':
      return `${crm} ticket${writtenId ? ` ${writtenId}` : ''} created (${effect.status})`;
    case 'crm-user-comment':
      return `user comment → ${crm}${id('comment')}`;
    case 'crm-support-note':
      return `support comment on ${app} → ${crm} internal note${id('comment')}`;
    case 'crm-internal-note':
      return `internal note → ${crm}${id('comment')}`;
    case 'set-crm-status':
      return `${crm} status → ${effect.status}`;
    case 'source-agent-reply':
      return `agent reply → ${app}${id(source === 'whitelabel' ? 'reply' : 'comment')}`;
    case 'set-source-status':
      return `${app} status → ${effect.status}`;
  }
}

/** An assignee mirrored to the CRM: ids only, never names (personal data). */
export function describeAssignment(names: SideNames, assigneeRef: string | null, crmAssigneeId: string | null): string {
  const app = sideName(names.source);
  if (assigneeRef === null) return 'assignee → none';
  if (crmAssigneeId === null) return `assignee → none (${app} assignee ${assigneeRef} has no mapping)`;
  return `assignee → ${names.crm} user ${crmAssigneeId} (${app} assignee ${assigneeRef})`;
}

/** What became of a comment's files, for the timeline: counts, sizes, types, hash prefixes; never a name. */
export function describeFiles(files: readonly FileOutcome[]): string {
  const one = (f: FileOutcome) => {
    const facts = [f.size === null ? null : formatBytes(f.size), f.contentType, f.sha256 && `sha256 ${f.sha256.slice(0, 12)}`].filter((x) => x);
    return `${f.outcome}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
  };
  return `${files.length} attachment(s): ${files.map(one).join('; ')}`;
}
