/**
 * `POST /webhooks/freshdesk?token=…` (or the token in an `X-Webhook-Token` header) — a Freshdesk
 * automation rule's "Trigger webhook" action says one of its tickets changed. Freshdesk does not
 * sign these calls, so the token (`FRESHDESK_WEBHOOK_TOKEN`) is all of their authentication:
 * checked in constant time before a byte of the body is read. The body is the rule's, defined by
 * the admin (docs/freshdesk.md has it, ready to paste):
 *
 *   `{ "ticket_id": "{{ticket.id}}", "external_id": "{{ticket.cf_ticket_bridge_id}}" }`
 *
 * `external_id` is optional (it finds the workflow without Temporal visibility's lag); an unset
 * field renders as "" (read as none). Nothing is dropped by who acted (sync rules 1.1: a person
 * may work with the bridge's agent account): the echo of the bridge's own write reaches the
 * workflow, which knows its own conversations by their ids and finds nothing new. An `actor_id`
 * a rule still sends is accepted and ignored.
 *
 * A notification only: the workflow reads the ticket back. 202 for anything authentic and
 * well-formed (Freshdesk retries failures for about an hour, then gives up); 400 for a body that
 * is not one; 401 without the token; 503 only when neither Temporal nor the inbox can take it.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { CrmNotification } from '../../workflows/definitions';
import { safeEqual } from '../auth';
import type { RouterDeps } from '../deps';
import { sendValidationError } from '../errors';
import { answerCrmNotification, requireJsonBody, webhookDoor } from './door';

const TOKEN_HEADER = 'x-webhook-token';

const digits = (what: string) =>
  z
    .union([z.string().trim(), z.number().int().positive()], { error: `must be a Freshdesk ${what} id` })
    .transform(String)
    .pipe(z.string().regex(/^\d{1,20}$/, { error: `must be a Freshdesk ${what} id (digits)` }));

export const freshdeskWebhookBody = z.object({
  ticket_id: digits('ticket'),
  external_id: z
    .string({ error: 'must be a string' })
    .max(255, { error: 'must be at most 255 characters' })
    .nullish()
    .transform((v) => (v ? v : null)),
  /** Sent by rules made for an earlier version: accepted, not used (see above). */
  actor_id: digits('agent').nullish().catch(null),
});

export function freshdeskWebhookRouter({ config, gateway, bodyBudget }: RouterDeps): Router {
  const router = Router();
  const token = config.freshdeskWebhookToken;
  // Not configured: no route, so a request is a 404 like any unknown path.
  if (!config.webhookRoutes.freshdesk || !token) return router;
  router.post(
    '/webhooks/freshdesk',
    ...webhookDoor({
      authenticate: (req) => {
        const provided = typeof req.query.token === 'string' ? req.query.token : req.get(TOKEN_HEADER);
        return provided !== undefined && safeEqual(provided, token) ? null : { status: 401, error: 'unauthorized' };
      },
      limitBytes: config.bodyLimitBytes,
      budget: bodyBudget,
      parse: 'json',
    }),
    async (req, res) => {
      if (!requireJsonBody(req, res)) return;
      const parsed = freshdeskWebhookBody.safeParse(req.body);
      if (!parsed.success) return sendValidationError(res, parsed.error);
      const { ticket_id: crmTicketId, external_id: externalId } = parsed.data;
      const notification: CrmNotification = { crmTicketId, eventId: null, receivedAt: new Date().toISOString() };
      answerCrmNotification(res, await gateway.notifyCrm(notification, externalId));
    },
  );
  return router;
}
