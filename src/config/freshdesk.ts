/**
 * The helpdesk (issue 20): Zendesk (./zendesk.ts) or Freshdesk, one of them (`CRM`), and
 * Freshdesk's own variables.
 */
import { z } from 'zod';
import { parseFreshdeskStatusMap, type FreshdeskStatusMap } from '../adapters/freshdesk/statuses';
import type { EnvReader } from './env-reader';
import { inboundSecret } from './inbound-secrets';
import { sideVariables } from './sides';
import { credential, hostPatternList, httpUrl, parsedWith } from './values';

/** The helpdesks the bridge can write tickets to (`CRM`). */
export const CRM_KINDS = ['zendesk', 'freshdesk'] as const;
export type CrmKind = (typeof CRM_KINDS)[number];
/** Each helpdesk's name as people read it (the workflow's `crmName`, the CLI, the banner). */
export const CRM_NAMES: Readonly<Record<CrmKind, string>> = { zendesk: 'Zendesk', freshdesk: 'Freshdesk' };

export interface FreshdeskConfig {
  /** `https://{domain}.freshdesk.com/api/v2`, without a trailing slash. */
  apiUrl: string;
  apiKey: string;
  /** `FRESHDESK_EXTERNAL_ID_FIELD`: the custom ticket field (`cf_…`) holding the bridge's id. */
  externalIdField: string;
  /** `FRESHDESK_STATUS_MAP` over the built-in statuses; null: the built-in ones (2 to 5). */
  statuses: FreshdeskStatusMap | null;
  /** `FRESHDESK_ATTACHMENT_HOSTS`: hosts files may come from besides the account's and Freshdesk's storage. */
  attachmentHosts: readonly string[];
}

/** The helpdesk chosen, and Freshdesk's settings when it is the one. */
export interface HelpdeskChoice {
  crm: CrmKind;
  /** null unless `crm` is freshdesk and `FRESHDESK_URL` is set; `CRM=freshdesk` in a sandbox without it: simulated. */
  freshdesk: FreshdeskConfig | null;
  /**
   * `FRESHDESK_WEBHOOK_TOKEN`: the secret in the automation webhook's URL; null without Freshdesk
   * (generated, like the other inbound secrets, for a sandbox's simulated Freshdesk).
   */
  freshdeskWebhookToken: string | null;
}

/** Freshdesk's variables, in documented order (the CRM when `CRM=freshdesk`). */
export const FRESHDESK_VARIABLES = ['FRESHDESK_URL', 'FRESHDESK_API_KEY', 'FRESHDESK_WEBHOOK_TOKEN', 'FRESHDESK_EXTERNAL_ID_FIELD'] as const;

const crmKind = z.enum(CRM_KINDS, { error: `must be one of ${CRM_KINDS.join(', ')}` });

const freshdeskUrl = httpUrl.refine((u) => u.endsWith('/api/v2'), {
  error: 'must end with /api/v2 (e.g. https://acme.freshdesk.com/api/v2)',
});

/** A custom ticket field's API name: `cf_` and lower-case letters, digits, underscores. */
const customFieldName = z.string().regex(/^cf_[a-z0-9_]{1,60}$/, { error: 'must be a custom field name like cf_ticket_bridge_id (as the Freshdesk API names it)' });

const freshdeskStatusMap = parsedWith(
  parseFreshdeskStatusMap,
  'must be number=status pairs like 6=hold,7=pending (status one of new, open, pending, hold, solved, closed), comma-separated',
);

/**
 * `CRM` and, when it is Freshdesk, its variables: all or nothing, like every side. The other
 * helpdesk's variables set anyway are an error (they would be silently ignored). In a sandbox,
 * `CRM=freshdesk` without any of Freshdesk's variables simulates Freshdesk (`npm start` runs
 * the simulator instead of Zendesk's), with a generated webhook token.
 */
export function readCrmChoice(r: EnvReader, zendeskSet: boolean, sandbox: boolean, generatedToken: () => string | undefined): HelpdeskChoice {
  const freshdeskSet = r.isSet('FRESHDESK_URL');
  const chosen = r.optional('CRM', crmKind);
  const crm: CrmKind = chosen ?? (freshdeskSet && !zendeskSet ? 'freshdesk' : 'zendesk');
  const freshdeskVars = FRESHDESK_VARIABLES.filter((v) => r.isSet(v));
  if (crm === 'zendesk') {
    if (freshdeskVars.length > 0) {
      const why = chosen ? 'CRM is zendesk' : 'ZENDESK_API_URL is set too';
      r.issues.push({ variable: freshdeskVars[0]!, message: `is set but ${why}: the bridge writes to one helpdesk; set CRM=freshdesk (and unset the ZENDESK_ variables) or unset ${freshdeskVars.join(', ')}` });
    }
    return { crm, freshdesk: null, freshdeskWebhookToken: null };
  }
  const zendeskVars = sideVariables('zendesk').filter((v) => r.isSet(v));
  if (zendeskVars.length > 0) r.issues.push({ variable: zendeskVars[0]!, message: `is set but CRM is freshdesk: unset ${zendeskVars.join(', ')}` });
  const when = 'when FRESHDESK_URL is set';
  if (!freshdeskSet && freshdeskVars.length > 0) {
    r.issues.push({ variable: 'FRESHDESK_URL', message: `is required when ${freshdeskVars.join(' or ')} is set (a side is configured completely or not at all)` });
  }
  const apiUrl = r.optional('FRESHDESK_URL', freshdeskUrl);
  const apiKey = r.requiredIf(freshdeskSet, 'FRESHDESK_API_KEY', credential, when);
  // A sandbox with none of Freshdesk's variables simulates it; the automation's token is generated.
  const simulated = sandbox && !freshdeskSet && freshdeskVars.length === 0;
  const webhookToken = simulated ? generatedToken() : r.requiredIf(freshdeskSet, 'FRESHDESK_WEBHOOK_TOKEN', inboundSecret, when);
  const externalIdField = r.requiredIf(freshdeskSet, 'FRESHDESK_EXTERNAL_ID_FIELD', customFieldName, `${when} (the custom ticket field the bridge's id goes in)`);
  const statuses = r.optional('FRESHDESK_STATUS_MAP', freshdeskStatusMap) ?? null;
  const attachmentHosts = r.optional('FRESHDESK_ATTACHMENT_HOSTS', hostPatternList) ?? [];
  const freshdesk = apiUrl !== undefined && apiKey !== undefined && externalIdField !== undefined ? { apiUrl, apiKey, externalIdField, statuses, attachmentHosts } : null;
  return { crm, freshdesk, freshdeskWebhookToken: webhookToken ?? null };
}
