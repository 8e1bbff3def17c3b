/**
 * Later changes of a mapped source field (docs/mapping.md, "When a source field changes"): what
 * the mapping yields for a ticket, told by digests, and what to write when that changed.
 *
 * The workflow keeps the digests (`MappedDigest`), never the values: mapped values may be
 * personal (`personal: true`), and nothing in workflow history needs them. One digest per target
 * (each custom field, priority, group, brand, form) and one per mapped tag says which targets
 * changed, so only those are written; the tags to take off are recognised on the helpdesk
 * ticket by their digests. The assignee is not followed: agents re-assign tickets, and a pool's
 * pick is the create's.
 *
 * The digests are unsalted and short: they keep values out of history text, and are no
 * protection of a value someone can guess (a tenant id, a category).
 */
import { createHash } from 'node:crypto';
import type { MappedDigest } from '../activities/types';
import type { CrmFieldsChange, CrmTicketFields } from '../ports/crm';

/** Hex digits of a target's digest (48 bits: enough to tell a change, not to identify a value). */
const PART_DIGEST_HEX = 12;

const digestOf = (text: string, hex: number): string => createHash('sha256').update(text).digest('hex').slice(0, hex);

/** The digest of one mapped tag, as `MappedDigest.tags` holds it. */
export function tagDigest(tag: string): string {
  return digestOf(`tag\u0000${tag}`, PART_DIGEST_HEX);
}

/** The targets a change writes over (everything but tags, which are added and taken off). */
type Overwritten = 'priority' | 'groupId' | 'brandId' | 'formId';
const OVERWRITTEN: readonly Overwritten[] = ['priority', 'groupId', 'brandId', 'formId'];

/** The digests of what a mapping yields (`applyMapping`'s fields); the assignee is left out. */
export function mappedDigest(fields: CrmTicketFields): MappedDigest {
  const targets: Record<string, string> = {};
  for (const { id, value } of fields.customFields ?? []) targets[`customField:${id}`] = digestOf(`customField:${id}\u0000${JSON.stringify(value)}`, PART_DIGEST_HEX);
  for (const key of OVERWRITTEN) {
    const value = fields[key];
    if (value !== undefined) targets[key] = digestOf(`${key}\u0000${JSON.stringify(value)}`, PART_DIGEST_HEX);
  }
  const tags = [...new Set((fields.tags ?? []).map(tagDigest))].sort();
  const keys = Object.keys(targets).sort();
  const all = JSON.stringify([keys.map((k) => [k, targets[k]]), tags]);
  return { digest: digestOf(all, 16), targets: Object.fromEntries(keys.map((k) => [k, targets[k]!])), tags };
}

/** What changed between two digests, and how it is written; null when nothing is to be written. */
export interface MappedFieldsDiff {
  change: CrmFieldsChange;
  /** The targets written, by name (`brand`, `customField:5001`, `tags`): for the timeline, no values. */
  targets: string[];
}

const TARGET_NAMES: Record<Overwritten, string> = { priority: 'priority', groupId: 'group', brandId: 'brand', formId: 'form' };

/**
 * The write that brings a helpdesk ticket mapped as `known` to `fields` (whose digests are
 * `next`): the custom fields, priority, group, brand and form whose digest changed are
 * overwritten; a custom field the new values map to nothing is emptied (priority, group, brand
 * and form are left as they are: a helpdesk keeps a brand and a form on every ticket, and an
 * empty group would unroute it); tags are added and taken off one by one, so tags the agents
 * added stay. null: nothing to write.
 */
export function diffMapped(known: MappedDigest, next: MappedDigest, fields: CrmTicketFields): MappedFieldsDiff | null {
  const changed = (key: string) => next.targets[key] !== undefined && next.targets[key] !== known.targets[key];
  const set: CrmFieldsChange['set'] = {};
  const targets: string[] = [];
  const customFields: NonNullable<CrmFieldsChange['set']['customFields']> = (fields.customFields ?? []).filter((f) => changed(`customField:${f.id}`));
  for (const key of Object.keys(known.targets)) {
    const id = /^customField:(\d+)$/.exec(key)?.[1];
    if (id !== undefined && next.targets[key] === undefined) customFields.push({ id: Number(id), value: null });
  }
  if (customFields.length > 0) {
    set.customFields = customFields;
    targets.push(...customFields.map((f) => `customField:${f.id}`));
  }
  for (const key of OVERWRITTEN) {
    if (!changed(key) || fields[key] === undefined) continue;
    Object.assign(set, { [key]: fields[key] });
    targets.push(TARGET_NAMES[key]);
  }
  const knownTags = new Set(known.tags);
  const nextTags = new Set(next.tags);
  const addTags = [...new Set(fields.tags ?? [])].filter((t) => !knownTags.has(tagDigest(t)));
  const removed = new Set(known.tags.filter((d) => !nextTags.has(d)));
  if (addTags.length > 0 || removed.size > 0) targets.push('tags');
  if (targets.length === 0) return null;
  return {
    change: { set, addTags, ...(removed.size > 0 && { removeTags: (tag: string) => removed.has(tagDigest(tag)) }) },
    targets,
  };
}
