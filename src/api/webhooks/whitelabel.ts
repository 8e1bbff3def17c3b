/**
 * `POST /webhooks/whitelabel` — the white-label platform's ticketing events (created, updated,
 * assigned, resolved). Each carries the whole ticket, but the signal carries only the news
 * that it changed: the workflow reads the ticket back through the platform's API, so a late or
 * reordered event can never be applied over newer state, and no conversation travels through
 * history (a long one would pass Temporal's payload limit). The workflow dedupes by `event_id`.
 * The event is still validated whole, so a malformed one is refused here, naming the field.
 *
 * Order of checks (see ./door): before the body is read, the signature header's presence and
 * shape and, when `t` is signed, its age (401), `Content-Encoding` (415), the declared size
 * (413) and the budget of bodies in flight (503); then the body, within the limit; the
 * signature over the raw bytes (401), JSON (400), envelope (400 naming each field) and, with
 * the `'body'` recipe, the event's own signed time (401; see ./whitelabel-signature). Only then
 * is Temporal asked; 202 once it holds the signal, or once the API's inbox holds it (`queued`,
 * encrypted like a Temporal payload) while Temporal cannot be reached; 503 when neither can
 * take it. The platform retries any non-2xx for three days, so a 503 loses nothing — and a 4xx
 * is retried too, which is why every rejection says exactly what is wrong.
 *
 * Mounted only when the white-label side is configured or simulated (`webhookRoutes`).
 */
import { Router } from 'express';
import { whitelabelEventSchema } from '../../adapters/whitelabel/schemas';
import type { SourceNotification } from '../../workflows/definitions';
import { SIGNATURE_TOLERANCE_MS } from '../auth';
import type { RouterDeps, RouterFactory } from '../deps';
import { sendError, sendValidationError } from '../errors';
import { setLogFields } from '../request-log';
import { type HeadRefusal, sendRefusal, webhookDoor } from './door';
import {
  checkSignatureHead,
  DEFAULT_WHITELABEL_SIGNATURE_HEADER,
  eventClockCheck,
  signatureFailureBody,
  type SignedPayloadRecipe,
  type WhitelabelSignatureFailure,
  verifyWhitelabelSignature,
} from './whitelabel-signature';

export interface WhitelabelWebhookSettings {
  /** `WHITELABEL_WEBHOOK_SECRET`: the endpoint's signing secret. */
  secret: string;
  /** `WHITELABEL_SIGNATURE_HEADER`; default `X-Whitelabel-Signature`. */
  signatureHeader?: string;
  /** `WHITELABEL_SIGNED_PAYLOAD`: `'timestamp.body'` (default) or `'body'`. */
  signedPayload?: SignedPayloadRecipe;
  /**
   * Events carry every reply of the ticket, so they outgrow the API's general `BODY_LIMIT`
   * sooner than other webhooks; default: that limit.
   */
  bodyLimitBytes?: number;
  /** Tests only: the clock and the accepted skew. */
  now?: () => number;
  toleranceMs?: number;
}

export const WHITELABEL_WEBHOOK_PATH = '/webhooks/whitelabel';

/** The router as `API_ROUTERS` mounts it: settings from the configuration (`WHITELABEL_*`). */
export const whitelabelWebhookFromConfig: RouterFactory = (deps) => {
  const { config } = deps;
  // Not configured (nor simulated): no route, so a request is a 404 like any unknown path.
  if (!config.webhookRoutes.whitelabel) return Router();
  return whitelabelWebhookRouter({ secret: config.whitelabelWebhookSecret, ...config.whitelabelWebhook })(deps);
};

export function whitelabelWebhookRouter(settings: WhitelabelWebhookSettings): RouterFactory {
  const header = settings.signatureHeader ?? DEFAULT_WHITELABEL_SIGNATURE_HEADER;
  const recipe = settings.signedPayload ?? 'timestamp.body';
  const toleranceMs = settings.toleranceMs ?? SIGNATURE_TOLERANCE_MS;
  const now = settings.now ?? Date.now;

  const unauthorized = (failure: WhitelabelSignatureFailure, clock: 'header' | 'event' = 'header'): HeadRefusal => {
    const body = signatureFailureBody(failure, toleranceMs, clock);
    return { status: 401, error: 'unauthorized', details: body, logReason: body.reason };
  };

  return ({ config, gateway, bodyBudget }: RouterDeps): Router => {
    const router = Router();
    router.post(
      WHITELABEL_WEBHOOK_PATH,
      ...webhookDoor({
        authenticate: (req) => {
          const head = checkSignatureHead({ recipe, header: req.get(header), now: now(), toleranceMs });
          return head.ok ? null : unauthorized(head.reason);
        },
        limitBytes: settings.bodyLimitBytes ?? config.bodyLimitBytes,
        budget: bodyBudget,
        parse: 'raw',
      }),
      async (req, res) => {
        const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const check = verifyWhitelabelSignature({
          secret: settings.secret,
          recipe,
          header: req.get(header),
          rawBody,
          now: now(),
          toleranceMs,
        });
        if (!check.ok) return sendRefusal(res, unauthorized(check.reason));

        let json: unknown;
        try {
          json = JSON.parse(rawBody.toString('utf8'));
        } catch {
          return sendError(res, 400, 'invalid_json');
        }
        const parsed = whitelabelEventSchema.safeParse(json);
        if (!parsed.success) return sendValidationError(res, parsed.error);

        const { event_id, event_type, data } = parsed.data;
        // The header's `t` is unsigned with this recipe: the signed event time is the clock.
        const eventClock = check.signedAtMs === null ? eventClockCheck(data.ticket.updated_at, now(), toleranceMs) : null;
        if (eventClock) return sendRefusal(res, unauthorized(eventClock, 'event'));

        const notification: SourceNotification = {
          kind: event_type === 'whitelabel_ticket_created' ? 'created' : 'updated',
          eventId: event_id,
          receivedAt: new Date(now()).toISOString(),
          snapshot: null,
        };
        const result = await gateway.notifySource('whitelabel', data.ticket.id, notification);
        setLogFields(res, { workflowId: result.workflowId, outcome: result.outcome });
        res.status(202).json({ accepted: true, workflowId: result.workflowId, outcome: result.outcome });
      },
    );
    return router;
  };
}
