/**
 * The source and CRM adapters a deployment's configuration describes.
 */
import type { ActivityDeps } from '../activities';
import { ConnectSource } from '../adapters/connect';
import { assigneeResolver, WhitelabelSource } from '../adapters/whitelabel';
import { ZendeskCrm } from '../adapters/zendesk';
import type { Config } from '../config';

/** The real remotes the configuration names; a side it does not configure is undefined. */
export interface RealPorts {
  sources: ActivityDeps['sources'];
  crm: ActivityDeps['crm'] | undefined;
  assignees: NonNullable<ActivityDeps['assignees']>;
}

export function realPorts(config: Pick<Config, 'connect' | 'zendesk' | 'whitelabel' | 'outbound'>): RealPorts {
  const { connect, zendesk, whitelabel, outbound } = config;
  const downloads = (side: keyof typeof outbound.attachmentHosts) => ({ extraHosts: outbound.attachmentHosts[side], allowedAddresses: outbound.allowedAddresses });
  return {
    sources: {
      connect: connect ? new ConnectSource({ baseUrl: connect.apiUrl, apiKey: connect.apiKey, downloads: downloads('connect') }) : undefined,
      whitelabel: whitelabel ? new WhitelabelSource({ baseUrl: whitelabel.apiUrl, apiKey: whitelabel.apiKey, downloads: downloads('whitelabel') }) : undefined,
    },
    crm: zendesk ? new ZendeskCrm({ baseUrl: zendesk.apiUrl, email: zendesk.email, apiToken: zendesk.apiToken, downloads: downloads('zendesk') }) : undefined,
    assignees: whitelabel ? { whitelabel: assigneeResolver(whitelabel.assignees) } : {},
  };
}

/**
 * The configured ports of a production deployment (Zendesk and at least one source), or null
 * when the configuration relies on simulators (`config.sandbox`). A source left out is not
 * configured: its tickets' activities fail as 'source-not-configured'.
 */
export function portsFromConfig(config: Config): ActivityDeps | null {
  const ports = realPorts(config);
  if (config.sandbox || !ports.crm) return null;
  return { sources: ports.sources, crm: ports.crm, assignees: ports.assignees, attachments: config.attachments, ...withMapping(config) };
}

/** The mapping as activity deps take it: absent rather than null, so no mapping changes nothing. */
export function withMapping(config: Pick<Config, 'mapping'>): Pick<ActivityDeps, 'mapping'> {
  return config.mapping ? { mapping: config.mapping } : {};
}
