/**
 * The sandbox's agent, in the simulated helpdesk (Zendesk or Freshdesk, ./helpdesk.ts): public
 * replies, internal notes, status changes, in the helpdesk's own words. A ticket is named by its
 * helpdesk id or, simpler, by the id it has at its source (`T-1001`, a white-label UUID): the
 * route then finds the helpdesk ticket the bridge created for it, waiting a few seconds for the
 * bridge if it has not yet.
 *
 * An agent acts on what they have read: before acting, a route also waits (as long, at most)
 * for the bridge to have brought every message of the user's into the helpdesk, and acts anyway
 * after that. Pasted in one go, the tour's agent would otherwise answer, or solve, before the
 * user's last comment arrived, which no person does.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { HelpdeskTerms, SandboxHelpdesk } from './helpdesk';
import { conflict, notFound, play, waitFor } from './play';

/** The agent's bodies, with the statuses of the helpdesk in use. */
export function agentSchemas(helpdesk: HelpdeskTerms) {
  const statuses = helpdesk.agentStatuses;
  const open = statuses.filter((s) => s !== 'closed') as [string, ...string[]];
  return {
    reply: z.strictObject({
      body: z.string().min(1).max(5000).meta({ example: 'Thanks, we are checking it.' }),
      public: z.boolean().default(true).meta({ description: `false: an internal note, which never leaves ${helpdesk.name}.` }),
      status: z.enum(open).optional().meta({ description: 'Set in the same update, as the agent UI does.' }),
    }),
    status: z.strictObject({ status: z.enum(statuses) }),
    params: z.object({
      ticketId: z.string().meta({ description: `The ${helpdesk.name} ticket id, or the ticket's id at its source (\`T-1001\`, a white-label UUID).`, example: 'T-1001' }),
    }),
  };
}

/** The user's side of a ticket: its messages, by the ticket's id there; null when it has no such ticket. */
export type UserMessages = (source: 'connect' | 'whitelabel', sourceTicketId: string) => string[] | null;

export function agentPlayRouter(helpdesk: SandboxHelpdesk, userMessages: UserMessages, waitMs: number): Router {
  const router = express.Router();
  const schemas = agentSchemas(helpdesk);
  const { name } = helpdesk;
  const knownAtSource = (id: string) => userMessages('connect', id) !== null || userMessages('whitelabel', id) !== null;
  /** Every message of the user's is in the helpdesk (the bridge may frame it: a substring will do). */
  const caughtUp = (ticketId: number) => {
    const [source, id] = (helpdesk.externalIdOf(ticketId) ?? '').split(/:(.*)/s) as [string, string | undefined];
    if ((source !== 'connect' && source !== 'whitelabel') || id === undefined) return true;
    const texts = helpdesk.texts(ticketId);
    return (userMessages(source, id) ?? []).every((message) => texts.some((text) => text.includes(message)));
  };
  const readUp = async (ticketId: number) => {
    await waitFor(() => caughtUp(ticketId), waitMs);
  };

  const helpdeskTicket = async (ticketId: string): Promise<number> => {
    if (/^\d+$/.test(ticketId)) {
      if (helpdesk.externalIdOf(Number(ticketId)) === null) throw notFound(`no ${name} ticket ${ticketId}`);
      return Number(ticketId);
    }
    if (!knownAtSource(ticketId)) throw notFound(`no ticket ${ticketId} in the app or on the white-label platform (nor a ${name} id)`);
    const bridged = () => helpdesk.ticketIdByExternalId(`connect:${ticketId}`) ?? helpdesk.ticketIdByExternalId(`whitelabel:${ticketId}`);
    const found = await waitFor(bridged, waitMs);
    if (!found) throw notFound(`the bridge has not created the ${name} ticket of ${ticketId} yet (is it running? see the log); try again`);
    return found;
  };
  const writable = (id: number, ticketId: string) => {
    const why = helpdesk.refusesChanges(id);
    if (why) throw conflict(`${name} ticket ${id} (${ticketId}) is ${helpdesk.status(id)}: ${why}`);
  };
  const idKey = `${helpdesk.kind}TicketId`;

  router.post('/sandbox/agent/tickets/:ticketId/replies', play(schemas.reply, async (body, { ticketId }) => {
    const id = await helpdeskTicket(ticketId);
    await readUp(id);
    writable(id, ticketId);
    const written = await helpdesk.agentReplies(id, body.body, { public: body.public, ...(body.status !== undefined && { status: body.status }) });
    return { [idKey]: id, ...written };
  }));
  router.post('/sandbox/agent/tickets/:ticketId/status', play(schemas.status, async (body, { ticketId }) => {
    const id = await helpdeskTicket(ticketId);
    await readUp(id);
    writable(id, ticketId);
    // Already so: most likely the bridge is still carrying the user's last answer here (after a
    // "not resolved" it reopens the ticket), so wait for it to move before refusing.
    const now = () => helpdesk.status(id);
    const moved = now() !== body.status || (await waitFor(() => now() !== body.status, waitMs));
    if (!moved) throw conflict(`${name} ticket ${id} (${ticketId}) is already ${body.status}`);
    await helpdesk.agentSetsStatus(id, body.status);
    return { [idKey]: id, status: helpdesk.status(id) };
  }));
  return router;
}
