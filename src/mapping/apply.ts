/**
 * A checked mapping (./load.ts) applied to one source ticket's fields: the Zendesk fields its
 * new ticket gets. Pure and deterministic: a retried create computes the very same request (its
 * idempotency key is only honoured for an identical body), so an agent pool is picked by a hash
 * of the ticket id, never at random.
 */
import { createHash } from 'node:crypto';
import type { SourceKind } from '../domain/ticket';
import type { CrmTicketFields } from '../ports/crm';
import type { SourceFields } from '../ports/ticket-source';
import type { CompiledRule, TicketMapping } from './load';

/** What a log line may say about the mapped fields: personal values are replaced by this. */
export const PERSONAL = '[personal]';

export interface AppliedMapping {
  fields: CrmTicketFields;
  /** The same, for a log line: values of rules marked `personal` are `[personal]`, never the value. */
  logView: Record<string, unknown>;
}

/** The rule's value for these fields; undefined when it yields none (unset field, no table entry, no default). */
function resolve<V>(rule: CompiledRule<V>, fields: SourceFields): V | undefined {
  if (rule.value !== undefined) return rule.value;
  const raw = fields[rule.from!] ?? null;
  if (raw === null || raw.trim() === '') return rule.default;
  if (rule.whenSet !== undefined) return rule.whenSet;
  if (rule.table) return Object.hasOwn(rule.table, raw) ? rule.table[raw] : rule.default;
  return raw as V;
}

/** Zendesk tags have no spaces or commas and are lower case; a raw value is made into one. */
export function toTag(text: string): string {
  return text.trim().toLowerCase().replace(/[\s,]+/g, '_').slice(0, 80);
}

/** The same agent for the same ticket, spread evenly over the pool. */
export function pickFromPool(pool: readonly number[], sourceTicketId: string): number {
  const digest = createHash('sha256').update(sourceTicketId).digest();
  return pool[digest.readUInt32BE(0) % pool.length]!;
}

/** The mapped fields of a new ticket; empty (`{}`) when the mapping has nothing for this source. */
export function applyMapping(mapping: TicketMapping, source: SourceKind, sourceTicketId: string, sourceFields: SourceFields): AppliedMapping {
  const rules = mapping[source];
  const fields: CrmTicketFields = {};
  const logView: Record<string, unknown> = {};
  if (!rules) return { fields, logView };
  const shown = <V>(rule: CompiledRule<unknown>, value: V): V | string => (rule.personal ? PERSONAL : value);

  const customFields = rules.customFields.flatMap((rule) => {
    const value = resolve(rule, sourceFields);
    return value === undefined ? [] : [{ rule, field: { id: rule.id, value } }];
  });
  if (customFields.length > 0) {
    fields.customFields = customFields.map((c) => c.field);
    logView.customFields = Object.fromEntries(customFields.map((c) => [c.field.id, shown(c.rule, c.field.value)]));
  }
  const tags = rules.tags.flatMap((rule) => {
    const value = resolve(rule, sourceFields);
    const tag = value === undefined ? '' : `${rule.prefix ?? ''}${toTag(value)}`;
    return tag === '' || tag === rule.prefix ? [] : [{ rule, tag }];
  });
  if (tags.length > 0) {
    fields.tags = [...new Set(tags.map((t) => t.tag))];
    logView.tags = tags.map((t) => shown(t.rule, t.tag));
  }
  const single = <V, K extends keyof CrmTicketFields>(rule: CompiledRule<V> | undefined, key: K, toField: (v: V) => CrmTicketFields[K]) => {
    const value = rule && resolve(rule, sourceFields);
    if (rule === undefined || value === undefined) return;
    fields[key] = toField(value);
    logView[key] = shown(rule, fields[key]);
  };
  single(rules.priority, 'priority', (v) => v);
  single(rules.group, 'groupId', (v) => v);
  single(rules.brand, 'brandId', (v) => v);
  single(rules.form, 'formId', (v) => v);
  single(rules.assignee, 'assigneeId', (v) => (Array.isArray(v) ? pickFromPool(v, sourceTicketId) : v));
  return { fields, logView };
}
