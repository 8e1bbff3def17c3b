/**
 * A sandbox or a deployment. Without any remote configured, `npm start` runs a sandbox of
 * in-process simulators (src/sandbox); with some, the configuration must make a working
 * deployment: a helpdesk and at least one ticket source. A partial one is refused, naming the
 * missing variables, never silently turned into a sandbox. `SANDBOX=true` asks for simulators
 * of the sides left unconfigured anyway.
 */
import { z } from 'zod';
import type { EnvReader } from './env-reader';
import { FRESHDESK_VARIABLES, type CrmKind } from './freshdesk';
import { SIDE_VARIABLES, sideVariables, type Side } from './sides';
import { directory } from './values';

/**
 * The condition under which real tickets flow (any remote is real), as the messages of the
 * variables it makes required say it.
 */
export const WHEN_REAL_TICKETS = 'when CONNECT_API_URL, ZENDESK_API_URL, FRESHDESK_URL or WHITELABEL_API_URL is set';

/** `DATA_DIR`: where `npm start` keeps the dev server's SQLite file and the sandbox's state. */
export const readDataDir = (r: EnvReader): string | undefined => r.withDefault('DATA_DIR', directory, '.ticket-bridge');

/** `SANDBOX=1`, `true`, `0`, `false`. */
const flag = z.enum(['1', '0', 'true', 'false'], { error: 'must be 1 or 0 (true or false)' }).transform((v) => v === '1' || v === 'true');

/** `SANDBOX`; unset: a sandbox exactly when no real tickets flow. `off`: explicitly `SANDBOX=0`. */
export function readSandbox(r: EnvReader, realTickets: boolean): { sandbox: boolean; off: boolean } {
  const sandboxFlag = r.optional('SANDBOX', flag);
  return { sandbox: sandboxFlag ?? !realTickets, off: sandboxFlag === false };
}

const SIMULATE_HINT = 'SANDBOX=1 simulates the sides not configured';

/**
 * Without simulators, the configured sides must make a bridge: the helpdesk, and a source
 * feeding it. Each missing variable is named (one already reported, e.g. a URL missing beside
 * its credentials, only once).
 */
export function requireWorkingDeployment(r: EnvReader, configured: readonly Side[], sandboxOff: boolean, crm: CrmKind, freshdeskSet: boolean): void {
  const report = (variable: string, message: string) => {
    if (!r.issues.some((i) => i.variable === variable)) r.issues.push({ variable, message });
  };
  const crmSet = crm === 'zendesk' ? configured.includes('zendesk') : freshdeskSet;
  if (configured.length === 0 && !freshdeskSet) {
    if (sandboxOff) {
      report(
        'SANDBOX',
        'is off but no remote is configured: set ZENDESK_API_URL (or FRESHDESK_URL) and CONNECT_API_URL or WHITELABEL_API_URL (with their credentials), or unset SANDBOX',
      );
    }
    return;
  }
  const sources = configured.filter((side) => side !== 'zendesk');
  if (sources.length > 0 && !crmSet) {
    const when = `when ${sources.map((s) => SIDE_VARIABLES[s].url).join(' or ')} is set`;
    const variables = crm === 'zendesk' ? sideVariables('zendesk') : FRESHDESK_VARIABLES;
    const name = crm === 'zendesk' ? 'Zendesk' : 'Freshdesk (CRM=freshdesk)';
    for (const variable of variables) {
      if (!r.isSet(variable)) report(variable, `is required ${when}: tickets go to ${name} (${SIMULATE_HINT})`);
    }
  }
  if (sources.length === 0) {
    const missing = (side: Side) => sideVariables(side).filter((v) => !r.isSet(v)).join(', ');
    const crmUrl = crm === 'zendesk' ? 'ZENDESK_API_URL' : 'FRESHDESK_URL';
    report(
      'CONNECT_API_URL or WHITELABEL_API_URL',
      `a ticket source is required when ${crmUrl} is set: Connect (${missing('connect')}) or the white-label platform (${missing('whitelabel')}) (${SIMULATE_HINT})`,
    );
  }
}
