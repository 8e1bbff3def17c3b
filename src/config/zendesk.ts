/** Zendesk: the default helpdesk (its REST API, and the webhooks it signs). */
import { z } from 'zod';
import type { EnvReader } from './env-reader';
import type { InboundSecrets } from './inbound-secrets';
import { readSideUrl, whenSideSet } from './sides';
import { credential, httpUrl } from './values';

export interface ZendeskConfig {
  /** `https://{subdomain}.zendesk.com/api/v2`, without a trailing slash. */
  apiUrl: string;
  email: string;
  apiToken: string;
}

const zendeskUrl = httpUrl.refine((u) => u.endsWith('/api/v2'), {
  error: 'must end with /api/v2 (e.g. https://acme.zendesk.com/api/v2)',
});

const emailAddress = z.email({ error: 'must be an email address' });

/** `ZENDESK_API_URL`, `ZENDESK_EMAIL`, `ZENDESK_API_TOKEN`, `ZENDESK_WEBHOOK_SECRET`; `set`: the URL is set. */
export function readZendesk(r: EnvReader, secrets: InboundSecrets, set: boolean) {
  const when = whenSideSet('zendesk');
  const apiUrl = readSideUrl(r, 'zendesk', zendeskUrl);
  const email = r.requiredIf(set, 'ZENDESK_EMAIL', emailAddress, when);
  const apiToken = r.requiredIf(set, 'ZENDESK_API_TOKEN', credential, when);
  const zendeskWebhookSecret = secrets.read('ZENDESK_WEBHOOK_SECRET', set, when);
  const zendesk: ZendeskConfig | null =
    apiUrl !== undefined && email !== undefined && apiToken !== undefined ? { apiUrl, email, apiToken } : null;
  return { zendesk, zendeskWebhookSecret };
}
