/**
 * The source and CRM adapters a deployment's configuration describes.
 */
import type { ActivityDeps } from '../activities';
import { ConnectSource } from '../adapters/connect';
import { assigneeResolver, WhitelabelSource } from '../adapters/whitelabel';
import { ZendeskCrm } from '../adapters/zendesk';
import type { Config } from '../config';

/**
 * The configured ports, or null when Connect or Zendesk is not configured (the sandbox then
 * supplies them). The white-label source is optional: without `WHITELABEL_API_URL` it is left
 * out (its tickets' activities then fail as 'source-not-configured').
 */
export function portsFromConfig(config: Config): ActivityDeps | null {
  if (!config.connect || !config.zendesk) return null;
  const whitelabel = config.whitelabel;
  return {
    sources: {
      connect: new ConnectSource({ baseUrl: config.connect.apiUrl, apiKey: config.connect.apiKey }),
      whitelabel: whitelabel ? new WhitelabelSource({ baseUrl: whitelabel.apiUrl, apiKey: whitelabel.apiKey }) : undefined,
    },
    crm: new ZendeskCrm({ baseUrl: config.zendesk.apiUrl, email: config.zendesk.email, apiToken: config.zendesk.apiToken }),
    assignees: whitelabel ? { whitelabel: assigneeResolver(whitelabel.assignees) } : {},
  };
}
