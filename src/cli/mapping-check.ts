/**
 * `ticket-bridge mapping check <file>`: the start-up check of `MAPPING_FILE`, before a deploy.
 * Prints each problem as `path: message` (exit 2), or what the file maps (exit 0): targets and
 * the fields they read, never a value (a rule may be marked personal).
 */
import { SOURCE_KINDS } from '../domain/ticket';
import { describeMappingIssues, loadMappingFile, type TicketMapping } from '../mapping';
import type { CompiledRule } from '../mapping/load';
import { EXIT } from './backends';

export interface MappingCheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function runMappingCheck(file: string, io: MappingCheckIo): number {
  const loaded = loadMappingFile(file);
  if (!loaded.ok) {
    io.stderr(`ticket-bridge: ${file} is not a valid mapping:\n${describeMappingIssues(loaded.issues).map((l) => `  ${l}\n`).join('')}`);
    return EXIT.usage;
  }
  io.stdout(`${file}: a valid mapping\n${summary(loaded.mapping)}`);
  return EXIT.ok;
}

const origin = (rule: CompiledRule<unknown>): string =>
  rule.from === undefined ? 'constant' : `${rule.from}${rule.table ? ' via a table' : rule.whenSet !== undefined ? ' when set' : ''}${rule.personal ? ' (personal)' : ''}`;

function summary(mapping: TicketMapping): string {
  const lines: string[] = [];
  for (const source of SOURCE_KINDS) {
    const rules = mapping[source];
    if (!rules) {
      lines.push(`  ${source}: nothing mapped`);
      continue;
    }
    lines.push(`  ${source}:`);
    for (const field of rules.customFields) lines.push(`    custom field ${field.id} ← ${origin(field)}`);
    for (const tag of rules.tags) lines.push(`    tag${tag.prefix ? ` ${tag.prefix}…` : ''} ← ${origin(tag)}`);
    for (const target of ['priority', 'group', 'brand', 'form', 'assignee'] as const) {
      const rule = rules[target];
      if (rule) lines.push(`    ${target} ← ${origin(rule)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
