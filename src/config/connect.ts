/** The Connect API: a ticket source (its REST API, and the webhooks it sends with an `auth_token`). */
import type { EnvReader } from './env-reader';
import type { InboundSecrets } from './inbound-secrets';
import { readSideUrl, whenSideSet } from './sides';
import { credential, httpUrl } from './values';

export interface ConnectConfig {
  apiUrl: string;
  apiKey: string;
}

/** `CONNECT_API_URL`, `CONNECT_API_KEY`, `CONNECT_WEBHOOK_TOKEN`; `set`: the URL is set. */
export function readConnect(r: EnvReader, secrets: InboundSecrets, set: boolean) {
  const when = whenSideSet('connect');
  const apiUrl = readSideUrl(r, 'connect', httpUrl);
  const apiKey = r.requiredIf(set, 'CONNECT_API_KEY', credential, when);
  const connectWebhookToken = secrets.read('CONNECT_WEBHOOK_TOKEN', set, when);
  const connect: ConnectConfig | null = apiUrl !== undefined && apiKey !== undefined ? { apiUrl, apiKey } : null;
  return { connect, connectWebhookToken };
}
