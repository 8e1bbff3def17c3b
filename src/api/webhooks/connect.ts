/**
 * `POST /webhooks/connect?auth_token=…` — the Connect platform's notification-only webhook,
 * `{ type: 'CREATE' | 'UPDATE' | 'DELETE', ticketId }`.
 *
 * The platform documents no retries, so the answer is 202 only once the notification is safe:
 * `signalled` once Temporal has the signal, or `queued` once it is on disk in the API's inbox
 * while Temporal is unreachable (src/api/inbox delivers it later). Only when neither can take it
 * is the answer 503, which at least tells a retrying sender (or an operator) that nothing was
 * recorded. The workflow reads the ticket back, so the body is just a trigger.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { SourceNotification } from '../../workflows/definitions';
import { safeEqual } from '../auth';
import type { RouterDeps } from '../deps';
import { sendValidationError } from '../errors';
import { setLogFields } from '../request-log';
import { sourceTicketId } from '../schemas';
import { requireJsonBody, webhookDoor } from './door';

const NOTIFICATION_KINDS = { CREATE: 'created', UPDATE: 'updated', DELETE: 'deleted' } as const;

export const connectWebhookBody = z.object({
  type: z.enum(['CREATE', 'UPDATE', 'DELETE'], { error: 'must be one of CREATE, UPDATE, DELETE' }),
  ticketId: sourceTicketId,
});

export function connectWebhookRouter({ config, gateway, bodyBudget }: RouterDeps): Router {
  const router = Router();
  // Not configured (nor simulated): no route, so a request is a 404 like any unknown path.
  if (!config.webhookRoutes.connect) return router;
  router.post(
    '/webhooks/connect',
    ...webhookDoor({
      // Connect puts its secret in the callback URL: fully authenticated before the body is read.
      authenticate: (req) => {
        const provided = req.query.auth_token;
        return typeof provided === 'string' && safeEqual(provided, config.connectWebhookToken) ? null : { status: 401, error: 'unauthorized' };
      },
      limitBytes: config.bodyLimitBytes,
      budget: bodyBudget,
      parse: 'json',
    }),
    async (req, res) => {
      if (!requireJsonBody(req, res)) return;
      const parsed = connectWebhookBody.safeParse(req.body);
      if (!parsed.success) return sendValidationError(res, parsed.error);

      const notification: SourceNotification = {
        kind: NOTIFICATION_KINDS[parsed.data.type],
        eventId: null,
        receivedAt: new Date().toISOString(),
        snapshot: null,
      };
      const result = await gateway.notifySource('connect', parsed.data.ticketId, notification);
      setLogFields(res, { workflowId: result.workflowId, outcome: result.outcome });
      res.status(202).json({ accepted: true, workflowId: result.workflowId, outcome: result.outcome });
    },
  );
  return router;
}
