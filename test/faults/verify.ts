/**
 * The end-of-run check of a fault track, whichever the helpdesk: each ticket's two sides as the
 * simulators hold them, against what its people wrote. Counts what the suite promises is zero:
 * lost, duplicated and echoed comments, notes leaked to the app, and stuck tickets (a workflow
 * not completed, or parked). The helpdesk is seen through `HelpdeskSide`, so the same rules
 * apply to Zendesk's comments and Freshdesk's description and conversations.
 */

import type { HelpdeskMessage as ReadMessage } from '../support/helpdesks';

/** One message on the helpdesk ticket, the opening one included, with who wrote it (as `Helpdesk.messages` reads it). */
export type HelpdeskMessage = Pick<ReadMessage, 'author' | 'public' | 'text'>;

/** The helpdesk's side of one source ticket. */
export interface HelpdeskSide {
  /** Tickets carrying the bridge's id (1, or a duplicate create). */
  copies: number;
  /** Its status, in the bridge's words (`solved`, `closed`, …); undefined without a ticket. */
  status: string | undefined;
  messages: HelpdeskMessage[];
}

/** What the people of one ticket did, and where it must end. */
export interface TicketScript {
  label: string;
  description: string;
  userComments: string[];
  agentReplies: string[];
  notes: string[];
  /** The final statuses: the app's and the helpdesk's (bridge words). */
  expected: { app: string; helpdesk: string };
}

export interface TicketObserved {
  helpdesk: HelpdeskSide;
  app: { status: string | undefined; comments: Array<{ author: string; message: string }> };
  workflow: { completed: boolean; parked: number };
}

export interface Tally {
  tickets: number;
  lost: number;
  duplicated: number;
  echoed: number;
  notesLeaked: number;
  stuck: number;
  wrongStatus: number;
  problems: string[];
}

export const emptyTally = (): Tally => ({ tickets: 0, lost: 0, duplicated: 0, echoed: 0, notesLeaked: 0, stuck: 0, wrongStatus: 0, problems: [] });

/**
 * Texts compared word for word, whitespace aside: a helpdesk that stores HTML (Freshdesk) renders
 * line breaks and spaces its own way, and the bridge mirrors what it reads.
 */
export const sameText = (a: string, b: string) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();

export function verifyTicket(script: TicketScript, seen: TicketObserved, tally: Tally): void {
  const problem = (what: string) => {
    if (tally.problems.length < 50) tally.problems.push(`${script.label}: ${what}`);
  };
  tally.tickets++;
  const { helpdesk, app } = seen;
  if (helpdesk.copies !== 1) {
    tally.duplicated += Math.max(0, helpdesk.copies - 1);
    if (helpdesk.copies === 0) tally.lost++;
    problem(`${helpdesk.copies} helpdesk tickets`);
  }

  // The helpdesk: the description once, each user comment once as the requester's public
  // message, the agents' own messages untouched, nothing else (an echo of the bridge's writes).
  const on = (text: string) => helpdesk.messages.filter((m) => sameText(m.text, text));
  if (on(script.description).length !== 1) problem(`description ${on(script.description).length}× in the helpdesk`);
  for (const text of script.userComments) {
    const found = on(text);
    if (found.length === 0) (tally.lost++, problem(`user comment lost in the helpdesk: ${text}`));
    if (found.length > 1) (tally.duplicated += found.length - 1, problem(`user comment ${found.length}× in the helpdesk`));
    if (found.some((m) => !m.public || m.author !== 'requester')) problem('user comment not the requester\'s public message');
  }
  for (const text of [...script.agentReplies, ...script.notes]) if (on(text).length !== 1) problem(`agent's own message ${on(text).length}× in the helpdesk`);
  const known = [script.description, ...script.userComments, ...script.agentReplies, ...script.notes];
  for (const m of helpdesk.messages.filter((m) => !known.some((k) => sameText(k, m.text)))) {
    tally.echoed++;
    problem(`unexpected helpdesk message by ${m.author}${m.public ? '' : ' (note)'}: ${m.text.slice(0, 80)}`);
  }

  // The app: each agent reply once as SUPPORT, no internal note, nothing else from support.
  for (const text of script.agentReplies) {
    const found = app.comments.filter((c) => sameText(c.message, text));
    if (found.length === 0) (tally.lost++, problem(`agent reply lost in the app: ${text}`));
    if (found.length > 1) (tally.duplicated += found.length - 1, problem(`agent reply ${found.length}× in the app`));
    if (found.some((c) => c.author !== 'SUPPORT')) problem('agent reply not authored SUPPORT');
  }
  for (const c of app.comments) {
    if (script.notes.some((n) => c.message.includes(n))) (tally.notesLeaked++, problem('internal note in the app'));
    else if (c.author === 'SUPPORT' && !script.agentReplies.some((r) => sameText(r, c.message))) (tally.echoed++, problem(`unexpected app comment: ${c.message.slice(0, 80)}`));
    else if (c.author !== 'SUPPORT' && !script.userComments.some((u) => sameText(u, c.message))) (tally.echoed++, problem(`unexpected user comment in the app: ${c.message.slice(0, 80)}`));
  }

  if (app.status !== script.expected.app || helpdesk.status !== script.expected.helpdesk) {
    tally.wrongStatus++;
    problem(`statuses app ${app.status} / helpdesk ${helpdesk.status}, expected ${script.expected.app} / ${script.expected.helpdesk}`);
  }
  if (!seen.workflow.completed || seen.workflow.parked > 0) {
    tally.stuck++;
    problem(`workflow ${seen.workflow.completed ? 'completed' : 'not completed'}, ${seen.workflow.parked} parked`);
  }
}
