/**
 * The source and CRM adapters a deployment's configuration describes.
 */
import type { ActivityDeps } from '../activities';
import { ConnectSource } from '../adapters/connect';
import { assigneeResolver, WhitelabelSource } from '../adapters/whitelabel';
import { FreshdeskCrm } from '../adapters/freshdesk';
import { ZendeskCrm } from '../adapters/zendesk';
import type { Config } from '../config';
import type { CrmPort } from '../ports/crm';
import type { BudgetedRemote } from '../config/rate-budgets';

/**
 * Each remote's `fetch` (a worker's: its share of the remote's rate budget, ./rate-budgets.ts);
 * undefined for a remote, or absent altogether: the global fetch.
 */
export type RemoteFetch = (remote: BudgetedRemote, apiUrl: string) => typeof fetch | undefined;
const globalFetch: RemoteFetch = () => undefined;

/** The real remotes the configuration names; a side it does not configure is undefined. */
export interface RealPorts {
  sources: ActivityDeps['sources'];
  crm: ActivityDeps['crm'] | undefined;
  assignees: NonNullable<ActivityDeps['assignees']>;
}

/** The helpdesk `CRM` names, when it is configured (loadConfig allows only one of them). */
export function crmFromConfig(config: Pick<Config, 'zendesk' | 'freshdesk' | 'outbound'>, fetchFor: RemoteFetch = globalFetch): CrmPort | undefined {
  const { zendesk, freshdesk, outbound } = config;
  const allowedAddresses = outbound.allowedAddresses;
  if (freshdesk) {
    const { apiUrl, apiKey, externalIdField, statuses, attachmentHosts } = freshdesk;
    const fetch = fetchFor('freshdesk', apiUrl);
    return new FreshdeskCrm({ baseUrl: apiUrl, apiKey, externalIdField, ...(statuses && { statuses }), downloads: { extraHosts: attachmentHosts, allowedAddresses }, fetch });
  }
  const downloads = { extraHosts: outbound.attachmentHosts.zendesk, allowedAddresses };
  return zendesk
    ? new ZendeskCrm({ baseUrl: zendesk.apiUrl, email: zendesk.email, apiToken: zendesk.apiToken, downloads, fetch: fetchFor('zendesk', zendesk.apiUrl) })
    : undefined;
}

export function realPorts(config: Pick<Config, 'connect' | 'zendesk' | 'freshdesk' | 'whitelabel' | 'outbound'>, fetchFor: RemoteFetch = globalFetch): RealPorts {
  const { connect, whitelabel, outbound } = config;
  const downloads = (side: keyof typeof outbound.attachmentHosts) => ({ extraHosts: outbound.attachmentHosts[side], allowedAddresses: outbound.allowedAddresses });
  return {
    sources: {
      connect: connect
        ? new ConnectSource({ baseUrl: connect.apiUrl, apiKey: connect.apiKey, downloads: downloads('connect'), fetch: fetchFor('connect', connect.apiUrl) })
        : undefined,
      whitelabel: whitelabel
        ? new WhitelabelSource({ baseUrl: whitelabel.apiUrl, apiKey: whitelabel.apiKey, downloads: downloads('whitelabel'), fetch: fetchFor('whitelabel', whitelabel.apiUrl) })
        : undefined,
    },
    crm: crmFromConfig(config, fetchFor),
    assignees: whitelabel ? { whitelabel: assigneeResolver(whitelabel.assignees) } : {},
  };
}

/**
 * The configured ports of a production deployment (the helpdesk and at least one source), or null
 * when the configuration relies on simulators (`config.sandbox`). A source left out is not
 * configured: its tickets' activities fail as 'source-not-configured'.
 */
export function portsFromConfig(config: Config, fetchFor: RemoteFetch = globalFetch): ActivityDeps | null {
  const ports = realPorts(config, fetchFor);
  if (config.sandbox || !ports.crm) return null;
  return { sources: ports.sources, crm: ports.crm, assignees: ports.assignees, attachments: config.attachments, ...withMapping(config) };
}

/** The mapping as activity deps take it: absent rather than null, so no mapping changes nothing. */
export function withMapping(config: Pick<Config, 'mapping'>): Pick<ActivityDeps, 'mapping'> {
  return config.mapping ? { mapping: config.mapping } : {};
}
