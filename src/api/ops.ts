/**
 * `GET /tickets/:source/:ticketId` (bearer `OPS_API_TOKEN`) — the ticket workflow's `state`
 * query: status, CRM id, last sync, pending timer, last error, counts. No personal data.
 */
import { Router } from 'express';
import { z } from 'zod';
import { requireBearer } from './auth';
import type { AppDeps } from './deps';
import { sendError, sendValidationError } from './errors';
import { sourceKind, sourceTicketId } from './schemas';

const params = z.object({ source: sourceKind, ticketId: sourceTicketId });

export function opsRouter({ config, gateway }: AppDeps): Router {
  const router = Router();
  router.get('/tickets/:source/:ticketId', requireBearer(config.opsApiToken), async (req, res) => {
    const parsed = params.safeParse(req.params);
    if (!parsed.success) return sendValidationError(res, parsed.error);
    const state = await gateway.getState(parsed.data.source, parsed.data.ticketId);
    if (state === null) return sendError(res, 404, 'not_found');
    // Live data: never let a proxy serve yesterday's state.
    res.setHeader('Cache-Control', 'no-store');
    res.json(state);
  });
  return router;
}
