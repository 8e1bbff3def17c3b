/**
 * The quick tour `npm start` prints in a sandbox, and the README shows: every sandbox action,
 * in an order that works pasted in one go (a route waits for what the bridge must do first; see
 * ./play.ts). Commands read the API's address and the ops token from `OPS_API_URL` and
 * `OPS_API_TOKEN`, the variables the CLI reads too, so one `export` line serves all of them and
 * the tour reads the same whatever the port. test/runtime/quick-tour.test.ts runs it against a
 * real `npm start` and checks the README against `renderTour`.
 */

import { HELPDESK_TERMS, type HelpdeskTerms } from './helpdesk';

/** The ids the tour's tickets will get: the simulators' next ones (they hand them out in order). */
export interface TourIds {
  /** The app ticket that is reopened ("no, not resolved"), then deleted: T-1001 in a new sandbox. */
  connectTicket: string;
  /** The app ticket that is closed ("yes, resolved"): the one after it. */
  closedTicket: string;
  /** The white-label ticket. */
  platformTicket: string;
}

/** Which sides are simulated: a tour section plays only sides that are. */
export interface TourSides {
  connect: boolean;
  /** The helpdesk (Zendesk or Freshdesk). */
  helpdesk: boolean;
  whitelabel: boolean;
}

export interface TourSection {
  /** Shown as a `# ` comment line above the commands. */
  title: string;
  commands: string[];
}

/** The tour a new sandbox on the default port prints, as the README shows it. */
export const README_TOUR_IDS: TourIds = {
  connectTicket: 'T-1001',
  closedTicket: 'T-1002',
  platformTicket: '00000000-0000-4000-8000-000000000001',
};

const api = (path: string) => `"$OPS_API_URL${path}"`;
const post = (path: string, body?: unknown) => `curl -s -XPOST ${api(path)}${body === undefined ? '' : ` -d '${JSON.stringify(body)}'`}`;
const get = (path: string) => `curl -s ${api(path)}`;

/**
 * The tour of a sandbox with these sides simulated, its agent in `helpdesk` (Zendesk by default:
 * the README's; on Freshdesk the same actions in its words, without the Zendesk example mapping).
 */
export function tourSections(ids: TourIds, sides: TourSides, helpdesk: HelpdeskTerms = HELPDESK_TERMS.zendesk): TourSection[] {
  const { connectTicket: t, closedTicket: d, platformTicket: w } = ids;
  const { name, solvedStatus: solved } = helpdesk;
  const mapped = helpdesk.kind === 'zendesk' ? ", routed by the sandbox's example mapping (its tenant's brand, group, tags and custom fields: see both sides below)" : '';
  const sections: TourSection[] = [];
  if (sides.connect && sides.helpdesk) {
    sections.push(
      {
        title: `The end user opens ticket ${t} in the app (Connect) and comments; the bridge opens it in ${name}${mapped}.`,
        commands: [
          post('/sandbox/user/tickets', { title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' }),
          post(`/sandbox/user/tickets/${t}/comments`, { message: 'Here is a photo of the meter.' }),
        ],
      },
      {
        title: `The agent, in ${name} (a ticket goes by its app id too): a reply reaches the app, an internal note never does; then solves it.`,
        commands: [
          post(`/sandbox/agent/tickets/${t}/replies`, { body: 'Thanks, we are checking it.' }),
          post(`/sandbox/agent/tickets/${t}/replies`, { body: 'Meter swap ordered.', public: false }),
          post(`/sandbox/agent/tickets/${t}/status`, { status: solved }),
        ],
      },
      {
        title: '"Was it resolved?" No, with details: the ticket reopens on both sides.',
        commands: [post(`/sandbox/user/tickets/${t}/resolution`, { resolved: false, details: 'Still doubled today.' })],
      },
      {
        title: `Ticket ${d}: the agent answers and solves it; "was it resolved?" yes: closed on both sides.`,
        commands: [
          post('/sandbox/user/tickets', { title: 'Wrong address', description: 'Please update my address.' }),
          post(`/sandbox/agent/tickets/${d}/replies`, { body: 'Done: your new address is on file.' }),
          post(`/sandbox/agent/tickets/${d}/status`, { status: solved }),
          post(`/sandbox/user/tickets/${d}/resolution`, { resolved: true }),
        ],
      },
      {
        title: `The user deletes ticket ${t}: ${name} keeps it, ${solved}, with an internal note. Both sides of each ticket:`,
        commands: [`curl -s -XDELETE ${api(`/sandbox/user/tickets/${t}`)}`, get(`/sandbox/tickets/${t}`), get(`/sandbox/tickets/${d}`)],
      },
    );
  }
  if (sides.whitelabel && sides.helpdesk) {
    sections.push(
      {
        title:
          `The white-label platform: its client opens ticket ${w} and adds to it; it is assigned to a teammate ` +
          `(the sandbox maps them to the ${name} agent), who answers in the platform; the agent answers in ${name} and solves it.`,
        commands: [
          post('/sandbox/whitelabel/tickets', { title: 'Billing', text: 'My invoice is wrong.' }),
          post(`/sandbox/whitelabel/tickets/${w}/replies`, { text: 'It is the March invoice.' }),
          post(`/sandbox/whitelabel/tickets/${w}/assign`, {}),
          post(`/sandbox/whitelabel/tickets/${w}/teammate-replies`, { text: 'Looking into it.' }),
          post(`/sandbox/agent/tickets/${w}/replies`, { body: 'A corrected invoice is on its way.' }),
          post(`/sandbox/agent/tickets/${w}/status`, { status: solved }),
          get(`/sandbox/whitelabel/tickets/${w}`),
        ],
      },
      { title: "The platform docs' four example events, as the platform sends them:", commands: [post('/sandbox/whitelabel/seed')] },
    );
  }
  const shown = [
    ...(sides.connect && sides.helpdesk ? [`connect ${t}`] : []),
    ...(sides.whitelabel && sides.helpdesk ? [`whitelabel ${w}`] : []),
  ];
  if (shown.length > 0) {
    const workflowId = `ticket/${shown[0]!.replace(' ', '/')}`;
    sections.push({
      title: `The bridge's side: every ticket is a Temporal workflow (${workflowId}); the CLI and the ops API read them.`,
      commands: [
        'npx ticket-bridge list',
        ...shown.map((ticket) => `npx ticket-bridge show ${ticket}`),
        `curl -s -H "authorization: Bearer $OPS_API_TOKEN" ${api(`/tickets/${shown[0]!.replace(' ', '/')}`)}`,
      ],
    });
  }
  return sections;
}

/** A title as `# ` comment lines of at most about 100 characters. */
function commentLines(title: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of title.split(' ')) {
    if (line.length + 1 + word.length > width && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  return [...lines, line];
}

/** The sections as shell text: a `# ` comment line, then the commands; a blank line between sections. */
export function renderTour(sections: readonly TourSection[]): string {
  return sections.map((s) => [...commentLines(s.title), ...s.commands].join('\n')).join('\n\n');
}

/** Every command of the tour, in order (what a person pastes). */
export function tourCommands(sections: readonly TourSection[]): string[] {
  return sections.flatMap((s) => s.commands);
}
