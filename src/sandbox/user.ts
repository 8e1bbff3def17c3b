/**
 * The sandbox's end user, in the app (the simulated Connect API): create a ticket, comment,
 * answer "was it resolved?", delete it; and a look at both sides of a ticket.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { ConnectSimulator } from '../simulators/connect';
import { conflict, notFound, play, sendJson, waitFor } from './play';
import type { Settled } from './settle';
import type { SandboxHelpdesk } from './helpdesk';
import { ticketWorkflowId } from '../domain/ticket';

export const newUserTicket = z.strictObject({
  title: z.string().min(1).max(200).meta({ description: 'What the user types as the subject.', example: 'Meter reading looks wrong' }),
  description: z.string().min(1).max(5000).meta({ description: 'The first message.', example: 'My reading doubled overnight.' }),
});
export const userComment = z.strictObject({ message: z.string().min(1).max(5000).meta({ example: 'Here is a photo of the meter.' }) });
export const resolution = z
  .strictObject({
    resolved: z.boolean().meta({ description: 'The answer to "was it resolved?".' }),
    details: z.string().min(1).max(5000).optional().meta({ description: 'With `resolved: false`: what is still wrong (a comment on the ticket).' }),
  })
  .refine((r) => !(r.resolved && r.details !== undefined), { path: ['details'], message: 'goes with resolved: false only' });

const RESOLUTION_HINTS = { message: 'is not a field here: what is still wrong goes in details (with resolved: false)' };

export function userPlayRouter(
  connect: ConnectSimulator,
  helpdesk: SandboxHelpdesk,
  { waitMs, settled }: { waitMs: number; settled: Settled },
): Router {
  const router = express.Router();
  const ticket = (id: string) => {
    const found = connect.ticket(id);
    if (!found) throw notFound(`no ticket ${id} in the app`);
    return found;
  };

  router.post('/sandbox/user/tickets', play(newUserTicket, async (body) => {
    const created = await connect.userCreatesTicket(body);
    return { ticketId: created.ticket.id };
  }));
  router.post('/sandbox/user/tickets/:ticketId/comments', play(userComment, async (body, { ticketId }) => {
    if (ticket(ticketId).status === 'CLOSED') throw conflict(`ticket ${ticketId} is CLOSED: the app takes no more comments on it`);
    await connect.userComments(ticketId, body.message);
  }));
  router.post('/sandbox/user/tickets/:ticketId/resolution', play(resolution, async (body, { ticketId }) => {
    ticket(ticketId);
    // The app asks "was it resolved?" only once the agent's "solved" reached it through the bridge.
    const solved = await waitFor(() => connect.ticket(ticketId)?.status === 'SOLVED', waitMs);
    if (!solved) {
      const status = connect.ticket(ticketId)?.status ?? 'gone';
      throw conflict(
        `ticket ${ticketId} is ${status}, not SOLVED: the user answers "was it resolved?" once the agent has solved it ` +
          `(POST /sandbox/agent/tickets/${ticketId}/status {"status":"solved"})`,
      );
    }
    if (body.resolved) await connect.userConfirmsResolved(ticketId);
    else await connect.userRejectsResolution(ticketId, body.details ?? 'Not resolved.');
    return { ticketId, status: connect.ticket(ticketId)?.status };
  }, { hints: RESOLUTION_HINTS }));
  router.delete('/sandbox/user/tickets/:ticketId', play(z.strictObject({}), async (_body, { ticketId }) => {
    ticket(ticketId);
    await connect.userDeletesTicket(ticketId);
    return { ticketId, deleted: true };
  }));
  router.get('/sandbox/tickets/:ticketId', async (req, res) => {
    const { ticketId } = req.params;
    // What the bridge is still doing for this ticket first: the tour's comment describes the end.
    await settled(ticketWorkflowId('connect', ticketId));
    const app = connect.ticket(ticketId);
    const bridged = helpdesk.ticketIdByExternalId(`connect:${ticketId}`);
    if (!app && bridged === undefined) {
      sendJson(res, 404, { error: 'not_found', message: `no ticket ${ticketId} in the app, nor in ${helpdesk.name}` });
      return;
    }
    sendJson(res, 200, {
      // The sandbox's app loses a ticket only when its user deletes it; the helpdesk keeps its side.
      app: app
        ? { id: app.id, status: app.status, comments: app.comments.map((c) => ({ author: c.author, message: c.message })) }
        : { id: ticketId, deleted: true },
      [helpdesk.kind]: bridged === undefined ? null : helpdesk.view(bridged),
    });
  });
  return router;
}
