/**
 * The remotes the bridge connects: two ticket sources (Connect, the white-label platform) and
 * the helpdesk (Zendesk; Freshdesk instead is ./freshdesk.ts). Each is configured completely or
 * not at all: once a side's URL is set its credentials are required, and a credential without
 * its URL is an error too (a half-configured side must not pass for an unconfigured one).
 * Each side's own variables are read in ./connect.ts, ./zendesk.ts and ./whitelabel.ts.
 */
import type { z } from 'zod';
import type { EnvReader } from './env-reader';
import type { SecretVariable } from './inbound-secrets';

/** Each side is real (configured), simulated (sandbox) or absent. */
export const SIDES = ['connect', 'zendesk', 'whitelabel'] as const;
export type Side = (typeof SIDES)[number];

/** Each side's variables, in documented order: the URL, the credentials, the inbound secret. */
export const SIDE_VARIABLES = {
  connect: { url: 'CONNECT_API_URL', credentials: ['CONNECT_API_KEY'], secret: 'CONNECT_WEBHOOK_TOKEN' },
  zendesk: { url: 'ZENDESK_API_URL', credentials: ['ZENDESK_EMAIL', 'ZENDESK_API_TOKEN'], secret: 'ZENDESK_WEBHOOK_SECRET' },
  whitelabel: { url: 'WHITELABEL_API_URL', credentials: ['WHITELABEL_API_KEY'], secret: 'WHITELABEL_WEBHOOK_SECRET' },
} as const satisfies Record<Side, { url: string; credentials: readonly string[]; secret: SecretVariable }>;

export const sideVariables = (side: Side): string[] => {
  const v = SIDE_VARIABLES[side];
  return [v.url, ...v.credentials, v.secret];
};

/** The sides whose URL is set (a side is configured by its URL; its other variables follow). */
export const configuredSides = (r: EnvReader): Side[] => SIDES.filter((side) => r.isSet(SIDE_VARIABLES[side].url));

/** The condition every variable of a configured side is required under. */
export const whenSideSet = (side: Side): string => `when ${SIDE_VARIABLES[side].url} is set`;

/** A side's URL. A credential without it would be ignored: say so at the URL. */
export function readSideUrl<T>(r: EnvReader, side: Side, schema: z.ZodType<T, string>): T | undefined {
  const { url: variable, credentials } = SIDE_VARIABLES[side];
  const orphans = credentials.filter((c) => r.isSet(c));
  if (!r.isSet(variable) && orphans.length > 0) {
    r.issues.push({ variable, message: `is required when ${orphans.join(' or ')} is set (a side is configured completely or not at all)` });
  }
  return r.optional(variable, schema);
}
