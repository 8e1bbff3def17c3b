/** A mapping file's content checked as the bridge checks it; a test's own mapping that fails to parse fails loudly. */
import { parseMapping, type TicketMapping } from '../../src/mapping';

export function checkedMapping(file: unknown): TicketMapping {
  const parsed = parseMapping(JSON.stringify(file));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.mapping;
}
