/**
 * What `npm start` connects the bridge to: every configured remote for real, and, in sandbox
 * mode (`config.sandbox`), simulators for the sides left unconfigured.
 */
import { join } from 'node:path';
import type { ActivityDeps } from '../activities';
import type { Config } from '../config';
import type { CrmKind } from '../config/freshdesk';
import { SIDES, type Side } from '../config/sides';
import type { Logger } from '../observability/logger';
import { realPorts, withMapping, type RemoteFetch } from './ports';
import { startSandbox, type Sandbox } from '../sandbox/sandbox';
import { sandboxMapping } from '../sandbox/mapping';

export type SideMode = 'real' | 'simulated' | 'absent';

export interface Remotes {
  ports: ActivityDeps;
  /** The simulators, when any side is simulated. */
  sandbox: Sandbox | null;
  sides: Record<Side, SideMode>;
  /** The helpdesk tickets go to (`CRM`), and whether it is real or simulated. */
  helpdesk: { kind: CrmKind; mode: SideMode };
}

/** With `CRM=freshdesk` Zendesk is not used at all: never simulated. */
export function sideModes(config: Pick<Config, 'sandbox' | Side> & Partial<Pick<Config, 'crm'>>): Record<Side, SideMode> {
  const used = (side: Side) => side !== 'zendesk' || config.crm !== 'freshdesk';
  return Object.fromEntries(SIDES.map((side) => [side, config[side] ? 'real' : config.sandbox && used(side) ? 'simulated' : 'absent'])) as Record<Side, SideMode>;
}

/** The helpdesk in use: Zendesk as its side says; Freshdesk real when configured, else simulated in a sandbox. */
export function helpdeskMode(config: Pick<Config, 'sandbox' | Side | 'crm' | 'freshdesk'>): Remotes['helpdesk'] {
  if (config.crm === 'zendesk') return { kind: 'zendesk', mode: sideModes(config).zendesk };
  return { kind: 'freshdesk', mode: config.freshdesk ? 'real' : config.sandbox ? 'simulated' : 'absent' };
}

/** `fetchFor`: the real remotes' requests through the worker's rate budgets (./rate-budgets.ts). */
export async function provideRemotes(config: Config, logger: Logger, fetchFor?: RemoteFetch): Promise<Remotes> {
  const sides = sideModes(config);
  const helpdesk = helpdeskMode(config);
  const real = realPorts(config, fetchFor);
  if (!config.sandbox) {
    // loadConfig refuses a production configuration without its helpdesk.
    return { ports: { sources: real.sources, crm: real.crm!, assignees: real.assignees, attachments: config.attachments, ...withMapping(config) }, sandbox: null, sides, helpdesk };
  }
  const simulate = { connect: sides.connect === 'simulated', helpdesk: helpdesk.mode === 'simulated', whitelabel: sides.whitelabel === 'simulated' };
  const sandbox = await startSandbox({ stateFile: join(config.dataDir, 'sandbox.json'), logger, simulate, helpdesk: helpdesk.kind });
  const sim = sandbox.ports;
  return {
    ports: {
      sources: { connect: real.sources.connect ?? sim.sources.connect, whitelabel: real.sources.whitelabel ?? sim.sources.whitelabel },
      crm: real.crm ?? sim.crm,
      // The sandbox's teammate maps to the simulated helpdesk's agent: only when both are simulated.
      assignees: config.whitelabel ? real.assignees : simulate.helpdesk ? (sim.assignees ?? {}) : {},
      attachments: config.attachments,
      // The sandbox's example mapping names the simulated Zendesk's ids: only for that one.
      ...withMapping({ mapping: config.mapping ?? (simulate.helpdesk && helpdesk.kind === 'zendesk' ? sandboxMapping() : null) }),
    },
    sandbox,
    sides,
    helpdesk,
  };
}
