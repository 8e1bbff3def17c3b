/**
 * Reads and checks a mapping file: JSON syntax, the schema (./schema.ts), then what the schema
 * alone cannot see: that each named table exists and that its values fit every target that uses
 * it. Every problem is reported with its path in the file (`connect.brand.lookup`,
 * `lookups.brandByTenant.acme`); the table checks run once the schema passes.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { SOURCE_KINDS, type SourceKind } from '../domain/ticket';
import { mappingFileSchema, TARGET_VALUES, ZENDESK_PRIORITIES, type MappingFile, type SourceMapping, type TableValue } from './schema';

export interface MappingIssue {
  /** Dotted path in the file; `(file)` for the file as a whole. */
  path: string;
  message: string;
}

/** A rule with its table resolved (a named table is replaced by its entries). */
export interface CompiledRule<V> {
  value?: V;
  from?: string;
  table?: Readonly<Record<string, V>>;
  whenSet?: V;
  default?: V;
  personal: boolean;
}

export type FieldValue = string | number | boolean;
export type Priority = (typeof ZENDESK_PRIORITIES)[number];

export interface CompiledSourceMapping {
  customFields: Array<CompiledRule<FieldValue> & { id: number }>;
  tags: Array<CompiledRule<string> & { prefix?: string }>;
  priority?: CompiledRule<Priority>;
  group?: CompiledRule<number>;
  brand?: CompiledRule<number>;
  form?: CompiledRule<number>;
  assignee?: CompiledRule<number | number[]>;
}

/** A checked mapping: what the create activity applies (see ./apply.ts). */
export type TicketMapping = Partial<Record<SourceKind, CompiledSourceMapping>>;

export type MappingResult = { ok: true; mapping: TicketMapping } | { ok: false; issues: MappingIssue[] };

type Target = keyof typeof TARGET_VALUES;

const pathOf = (path: readonly PropertyKey[]): string => (path.length > 0 ? path.map(String).join('.') : '(file)');

/** Parses the file's text; `name` only for messages. */
export function parseMapping(text: string): MappingResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // The parser's message says where (position, line); it quotes at most a token of the file, which holds no secrets.
    return { ok: false, issues: [{ path: '(file)', message: `is not JSON: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const parsed = mappingFileSchema.safeParse(json);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message })) };
  const issues: MappingIssue[] = [];
  const mapping: TicketMapping = {};
  for (const source of SOURCE_KINDS) {
    const given = parsed.data[source];
    if (given) mapping[source] = compileSource(parsed.data, source, given, issues);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, mapping };
}

/** Reads `path` and parses it; an unreadable file is one issue naming the failure (ENOENT, EACCES…). */
export function loadMappingFile(path: string): MappingResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, issues: [{ path: '(file)', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }] };
  }
  return parseMapping(text);
}

type RawRule = { value?: unknown; from?: string; lookup?: string | Record<string, unknown>; whenSet?: unknown; default?: unknown; personal?: boolean };

function compileSource(file: MappingFile, source: SourceKind, given: SourceMapping, issues: MappingIssue[]): CompiledSourceMapping {
  const compile = <V>(target: Target, raw: RawRule, at: string): CompiledRule<V> => {
    const compiled: CompiledRule<V> = { personal: raw.personal === true };
    if (raw.value !== undefined) compiled.value = raw.value as V;
    if (raw.from !== undefined) compiled.from = raw.from;
    if (raw.whenSet !== undefined) compiled.whenSet = raw.whenSet as V;
    if (raw.default !== undefined) compiled.default = raw.default as V;
    if (typeof raw.lookup === 'object') compiled.table = raw.lookup as Record<string, V>;
    if (typeof raw.lookup === 'string') {
      const table = file.lookups?.[raw.lookup];
      if (table === undefined) issues.push({ path: `${at}.lookup`, message: `names no table in lookups ("${raw.lookup}")` });
      else {
        checkTable(table, TARGET_VALUES[target], `lookups.${raw.lookup}`, `${at}`, issues);
        compiled.table = table as Record<string, V>;
      }
    }
    return compiled;
  };
  const single = <V>(target: Exclude<Target, 'customFields' | 'tags'>) => {
    const raw = given[target] as RawRule | undefined;
    return raw === undefined ? {} : { [target]: compile<V>(target, raw, `${source}.${target}`) };
  };
  return {
    customFields: (given.customFields ?? []).map((r, i) => ({ ...compile<FieldValue>('customFields', r, `${source}.customFields.${i}`), id: r.id })),
    tags: (given.tags ?? []).map((r, i) => ({
      ...compile<string>('tags', r, `${source}.tags.${i}`),
      ...(r.prefix !== undefined && { prefix: r.prefix }),
    })),
    ...single<Priority>('priority'),
    ...single<number>('group'),
    ...single<number>('brand'),
    ...single<number>('form'),
    ...single<number | number[]>('assignee'),
  };
}

function checkTable(table: Record<string, TableValue>, values: z.ZodType, at: string, usedBy: string, issues: MappingIssue[]): void {
  for (const [key, value] of Object.entries(table)) {
    const checked = values.safeParse(value);
    if (!checked.success) issues.push({ path: `${at}.${key}`, message: `${checked.error.issues[0]?.message ?? 'is invalid'} (the table is used by ${usedBy})` });
  }
}

/** One line per issue, as the CLI and the start-up error print them. */
export function describeMappingIssues(issues: readonly MappingIssue[]): string[] {
  return issues.map((i) => `${i.path}: ${i.message}`);
}
