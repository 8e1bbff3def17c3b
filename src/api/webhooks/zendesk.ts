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
 */
import express, { Router } from 'express';
import type { CrmNotification } from '../../workflows/definitions';
import { SIGNATURE_TOLERANCE_MS, verifyZendeskSignature } from '../auth';
import type { AppDeps } from '../deps';
import { sendError, sendValidationError } from '../errors';
import { setLogFields } from '../request-log';
import { isOwnWrite } from './own-writes';
import { signatureFailureBody } from './whitelabel-signature';
import { parseZendeskPayload } from './zendesk-payload';

export function zendeskWebhookRouter({ config, gateway, crmIdentity }: AppDeps): Router {
  const router = Router();
  router.post(
    '/webhooks/zendesk',
    // Any media type: the signature decides whether we listen, not the Content-Type header.
    express.raw({ type: () => true, limit: config.bodyLimitBytes }),
    async (req, res) => {
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const check = verifyZendeskSignature({
        secret: config.zendeskWebhookSecret,
        signature: req.get('x-zendesk-webhook-signature'),
        timestamp: req.get('x-zendesk-webhook-signature-timestamp'),
        rawBody,
      });
      if (!check.ok) {
        // The same `reason` vocabulary as the white-label webhook's 401s.
        const failure = signatureFailureBody(check.reason, SIGNATURE_TOLERANCE_MS);
        setLogFields(res, { reason: failure.reason });
        return sendError(res, 401, 'unauthorized', {
          ...failure,
          ...(check.reason === 'missing' && {
            message: 'the X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp headers are required',
          }),
        });
      }

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
      if (isOwnWrite(parsed.ticket, crmIdentity)) {
        // The echo of the bridge's own write: the workflow already knows it (see ./own-writes).
        setLogFields(res, { outcome: 'ignored', reason: 'own-write' });
        return res.status(202).json({ accepted: true, outcome: 'ignored', reason: 'own-write' });
      }

      const notification: CrmNotification = {
        crmTicketId: parsed.ticket.crmTicketId,
        // Triggers carry no event id; Zendesk's invocation id is the next best thing for dedup.
        eventId: parsed.ticket.eventId ?? req.get('x-zendesk-webhook-invocation-id') ?? null,
        receivedAt: new Date().toISOString(),
      };
      const result = await gateway.notifyCrm(notification, parsed.ticket.externalId);
      if (result.outcome === 'ignored') setLogFields(res, { outcome: 'ignored', reason: result.reason });
      else setLogFields(res, { ...(result.workflowId !== undefined && { workflowId: result.workflowId }), outcome: result.outcome });
      res.status(202).json({ accepted: true, ...result });
    },
  );
  return router;
}
