/**
 * The mapping file (`MAPPING_FILE`, JSON): which source fields become which Zendesk fields when
 * the bridge creates a ticket. See docs/mapping.md for the format with an example.
 *
 * Every rule takes its value from a constant (`value`) or from a source field (`from`), optionally
 * translated by a lookup table (`lookup`: a table's name in `lookups`, or a table inline) or
 * replaced by one value whenever the field is set (`whenSet`); `default` applies when the field
 * is unset or the table has no entry. Targets that take ids or a fixed vocabulary (group, brand,
 * form, assignee, priority) never take a raw field value: only constants and table values, which
 * are checked here, once, at start-up.
 */
import { z } from 'zod';
import type { SourceKind } from '../domain/ticket';

/** The source fields a mapping may read, per source (connect-tickets-api.md, whitelabel-ticket-events.md). */
export const MAPPABLE_FIELDS = {
  connect: ['tenantId', 'userId', 'houseId', 'contractId', 'equipmentId', 'alertId'],
  whitelabel: ['category', 'subcategory', 'language'],
} as const satisfies Record<SourceKind, readonly string[]>;

export const ZENDESK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type ZendeskPriority = (typeof ZENDESK_PRIORITIES)[number];

const ID_MESSAGE = 'must be a Zendesk id (a positive integer)';
const zendeskId = z.number({ error: ID_MESSAGE }).int({ error: ID_MESSAGE }).positive({ error: ID_MESSAGE });
const priority = z.enum(ZENDESK_PRIORITIES, { error: `must be one of ${ZENDESK_PRIORITIES.join(', ')}` });
/** What a Zendesk text, number, checkbox or drop-down field takes. */
const fieldValue = z.union([z.string().max(1000), z.number(), z.boolean()], { error: 'must be a string, a number or true/false' });
/** Zendesk tags: no spaces; the value is normalised (lower case, spaces to `_`) before the prefix. */
const tagText = z.string({ error: 'must be a tag' }).regex(/^[^\s,]{1,80}$/, { error: 'must be a tag: 1-80 characters, no spaces or commas' });
/** A pool of agents: one is picked per ticket, the same one on every attempt (see apply.ts). */
const assignee = z.union([zendeskId, z.array(zendeskId).min(1, { error: 'must name at least one agent' }).max(100)], {
  error: 'must be a Zendesk user id or a non-empty list of them (a pool)',
});

const tableName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be the name of a table in lookups' });
const tableKey = z.string().min(1).max(200);

/**
 * A rule whose values are `V`: `{ "value": V }`, or `{ "from": field, lookup?, whenSet?, default? }`.
 * One object with optional keys rather than a union, so an error names the key that is wrong.
 */
function rule<V extends z.ZodType, E extends z.ZodRawShape>(value: V, { rawField, extra, fields }: { rawField: boolean; extra: E; fields: readonly string[] }) {
  return z
    .strictObject({
      ...extra,
      value: value.optional(),
      from: z.enum(fields, { error: `must be a field of this source: one of ${fields.join(', ')}` }).optional(),
      lookup: z.union([tableName, z.record(tableKey, value)], { error: 'must be a table name or an inline table' }).optional(),
      whenSet: value.optional(),
      default: value.optional(),
      personal: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .superRefine((r, ctx) => checkRule(r as RuleKeys, rawField, ctx));
}

interface RuleKeys {
  value?: unknown;
  from?: string;
  lookup?: unknown;
  whenSet?: unknown;
  default?: unknown;
}

function checkRule(r: RuleKeys, rawField: boolean, ctx: z.RefinementCtx): void {
  if ((r.value === undefined) === (r.from === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'needs either "value" (a constant) or "from" (a source field)' });
    return;
  }
  if (r.value !== undefined) {
    for (const key of ['lookup', 'whenSet', 'default'] as const) {
      if (r[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'goes with "from", not with "value"' });
    }
    return;
  }
  if (r.lookup !== undefined && r.whenSet !== undefined) ctx.addIssue({ code: 'custom', path: ['whenSet'], message: 'takes lookup or whenSet, not both' });
  if (!rawField && r.lookup === undefined && r.whenSet === undefined) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'needs lookup or whenSet: this target takes ids or fixed values, never a raw field value' });
  }
}

const noExtra = {};
/** One source's rules; `from` may name only that source's fields. */
function sourceMapping(fields: readonly string[]) {
  const of = <V extends z.ZodType, E extends z.ZodRawShape>(value: V, rawField: boolean, extra: E) => rule(value, { rawField, extra, fields });
  return z.strictObject({
    customFields: z.array(of(fieldValue, true, { id: zendeskId })).max(200).optional(),
    tags: z.array(of(tagText, true, { prefix: tagText.optional() })).max(50).optional(),
    priority: of(priority, false, noExtra).optional(),
    group: of(zendeskId, false, noExtra).optional(),
    brand: of(zendeskId, false, noExtra).optional(),
    form: of(zendeskId, false, noExtra).optional(),
    assignee: of(assignee, false, noExtra).optional(),
  });
}

/** What each target's values must be: the schema checks constants and inline tables, load.ts named tables. */
export const TARGET_VALUES = {
  customFields: fieldValue,
  tags: tagText,
  priority,
  group: zendeskId,
  brand: zendeskId,
  form: zendeskId,
  assignee,
} as const;

/** Table values are checked against the targets that use them (see `crossCheck` in load.ts). */
const lookupTable = z.record(tableKey, z.union([fieldValue, z.array(zendeskId)]));

export const mappingFileSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }),
  lookups: z.record(tableName, lookupTable).optional(),
  connect: sourceMapping(MAPPABLE_FIELDS.connect).optional(),
  whitelabel: sourceMapping(MAPPABLE_FIELDS.whitelabel).optional(),
});

export type MappingFile = z.output<typeof mappingFileSchema>;
export type SourceMapping = NonNullable<MappingFile['connect']>;
export type LookupTable = z.output<typeof lookupTable>;
export type TableValue = LookupTable[string];
