/**
 * The white-label platform: a ticket source (its REST API for write-back, and the events it
 * signs with HMAC). Read in two steps, the side (`readWhitelabelSide`) and later its events
 * (`readWhitelabelEvents`), because `loadConfig` reads the helpdesk's variables between them
 * and its reading order is the order of the issues.
 */
import { z } from 'zod';
import { whitelabelAssigneesSchema, type AssigneeMap } from '../adapters/whitelabel/assignees';
import {
  DEFAULT_WHITELABEL_SIGNATURE_HEADER,
  SIGNED_PAYLOAD_RECIPES,
  type SignedPayloadRecipe,
} from '../api/webhooks/whitelabel-signature';
import type { EnvReader } from './env-reader';
import type { InboundSecrets } from './inbound-secrets';
import { readSideUrl, whenSideSet } from './sides';
import { byteSize, credential, httpUrl } from './values';

export interface WhitelabelConfig {
  /** The platform's REST API (write-back), without a trailing slash. */
  apiUrl: string;
  apiKey: string;
  /** `WHITELABEL_ASSIGNEES`: teammate id → Zendesk user id. */
  assignees: AssigneeMap;
}

/** How the white-label platform signs its events (`POST /webhooks/whitelabel`). */
export interface WhitelabelWebhookConfig {
  signatureHeader: string;
  signedPayload: SignedPayloadRecipe;
  bodyLimitBytes: number;
}

/** An HTTP header name (RFC 9110 token characters). */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, { error: 'must be an HTTP header name' });

const signedPayload = z.enum(SIGNED_PAYLOAD_RECIPES, { error: `must be one of ${SIGNED_PAYLOAD_RECIPES.join(', ')}` });

/** `WHITELABEL_API_URL`, `WHITELABEL_API_KEY`, `WHITELABEL_WEBHOOK_SECRET`; `set`: the URL is set. */
export function readWhitelabelSide(r: EnvReader, secrets: InboundSecrets, set: boolean) {
  const when = whenSideSet('whitelabel');
  const apiUrl = readSideUrl(r, 'whitelabel', httpUrl);
  const apiKey = r.requiredIf(set, 'WHITELABEL_API_KEY', credential, when);
  const whitelabelWebhookSecret = secrets.read('WHITELABEL_WEBHOOK_SECRET', set, when);
  return { side: { apiUrl, apiKey }, whitelabelWebhookSecret };
}

/** `WHITELABEL_SIGNATURE_HEADER`, `…_SIGNED_PAYLOAD`, `…_ASSIGNEES`, `…_BODY_LIMIT`, completing `side`. */
export function readWhitelabelEvents(r: EnvReader, side: ReturnType<typeof readWhitelabelSide>['side']) {
  const signatureHeader = r.withDefault('WHITELABEL_SIGNATURE_HEADER', headerName, DEFAULT_WHITELABEL_SIGNATURE_HEADER);
  const payload = r.withDefault('WHITELABEL_SIGNED_PAYLOAD', signedPayload, 'timestamp.body');
  const assignees = r.withDefault('WHITELABEL_ASSIGNEES', whitelabelAssigneesSchema, '{}');
  const whitelabelWebhook = {
    signatureHeader,
    signedPayload: payload,
    // Events carry the whole ticket (every reply), so they get their own, larger limit. Only a
    // notification goes on to Temporal (the workflow reads the ticket back), so 1 MB is plenty.
    bodyLimitBytes: r.withDefault('WHITELABEL_BODY_LIMIT', byteSize, '1mb'),
  };
  const { apiUrl, apiKey } = side;
  const whitelabel: WhitelabelConfig | null =
    apiUrl !== undefined && apiKey !== undefined && assignees !== undefined ? { apiUrl, apiKey, assignees } : null;
  return { whitelabel, whitelabelWebhook };
}
