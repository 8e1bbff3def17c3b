import { z } from 'zod';

/** Any date-time the remote sends, normalised to UTC ISO-8601 so that strings sort by time. */
export const isoDateTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a date-time' })
  .transform((s) => new Date(s).toISOString());

/** Integer ids arrive as JSON numbers (or digit strings); the canonical model holds them as text. */
export const integerId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);

/** Ids documented as strings; tolerate a number so a remote's quirk is not an outage. */
export const textId = z.union([z.string().min(1), z.number()]).transform(String);
