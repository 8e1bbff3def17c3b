/**
 * `GET /healthz`: the process serves HTTP (liveness; never touches Temporal, so a Temporal
 * outage does not get the API restarted). `GET /readyz`: Temporal answers (readiness; a load
 * balancer stops sending webhooks that could only get a 503).
 */
import { Router } from 'express';
import type { AppDeps } from './deps';
import { sendTemporalUnavailable } from './errors';
import { TemporalUnavailableError } from './gateway';

export function healthRouter({ gateway }: AppDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await gateway.ready();
    } catch (err) {
      if (err instanceof TemporalUnavailableError) return sendTemporalUnavailable(res);
      throw err;
    }
    res.json({ status: 'ready' });
  });
  return router;
}
