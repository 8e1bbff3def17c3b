/**
 * The white-label platform in the sandbox: its simulator, wired to the bridge like the real
 * platform (signed events to `/webhooks/whitelabel`), and play routes for a person to act as
 * the platform's client and teammate (`/sandbox/whitelabel/...`).
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { notFound, play, sendJson } from './play';
import type { Settled } from './settle';
import type { SandboxHelpdesk } from './helpdesk';
import { ticketWorkflowId } from '../domain/ticket';
import type { WhitelabelWebhookConfig } from '../config/whitelabel';
import { SEED_EVENTS, WhitelabelSimulator, type WhitelabelSimulatorOptions } from '../simulators/whitelabel';

/** The seed's teammate (`whitelabel_ticket_assigned`); the sandbox maps it to the simulated helpdesk's agent. */
export const SANDBOX_TEAMMATE_ID = 'b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac';

/** Starts unsigned and unwired: `wireWhitelabelSimulator` points it at the API once that listens. */
export function startWhitelabelSimulator(
  state: Pick<WhitelabelSimulatorOptions, 'snapshot' | 'onChange'> = {},
): Promise<WhitelabelSimulator> {
  return WhitelabelSimulator.start({ signing: { secret: 'unset' }, ...state });
}

/** Send the platform's events to the bridge, signed as the bridge's configuration expects them. */
export function wireWhitelabelSimulator(
  sim: WhitelabelSimulator,
  apiUrl: string,
  settings: { whitelabelWebhookSecret: string; whitelabelWebhook: WhitelabelWebhookConfig },
): void {
  sim.webhookUrl = `${apiUrl}/webhooks/whitelabel`;
  sim.signing = {
    secret: settings.whitelabelWebhookSecret,
    header: settings.whitelabelWebhook.signatureHeader,
    recipe: settings.whitelabelWebhook.signedPayload,
  };
}

export const newPlatformTicket = z.strictObject({
  title: z.string().min(1).max(200).meta({ example: 'Billing' }),
  text: z.string().min(1).max(5000).meta({ description: "The client's first message.", example: 'My invoice is wrong.' }),
});
export const platformReply = z.strictObject({ text: z.string().min(1).max(5000).meta({ example: 'It is the March invoice.' }) });
export const assignment = z.strictObject({
  teammateId: z.guid().nullable().default(SANDBOX_TEAMMATE_ID).meta({
    description: `The teammate (default ${SANDBOX_TEAMMATE_ID}, whom the sandbox maps to the helpdesk's agent); null unassigns.`,
  }),
});

/**
 * The ids the sandbox gives the tickets its play route creates: `00000000-0000-4000-8000-<n>`,
 * the lowest n not taken. Predictable, so the tour can name the next one before it exists, and
 * persistent with the simulator's state.
 */
export function nextPlatformTicketId(sim: WhitelabelSimulator): string {
  for (let n = 1; ; n++) {
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    if (!sim.ticket(id)) return id;
  }
}

const statuses = (deliveries: { status: number | null }[]) => deliveries.map((d) => d.status);

export function whitelabelPlayRouter(sim: WhitelabelSimulator, helpdesk: SandboxHelpdesk, settled: Settled): Router {
  const router = express.Router();
  const none = z.strictObject({});
  const known = (id: string) => {
    if (!sim.ticket(id)) throw notFound(`no ticket ${id} on the white-label platform`);
  };

  router.post('/sandbox/whitelabel/seed', play(none, async () => {
    const deliveries = await sim.sendSeedEvents();
    return { ticketIds: [...new Set(SEED_EVENTS.map((e) => e.data.ticket.id))], webhookStatuses: statuses(deliveries) };
  }));
  router.post('/sandbox/whitelabel/tickets', play(newPlatformTicket, async (body) => {
    const { ticket, webhooks } = await sim.clientCreatesTicket({ ...body, id: nextPlatformTicketId(sim) });
    return { ticketId: ticket.id, webhookStatuses: statuses(webhooks) };
  }));
  router.post('/sandbox/whitelabel/tickets/:ticketId/replies', play(platformReply, async (body, { ticketId }) => {
    known(ticketId);
    const { webhooks } = await sim.clientReplies(ticketId, body.text);
    return { webhookStatuses: statuses(webhooks) };
  }));
  router.post('/sandbox/whitelabel/tickets/:ticketId/teammate-replies', play(platformReply, async (body, { ticketId }) => {
    known(ticketId);
    const { webhooks } = await sim.teammateReplies(ticketId, body.text);
    return { webhookStatuses: statuses(webhooks) };
  }));
  router.post('/sandbox/whitelabel/tickets/:ticketId/assign', play(assignment, async (body, { ticketId }) => {
    known(ticketId);
    const { webhooks } = await sim.assign(ticketId, body.teammateId);
    return { teammateId: body.teammateId, webhookStatuses: statuses(webhooks) };
  }));
  router.post('/sandbox/whitelabel/tickets/:ticketId/resolve', play(none, async (_body, { ticketId }) => {
    known(ticketId);
    const { webhooks } = await sim.resolve(ticketId);
    return { webhookStatuses: statuses(webhooks) };
  }));
  router.get('/sandbox/whitelabel/tickets/:ticketId', async (req, res) => {
    const { ticketId } = req.params;
    // What the bridge is still doing for this ticket first: the tour's comment describes the end.
    await settled(ticketWorkflowId('whitelabel', ticketId));
    const ticket = sim.ticket(ticketId);
    if (!ticket) {
      sendJson(res, 404, { error: 'not_found', message: `no ticket ${ticketId} on the platform` });
      return;
    }
    const bridged = helpdesk.ticketIdByExternalId(`whitelabel:${ticket.id}`);
    sendJson(res, 200, {
      platform: {
        id: ticket.id,
        isOpen: ticket.is_open,
        teammateId: ticket.teammate_id,
        replies: ticket.replies.map((r) => ({ client: r.is_client_reply, text: r.text })),
      },
      [helpdesk.kind]: bridged === undefined ? null : helpdesk.view(bridged),
    });
  });
  return router;
}
