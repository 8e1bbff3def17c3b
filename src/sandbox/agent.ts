/**
 * The sandbox's agent, in the simulated Zendesk: public replies, internal notes, status changes.
 * A ticket is named by its Zendesk id or, simpler, by the id it has at its source (`T-1001`, a
 * white-label UUID): the route then finds the Zendesk ticket the bridge created for it, waiting
 * a few seconds for the bridge if it has not yet.
 *
 * An agent acts on what they have read: before acting, a route also waits (as long, at most)
 * for the bridge to have brought every message of the user's into Zendesk, and acts anyway
 * after that. Pasted in one go, the tour's agent would otherwise answer, or solve, before the
 * user's last comment arrived, which no person does.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { ZendeskSimulator } from '../simulators/zendesk';
import type { ZdTicket } from '../simulators/zendesk/store';
import { conflict, notFound, play, waitFor } from './play';

const AGENT_STATUSES = ['open', 'pending', 'hold', 'solved'] as const;

export const agentReply = z.strictObject({
  body: z.string().min(1).max(5000).meta({ example: 'Thanks, we are checking it.' }),
  public: z.boolean().default(true).meta({ description: 'false: an internal note, which never leaves Zendesk.' }),
  status: z.enum(AGENT_STATUSES).optional().meta({ description: 'Set in the same update, as the agent UI does.' }),
});
export const agentStatus = z.strictObject({ status: z.enum([...AGENT_STATUSES, 'closed']) });

export const agentTicketParams = z.object({
  ticketId: z.string().meta({ description: 'The Zendesk ticket id, or the ticket\'s id at its source (`T-1001`, a white-label UUID).', example: 'T-1001' }),
});

/** The user's side of a ticket: its messages, by the ticket's id there; null when it has no such ticket. */
export type UserMessages = (source: 'connect' | 'whitelabel', sourceTicketId: string) => string[] | null;

export function agentPlayRouter(zendesk: ZendeskSimulator, userMessages: UserMessages, waitMs: number): Router {
  const router = express.Router();
  const knownAtSource = (id: string) => userMessages('connect', id) !== null || userMessages('whitelabel', id) !== null;
  /** Every message of the user's is in Zendesk (the bridge may frame it: a substring will do). */
  const caughtUp = (ticket: ZdTicket) => {
    const [source, id] = (ticket.external_id ?? '').split(/:(.*)/s) as [string, string | undefined];
    if ((source !== 'connect' && source !== 'whitelabel') || id === undefined) return true;
    const bodies = zendesk.comments(ticket.id).map((c) => c.body);
    return (userMessages(source, id) ?? []).every((message) => bodies.some((body) => body.includes(message)));
  };
  const readUp = async (ticket: ZdTicket) => {
    await waitFor(() => caughtUp(ticket), waitMs);
  };

  const zendeskTicket = async (ticketId: string): Promise<ZdTicket> => {
    if (/^\d+$/.test(ticketId)) {
      const byId = zendesk.ticket(ticketId);
      if (!byId) throw notFound(`no Zendesk ticket ${ticketId}`);
      return byId;
    }
    if (!knownAtSource(ticketId)) throw notFound(`no ticket ${ticketId} in the app or on the white-label platform (nor a Zendesk id)`);
    const bridged = () => zendesk.ticketByExternalId(`connect:${ticketId}`) ?? zendesk.ticketByExternalId(`whitelabel:${ticketId}`);
    const found = await waitFor(bridged, waitMs);
    if (!found) throw notFound(`the bridge has not created the Zendesk ticket of ${ticketId} yet (is it running? see the log); try again`);
    return found;
  };
  const writable = (ticket: ZdTicket, ticketId: string) => {
    if (ticket.status === 'closed') throw conflict(`Zendesk ticket ${ticket.id} (${ticketId}) is closed: closed tickets take no more changes`);
  };

  router.post('/sandbox/agent/tickets/:ticketId/replies', play(agentReply, async (body, { ticketId }) => {
    const ticket = await zendeskTicket(ticketId);
    await readUp(ticket);
    writable(zendesk.ticket(ticket.id)!, ticketId);
    const { comment } = await zendesk.agentReplies(ticket.id, body.body, { public: body.public, status: body.status });
    return { zendeskTicketId: ticket.id, commentId: comment.id, public: comment.public };
  }));
  router.post('/sandbox/agent/tickets/:ticketId/status', play(agentStatus, async (body, { ticketId }) => {
    const ticket = await zendeskTicket(ticketId);
    await readUp(ticket);
    writable(zendesk.ticket(ticket.id)!, ticketId);
    // Already so: most likely the bridge is still carrying the user's last answer here (after a
    // "not resolved" it reopens the ticket), so wait for it to move before refusing.
    const now = () => zendesk.ticket(ticket.id)!.status;
    const moved = now() !== body.status || (await waitFor(() => now() !== body.status, waitMs));
    if (!moved) throw conflict(`Zendesk ticket ${ticket.id} (${ticketId}) is already ${body.status}`);
    await zendesk.agentSetsStatus(ticket.id, body.status);
    return { zendeskTicketId: ticket.id, status: zendesk.ticket(ticket.id)!.status };
  }));
  return router;
}
