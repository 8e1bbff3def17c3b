/**
 * The white-label platform in the sandbox: its simulator, wired to the bridge like the real
 * platform (signed events to `/webhooks/whitelabel`), and play routes for a person to act as
 * the platform's client and teammate (`/sandbox/whitelabel/...`).
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { play } from './sandbox-play';
import type { WhitelabelWebhookConfig } from '../config';
import { SEED_EVENTS, WhitelabelSimulator, type WhitelabelSimulatorOptions } from '../simulators/whitelabel';
import type { ZendeskSimulator } from '../simulators/zendesk';

/** The seed's teammate (`whitelabel_ticket_assigned`); the sandbox maps it to the simulated Zendesk agent. */
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

const newTicket = z.object({ title: z.string().min(1).max(200), text: z.string().min(1).max(5000) });
const reply = z.object({ text: z.string().min(1).max(5000) });
const assignment = z.object({ teammateId: z.guid().nullable().default(SANDBOX_TEAMMATE_ID) });


/** 400 naming the field for a bad body, 404 for an unknown ticket, else the action's result. */
const statuses = (deliveries: { status: number | null }[]) => deliveries.map((d) => d.status);

export function whitelabelPlayRouter(sim: WhitelabelSimulator, zendesk: ZendeskSimulator): Router {
  const router = express.Router();
  router.use('/sandbox/whitelabel', express.json({ limit: '20kb' }));
  const any = z.object({}).passthrough();

  router.post('/sandbox/whitelabel/seed', play(any, async () => {
    const deliveries = await sim.sendSeedEvents();
    return { ticketIds: [...new Set(SEED_EVENTS.map((e) => e.data.ticket.id))], webhookStatuses: statuses(deliveries) };
  }));
  router.post('/sandbox/whitelabel/tickets', play(newTicket, async (body) => {
    const { ticket, webhooks } = await sim.clientCreatesTicket(body);
    return { ticketId: ticket.id, webhookStatuses: statuses(webhooks) };
  }));
  router.post('/sandbox/whitelabel/tickets/:id/replies', play(reply, async (body, { id }) => {
    const { webhooks } = await sim.clientReplies(id, body.text);
    return { webhookStatuses: statuses(webhooks) };
  }));
  router.post('/sandbox/whitelabel/tickets/:id/teammate-replies', play(reply, async (body, { id }) => {
    const { webhooks } = await sim.teammateReplies(id, body.text);
    return { webhookStatuses: statuses(webhooks) };
  }));
  router.post('/sandbox/whitelabel/tickets/:id/assign', play(assignment, async (body, { id }) => {
    const { webhooks } = await sim.assign(id, body.teammateId);
    return { webhookStatuses: statuses(webhooks) };
  }));
  router.post('/sandbox/whitelabel/tickets/:id/resolve', play(any, async (_body, { id }) => {
    const { webhooks } = await sim.resolve(id);
    return { webhookStatuses: statuses(webhooks) };
  }));
  router.get('/sandbox/whitelabel/tickets/:id', (req, res) => {
    const ticket = sim.ticket(req.params.id);
    if (!ticket) {
      res.status(404).json({ error: 'not_found', message: `no ticket ${req.params.id} on the platform` });
      return;
    }
    const zd = zendesk.ticketByExternalId(`whitelabel:${ticket.id}`);
    res.json({
      platform: {
        id: ticket.id,
        isOpen: ticket.is_open,
        teammateId: ticket.teammate_id,
        replies: ticket.replies.map((r) => ({ client: r.is_client_reply, text: r.text })),
      },
      zendesk: zd
        ? {
            id: zd.id,
            status: zd.status,
            assigneeId: zd.assignee_id,
            comments: zendesk.comments(zd.id).map((c) => ({ authorId: c.author_id, public: c.public, body: c.body })),
          }
        : null,
    });
  });
  return router;
}

/** The white-label part of what `npm start` prints in sandbox mode. */
export function whitelabelInstructions(apiUrl: string, opsToken: string): string[] {
  const json = "-H 'content-type: application/json'";
  const ticket = 'fbaddbf8-e290-4fa4-a3ed-fbb4837dabe1';
  return [
    '  Play the white-label platform (signed events to /webhooks/whitelabel):',
    `    curl -s -XPOST ${apiUrl}/sandbox/whitelabel/seed          # the four example events of the platform's docs`,
    `    curl -s -XPOST ${apiUrl}/sandbox/whitelabel/tickets ${json} -d '{"title":"Billing","text":"My invoice is wrong."}'`,
    `    curl -s -XPOST ${apiUrl}/sandbox/whitelabel/tickets/${ticket}/replies ${json} -d '{"text":"Any news?"}'   # the client`,
    `    curl -s -XPOST ${apiUrl}/sandbox/whitelabel/tickets/${ticket}/assign ${json} -d '{}'   # teammate ${SANDBOX_TEAMMATE_ID} (= the Zendesk agent)`,
    `    curl -s -XPOST ${apiUrl}/sandbox/whitelabel/tickets/${ticket}/resolve`,
    `    curl -s ${apiUrl}/sandbox/whitelabel/tickets/${ticket}`,
    `    curl -s ${apiUrl}/tickets/whitelabel/${ticket} -H 'authorization: Bearer ${opsToken}'`,
    '',
  ];
}
