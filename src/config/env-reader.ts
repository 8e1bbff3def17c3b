/**
 * Reads environment variables one by one, collecting every problem instead of stopping at the
 * first (see ./errors.ts). Each concern's module reads its own variables through one shared
 * reader, and `loadConfig` (./index.ts) calls them in a fixed order: the order of the issues.
 */
import type { z } from 'zod';
import type { ConfigIssue } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly env: Env) {}

  /** Empty counts as unset: `FOO=` in an env file means "not configured", not "configured empty". */
  isSet(variable: string): boolean {
    return (this.env[variable] ?? '').trim() !== '';
  }

  optional<T>(variable: string, schema: z.ZodType<T, string>): T | undefined {
    if (!this.isSet(variable)) return undefined;
    const result = schema.safeParse(this.env[variable]!.trim());
    if (result.success) return result.data;
    // One line per variable: the first message is the most specific one.
    this.issues.push({ variable, message: result.error.issues[0]?.message ?? 'is invalid' });
    return undefined;
  }

  withDefault<T>(variable: string, schema: z.ZodType<T, string>, fallback: string): T | undefined {
    return this.isSet(variable) ? this.optional(variable, schema) : schema.parse(fallback);
  }

  /** Required when `condition` holds (e.g. its group's URL is set), otherwise optional. */
  requiredIf<T>(condition: boolean, variable: string, schema: z.ZodType<T, string>, why: string): T | undefined {
    if (condition && !this.isSet(variable)) {
      this.issues.push({ variable, message: `is required ${why}` });
      return undefined;
    }
    return this.optional(variable, schema);
  }
}

/** A group read before validation ends: each field undefined when its variable was invalid (and reported). */
export type Unchecked<T> = { [K in keyof T]: T[K] | undefined };
