/**
 * The sandbox's helpdesk: the simulated Zendesk (the default) or Freshdesk (`CRM=freshdesk`),
 * behind what the play routes need of it: the agent's actions in the helpdesk's own words (its
 * statuses, replies and notes), the ticket the bridge created for a source ticket, and a view of
 * it for the "look at both sides" routes, under the helpdesk's name (`zendesk` or `freshdesk`).
 */
import type { CrmKind } from '../config/freshdesk';
import type { FreshdeskSimulator } from '../simulators/freshdesk';
import type { WebhookOutbox } from '../simulators/common/webhooks';
import type { ZendeskSimulator } from '../simulators/zendesk';
import type { ZdTicket } from '../simulators/zendesk/store';
import { zendeskView } from './views';

/** How each helpdesk names itself and its statuses (what the play routes, their docs and the tour say). */
export interface HelpdeskTerms {
  kind: CrmKind;
  /** As people write it: `Zendesk`, `Freshdesk`. */
  name: string;
  /** The statuses an agent sets in the play routes, in the helpdesk's words, `closed` among them. */
  agentStatuses: readonly [string, ...string[]];
  /** What an agent sets to solve a ticket (`solved`, `resolved`). */
  solvedStatus: string;
}

export const HELPDESK_TERMS: Record<CrmKind, HelpdeskTerms> = {
  zendesk: { kind: 'zendesk', name: 'Zendesk', agentStatuses: ['open', 'pending', 'hold', 'solved', 'closed'], solvedStatus: 'solved' },
  freshdesk: { kind: 'freshdesk', name: 'Freshdesk', agentStatuses: ['open', 'pending', 'resolved', 'closed'], solvedStatus: 'resolved' },
};

export interface SandboxHelpdesk extends HelpdeskTerms {
  /** The agent the sandbox maps the white-label teammate to. */
  agentId: number;
  /** Its automation or trigger webhooks, which the "both sides" routes wait for. */
  webhooks: Pick<WebhookOutbox<unknown>, 'emitted' | 'inFlightCount'>;
  /** The helpdesk ticket with the bridge's id (`connect:T-1001`); undefined until the bridge created it. */
  ticketIdByExternalId(externalId: string): number | undefined;
  /** The bridge's id of one of its tickets (undefined when it is not one); null when there is no such ticket. */
  externalIdOf(ticketId: number): string | undefined | null;
  status(ticketId: number): string;
  /** Every message on the ticket, as text (what the user wrote appears in one of them). */
  texts(ticketId: number): string[];
  /** Why the ticket takes no more changes; null when it does. */
  refusesChanges(ticketId: number): string | null;
  agentReplies(ticketId: number, body: string, opts: { public: boolean; status?: string }): Promise<{ commentId: number; public: boolean }>;
  agentSetsStatus(ticketId: number, status: string): Promise<void>;
  /** The ticket and its messages, each with who wrote it. */
  view(ticketId: number): object;
}

export function zendeskHelpdesk(zendesk: ZendeskSimulator): SandboxHelpdesk {
  const ticket = (id: number): ZdTicket => zendesk.ticket(id)!;
  return {
    ...HELPDESK_TERMS.zendesk,
    agentId: zendesk.agent.id,
    webhooks: zendesk.webhooks,
    ticketIdByExternalId: (externalId) => zendesk.ticketByExternalId(externalId)?.id,
    externalIdOf: (id) => {
      const t = zendesk.ticket(id);
      return t ? (t.external_id ?? undefined) : null;
    },
    status: (id) => ticket(id).status,
    texts: (id) => zendesk.comments(id).map((c) => c.body),
    refusesChanges: (id) => (ticket(id).status === 'closed' ? 'closed tickets take no more changes' : null),
    agentReplies: async (id, body, opts) => {
      const { comment } = await zendesk.agentReplies(id, body, { public: opts.public, status: opts.status as ZdTicket['status'] | undefined });
      return { commentId: comment.id, public: comment.public };
    },
    agentSetsStatus: async (id, status) => {
      await zendesk.agentSetsStatus(id, status as ZdTicket['status']);
    },
    view: (id) => zendeskView(zendesk, ticket(id)),
  };
}

/** Freshdesk's built-in statuses by the names its agents see. */
const FRESHDESK_STATUSES = { open: 2, pending: 3, resolved: 4, closed: 5 } as const;
type FreshdeskStatusName = keyof typeof FRESHDESK_STATUSES;
const freshdeskStatusName = (status: number): string =>
  (Object.entries(FRESHDESK_STATUSES).find(([, n]) => n === status)?.[0] ?? `custom ${status}`);

export function freshdeskHelpdesk(freshdesk: FreshdeskSimulator): SandboxHelpdesk {
  const ticket = (id: number) => freshdesk.ticket(id)!;
  const externalId = (id: number) => {
    const value = freshdesk.ticket(id)?.custom_fields[freshdesk.externalIdField];
    return typeof value === 'string' ? value : undefined;
  };
  const setStatus = async (id: number, status: string) => {
    await freshdesk.agentSetsStatus(id, FRESHDESK_STATUSES[status as FreshdeskStatusName]);
  };
  return {
    ...HELPDESK_TERMS.freshdesk,
    agentId: freshdesk.agent.id,
    webhooks: freshdesk.webhooks,
    ticketIdByExternalId: (id) => freshdesk.ticketByExternalId(id)?.id,
    externalIdOf: (id) => (freshdesk.ticket(id) ? externalId(id) : null),
    status: (id) => freshdeskStatusName(ticket(id).status),
    // The description is the opening message; the conversations' text is rendered from HTML.
    texts: (id) => [ticket(id).description_text, ...freshdesk.conversations(id).map((c) => c.body_text)],
    // A closed Freshdesk ticket is writable (the bridge opens a follow-up when its user writes again).
    refusesChanges: () => null,
    agentReplies: async (id, body, opts) => {
      const { conversation } = await freshdesk.agentReplies(id, body, { private: !opts.public });
      // The agent UI's "send and set as": the reply, then the status.
      if (opts.status !== undefined) await setStatus(id, opts.status);
      return { commentId: conversation.id, public: !conversation.private };
    },
    agentSetsStatus: setStatus,
    view: (id) => {
      const t = ticket(id);
      const author = (userId: number) => (userId === freshdesk.apiAgent.id ? 'bridge' : freshdesk.user(userId)?.role === 'agent' ? 'agent' : 'requester');
      return {
        id: t.id,
        status: freshdeskStatusName(t.status),
        responderId: t.responder_id,
        tags: t.tags,
        description: { author: author(t.requester_id), body: t.description_text },
        conversations: freshdesk.conversations(id).map((c) => ({
          id: c.id,
          author: author(c.user_id),
          authorId: c.user_id,
          public: !c.private,
          incoming: c.incoming,
          body: c.body_text,
        })),
      };
    },
  };
}
