/**
 * Value schemas shared by several concerns (ports, URLs, durations, sizes…). Each carries its
 * own message: zod's defaults are fine for developers but some of them quote the input, which
 * must never happen for a secret. Schemas used by one concern only live in that concern's module.
 */
import { z } from 'zod';
import { isLoopbackUrl, normaliseHostPattern } from '../adapters/http/outbound-policy';

export const port = z
  .string()
  .regex(/^\d+$/, { error: 'must be an integer port number' })
  .transform(Number)
  .refine((n) => n <= 65535, { error: 'must be between 0 and 65535' });

export const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/, {
  error: 'must be host:port',
});

/** A directory path: created at start if missing. */
export const directory = z.string().min(1).refine((v) => !v.includes('\0'), { error: 'must be a directory path' });

/** A whole number from 1 to `max` (bounded so a typo cannot mean "unbounded"). */
export const countUpTo = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, { error: `must be between 1 and ${max}` });

export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be a URL' })
  // The API key crosses the network with every call: in clear only to this very machine.
  .refine((u) => !URL.canParse(u) || new URL(u).protocol === 'https:' || isLoopbackUrl(new URL(u)), {
    error: 'must be an https URL (http is accepted only for loopback: localhost, 127.0.0.1, [::1])',
  })
  // Adapters append paths (`/tickets/{id}`); a trailing slash would double them.
  .transform((u) => u.replace(/\/+$/, ''));

/** A remote's API key or token: opaque, so only "present" is checked. */
export const credential = z.string().min(1, { error: 'must not be empty' });

export const boolean = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

/** A value `parse` makes of the text, or `message` when it makes nothing of it (null). */
export function parsedWith<T>(parse: (text: string) => T | null, message: string) {
  return z.string().transform((text, ctx) => {
    const value = parse(text);
    if (value === null) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return value;
  });
}

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `72h`, `30m`, `2d`, `45s`, `1500ms` or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * DURATION_UNITS_MS[(match[2] ?? 'ms') as keyof typeof DURATION_UNITS_MS];
  return Number.isSafeInteger(ms) && ms > 0 ? ms : null;
}

export const duration = parsedWith(parseDurationMs, 'must be a positive duration like 72h, 30m, 2d, 45s or milliseconds');

const BYTE_UNITS = { b: 1, kb: 1024, mb: 1024 ** 2 } as const;

/** `100kb`, `1mb`, `512b` or a bare number of bytes (the units express/body-parser understand). */
export function parseByteSize(text: string): number | null {
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(text.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * BYTE_UNITS[(match[2]?.toLowerCase() ?? 'b') as keyof typeof BYTE_UNITS];
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

export const byteSize = parsedWith(parseByteSize, 'must be a size like 100kb, 1mb or a number of bytes');

/** `files.example.com,*.cdn.example.com,10.0.0.5:8443`: hosts as a URL spells them (attachment hosts). */
export const hostPatternList = z.string().transform((text, ctx) => {
  const patterns = text.split(',').filter((e) => e.trim() !== '').map(normaliseHostPattern);
  if (patterns.some((p) => p === null)) {
    ctx.addIssue({ code: 'custom', message: 'must be host names like files.example.com, *.example.com or host:port, comma-separated' });
    return z.NEVER;
  }
  return patterns as string[];
});
