/**
 * `GET /healthz`: the process serves HTTP (liveness; never touches Temporal, so a Temporal
 * outage does not get the API restarted). `GET /readyz`: the API can take webhooks (readiness):
 * Temporal answers, or it does not but the inbox can still queue them durably. A load balancer
 * must keep sending webhooks through a Temporal outage (Connect never retries), and stop only
 * when they could only get a 503. The body says which, and how much waits in the inbox:
 *
 *     {"status":"ready","temporal":"up","inbox":{"queued":0,"oldestAgeSeconds":null,...}}
 *     {"status":"queueing","temporal":"unavailable","inbox":{"queued":12,"oldestAgeSeconds":180,...}}
 */
import { Router } from 'express';
import type { AppDeps } from './deps';
import { sendError, sendTemporalUnavailable } from './errors';
import { TemporalUnavailableError } from './gateway';
import { ageSeconds, type InboxStats } from './inbox';

/** The inbox as health shows it: counts and an age, never contents. */
export interface InboxHealth {
  queued: number;
  oldestAgeSeconds: number | null;
  unreadable: number;
  maxEntries: number;
}

export function inboxHealth(stats: InboxStats, now = Date.now()): InboxHealth {
  return {
    queued: stats.entries,
    oldestAgeSeconds: ageSeconds(stats.oldestReceivedAtMs, now),
    unreadable: stats.unreadable,
    maxEntries: stats.maxEntries,
  };
}

export function healthRouter({ gateway, inbox }: AppDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    let temporalUp = true;
    try {
      await gateway.ready();
    } catch (err) {
      if (!(err instanceof TemporalUnavailableError)) throw err;
      temporalUp = false;
    }
    if (!inbox) return temporalUp ? res.json({ status: 'ready' }) : sendTemporalUnavailable(res);
    const view = inboxHealth(inbox.stats());
    if (temporalUp) return res.json({ status: 'ready', temporal: 'up', inbox: view });
    if (await inbox.accepting()) return res.json({ status: 'queueing', temporal: 'unavailable', inbox: view });
    res.setHeader('Retry-After', '5');
    sendError(res, 503, 'temporal_unavailable', {
      message: 'Temporal is unreachable and the inbox cannot take more webhooks',
      temporal: 'unavailable',
      inbox: view,
    });
  });
  return router;
}
