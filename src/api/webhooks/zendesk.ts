/**
 * `POST /webhooks/zendesk` — Zendesk says one of its tickets changed (see ./zendesk-payload for
 * the accepted bodies). Authenticated by Zendesk's signature over the raw body bytes, so the body
 * is kept as a Buffer and parsed only after verification.
 *
 * Anything authentic and well-formed gets a 202, including tickets the bridge does not know and
 * tickets whose workflow already completed: Zendesk trips a circuit breaker on repeated errors,
 * and those cases are not errors. An unreachable Temporal means 202 `queued` (the API's inbox
 * keeps it for later delivery); only when the inbox cannot take it either is the answer 503, so
 * Zendesk retries.
 *
 * Before the body is read (see ./door): both signature headers present and well-formed, the
 * timestamp readable and within 5 minutes (it is signed, so a replay cannot move it), no
 * `Content-Encoding`, the declared size within `BODY_LIMIT`, room in the body budget. Mounted
 * only when Zendesk is configured or simulated (`webhookRoutes`).
 */
import { type Request, Router } from 'express';
import type { CrmNotification } from '../../workflows/definitions';
import { checkZendeskSignatureHead, SIGNATURE_TOLERANCE_MS, verifyZendeskSignature } from '../auth';
import type { RouterDeps } from '../deps';
import { sendError, sendValidationError } from '../errors';
import { setLogFields } from '../request-log';
import { answerCrmNotification, type HeadRefusal, sendRefusal, webhookDoor } from './door';
import { signatureFailureBody } from './whitelabel-signature';
import { parseZendeskPayload } from './zendesk-payload';

const SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
const TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';

/** The same `reason` vocabulary as the white-label webhook's 401s, with Zendesk's header names. */
function unauthorized(reason: 'missing' | 'malformed' | 'mismatch' | 'stale' | 'future'): HeadRefusal {
  const failure = signatureFailureBody(reason, SIGNATURE_TOLERANCE_MS);
  const messages: Partial<Record<typeof reason, string>> = {
    missing: 'the X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp headers are required',
    malformed:
      'X-Zendesk-Webhook-Signature must be a base64 HMAC-SHA256 and X-Zendesk-Webhook-Signature-Timestamp an ISO 8601 time (or unix seconds)',
  };
  const details = { ...failure, ...(messages[reason] && { message: messages[reason] }) };
  return { status: 401, error: 'unauthorized', details, logReason: failure.reason };
}

const signatureHeaders = (req: Request) => ({ signature: req.get(SIGNATURE_HEADER), timestamp: req.get(TIMESTAMP_HEADER) });

export function zendeskWebhookRouter({ config, gateway, bodyBudget }: RouterDeps): Router {
  const router = Router();
  // Not configured (nor simulated): no route, so a request is a 404 like any unknown path.
  if (!config.webhookRoutes.zendesk) return router;
  router.post(
    '/webhooks/zendesk',
    ...webhookDoor({
      authenticate: (req) => {
        const head = checkZendeskSignatureHead(signatureHeaders(req));
        return head.ok ? null : unauthorized(head.reason);
      },
      limitBytes: config.bodyLimitBytes,
      budget: bodyBudget,
      parse: 'raw',
    }),
    async (req, res) => {
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const check = verifyZendeskSignature({ secret: config.zendeskWebhookSecret, ...signatureHeaders(req), rawBody });
      if (!check.ok) return sendRefusal(res, unauthorized(check.reason));

      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return sendError(res, 400, 'invalid_json');
      }
      const parsed = parseZendeskPayload(json);
      if (!parsed.ok) return sendValidationError(res, parsed.error);
      if (parsed.ticket === null) {
        setLogFields(res, { outcome: 'ignored', reason: 'not-a-ticket-event' });
        return res.status(202).json({ accepted: true, outcome: 'ignored' });
      }
      const notification: CrmNotification = {
        crmTicketId: parsed.ticket.crmTicketId,
        // Triggers carry no event id; Zendesk's invocation id is the next best thing for dedup.
        eventId: parsed.ticket.eventId ?? req.get('x-zendesk-webhook-invocation-id') ?? null,
        receivedAt: new Date().toISOString(),
        // What the change left: the workflow recognises the echo of its own write by it (the
        // comment id it wrote, the version its write answered), never by who the actor is.
        ...(parsed.ticket.change && { change: parsed.ticket.change }),
      };
      answerCrmNotification(res, await gateway.notifyCrm(notification, parsed.ticket.externalId));
    },
  );
  return router;
}
