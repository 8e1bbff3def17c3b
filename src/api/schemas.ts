/** Request schemas shared by several routes. */
import { z } from 'zod';
import { SOURCE_KINDS } from '../domain/ticket';

/**
 * A source ticket id. It becomes part of a workflow id and of the source API's URL paths, so it
 * is limited to a conservative alphabet (no `/`, no `..`, no whitespace). Numbers are accepted
 * and turned into text: the Connect platform documents a string, but a lost webhook is worse
 * than a lenient parser (it has no retries).
 */
export const sourceTicketId = z
  .union([z.string(), z.number().int().nonnegative()], { error: 'must be a string' })
  .transform(String)
  .pipe(
    z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/, {
      error: 'must be 1-128 letters, digits, ".", "_" or "-"',
    }),
  );

export const sourceKind = z.enum(SOURCE_KINDS, { error: `must be one of ${SOURCE_KINDS.join(', ')}` });
