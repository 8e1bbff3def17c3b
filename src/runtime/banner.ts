/**
 * What `npm start` prints once everything runs: which remotes are real and which simulated,
 * where to look (the Temporal UI, the API, the CLI and the `export` line they need), in a
 * sandbox the quick tour (../sandbox/tour.ts), and the docs to read on. Every command in it
 * works pasted, in order, into a shell in the project's directory
 * (test/runtime/quick-tour.test.ts does exactly that).
 */
import type { Side } from '../config/sides';
import type { SideMode } from './remotes';
import { renderTour, type TourSection } from '../sandbox/tour';

export interface BannerInput {
  apiUrl: string;
  sides: Record<Side, SideMode>;
  /** The real remotes' URLs (not secrets), shown beside them. */
  realUrls: Partial<Record<Side, string>>;
  /** `CRM=freshdesk`: its row stands where Zendesk's would, real (with its URL) or simulated. */
  freshdesk?: { mode: Exclude<SideMode, 'absent'>; url?: string };
  temporal: { description: string; uiUrl?: string; namespace: string };
  /**
   * The ops token when this process generated it (a sandbox's: shown, that is how the player
   * gets it); null when it came from the environment, a secret someone chose: never printed.
   */
  generatedOpsToken: string | null;
  /** The sandbox's state files, when it runs. */
  sandboxFiles?: { state: string; secrets: string };
  tour: TourSection[];
}

/**
 * The pages a first run needs next (the README's "Read on" has them all): running the bridge,
 * and turning simulated sides into real ones. Worded for any helpdesk: a Freshdesk bridge's
 * banner names no Zendesk (test/runtime/npm-start-configs.test.ts).
 */
const READ_ON: ReadonlyArray<readonly [page: string, what: string]> = [
  ['docs/operating.md', 'the Temporal UI, the CLI, the ops API, metrics and logs'],
  ['docs/configuration.md', 'every variable, and connecting each remote (its URL and credentials)'],
];

const SIDE_NAMES: Record<Side, string> = { connect: 'Connect API', zendesk: 'Zendesk', whitelabel: 'white-label platform' };
const FRESHDESK = 'Freshdesk';

export function temporalUiLink(uiUrl: string, namespace: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent('WorkflowType="ticketWorkflow"')}`;
}

export function exportLine(apiUrl: string, generatedOpsToken: string | null): string {
  return generatedOpsToken
    ? `export OPS_API_URL=${apiUrl} OPS_API_TOKEN=${generatedOpsToken}`
    : `export OPS_API_URL=${apiUrl}    # and OPS_API_TOKEN: the token this bridge was started with`;
}

export function banner(input: BannerInput): string {
  const { apiUrl, sides, temporal } = input;
  const width = Math.max(...Object.values(SIDE_NAMES).map((n) => n.length), 'Temporal'.length) + 2;
  const row = (name: string, what: string) => `    ${name.padEnd(width)}${what}`;
  const describe = (sideMode: SideMode, url: string | undefined) => {
    switch (sideMode) {
      case 'real':
        return `real: ${url ?? ''}`.trimEnd();
      case 'simulated':
        return 'simulated in this process (sandbox)';
      case 'absent':
        return 'not configured';
    }
  };
  const mode = (side: Side) => describe(sides[side], input.realUrls[side]);
  const lines = [
    '',
    `  ticket-bridge is running: its API on ${apiUrl}`,
    '',
    ...(['connect', 'whitelabel'] as const).map((side) => row(SIDE_NAMES[side], mode(side))),
    input.freshdesk ? row(FRESHDESK, describe(input.freshdesk.mode, input.freshdesk.url)) : row(SIDE_NAMES.zendesk, mode('zendesk')),
    row('Temporal', temporal.description),
    ...(input.sandboxFiles ? [row('', `sandbox state in ${input.sandboxFiles.state}, its secrets in ${input.sandboxFiles.secrets}`)] : []),
    '',
    '  Where to look:',
    ...(temporal.uiUrl ? ['    Temporal UI (every ticket is a workflow):', `      ${temporalUiLink(temporal.uiUrl, temporal.namespace)}`] : []),
    `    The API (all its routes: ${apiUrl}/openapi.json) and the CLI (npx ticket-bridge, from this directory) read:`,
    `      ${exportLine(apiUrl, input.generatedOpsToken)}`,
  ];
  if (input.tour.length > 0) {
    lines.push('', '  A quick tour (the README has it too): paste the export line above, then these, in order.', '');
    lines.push(...renderTour(input.tour).split('\n').map((l) => (l === '' ? '' : `    ${l}`)));
  } else {
    lines.push('      npx ticket-bridge list');
  }
  const pageWidth = Math.max(...READ_ON.map(([page]) => page.length)) + 2;
  lines.push('', '  Read on, in this directory:', ...READ_ON.map(([page, what]) => `    ${page.padEnd(pageWidth)}${what}`));
  return `${lines.join('\n')}\n\n`;
}
