/**
 * The ops API (bearer `OPS_API_TOKEN`), backed by Temporal alone (no database of its own):
 *
 *  - `GET  /tickets?status=&source=&pageSize=&pageToken=` — ticket workflows through visibility
 *    and the `TicketStatus` / `TicketSource` search attributes, newest first, paginated.
 *  - `GET  /tickets/:source/:ticketId` — the `state` query (with its timeline) plus what
 *    DescribeWorkflowExecution says: execution status and pending activities (which are retrying,
 *    at which attempt, and why).
 *  - `POST /tickets/:source/:ticketId/resync` `{reason?}` and `…/close` `{reason}` — the
 *    workflow's `resync` / `close` updates. Their validators refuse a bad request before it
 *    touches history (409 `rejected`); the caller gets the update's result (the state). A
 *    body without a Content-Type is read as JSON (an operator's bare curl); one declared as
 *    anything but JSON is a 415 that names application/json (a form or text/plain body is what a
 *    browser sends cross-site unasked). An unknown ticket is a 404 whatever the body says.
 *  - `POST /tickets/:source/:ticketId/pause` `{reason}` and `…/resume` `{reason?}` — the `pause` /
 *    `resume` updates, the same way (409 when the ticket is already paused, not paused, completed).
 *
 * No personal data in or out: ids, statuses, counts, and the operator's reason.
 */
import express, { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import { requireBearer } from '../auth';
import type { AppDeps } from '../deps';
import { sendError, sendValidationError } from '../errors';
import { InvalidPageTokenError, type TicketUpdate } from '../gateway';
import { closeBody, DEFAULT_PAGE_SIZE, idempotencyKey, listTicketsQuery, pauseBody, resumeBody, resyncBody, ticketPathParams } from './schemas';
import { setLogFields } from '../request-log';

export const OPS_PATHS = {
  list: '/tickets',
  ticket: '/tickets/:source/:ticketId',
  resync: '/tickets/:source/:ticketId/resync',
  close: '/tickets/:source/:ticketId/close',
  pause: '/tickets/:source/:ticketId/pause',
  resume: '/tickets/:source/:ticketId/resume',
} as const;

const LIST_PARAMETERS = Object.keys(listTicketsQuery.shape);

const NOT_JSON = Symbol('not JSON');

/** The body read as text, as JSON; none (empty) is `{}`. Blanks are not JSON, nor nothing. */
function jsonBody(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/** A body declared as something else than JSON (none declared is fine). */
function declaresOtherThanJson(req: Request): boolean {
  return req.headers['content-type'] !== undefined && !req.is('application/json');
}

/** 400 naming one parameter. */
function sendIssue(res: Response, path: string, message: string): void {
  sendError(res, 400, 'invalid_request', { issues: [{ path, message }] });
}

export function opsRouter({ config, gateway }: AppDeps): Router {
  const router = Router();
  const auth = requireBearer(config.opsApiToken);
  // Read as text whatever it declares: a missing Content-Type is JSON; another is refused below.
  const text = express.text({ limit: config.bodyLimitBytes, type: () => true });

  router.get(OPS_PATHS.list, auth, async (req, res) => {
    // A misspelt filter must not silently list everything.
    const unknown = Object.keys(req.query).find((key) => !LIST_PARAMETERS.includes(key));
    if (unknown !== undefined) return sendIssue(res, unknown, `unknown parameter; expected ${LIST_PARAMETERS.join(', ')}`);
    const parsed = listTicketsQuery.safeParse(req.query);
    if (!parsed.success) return sendValidationError(res, parsed.error);
    const { status, source, pageSize, pageToken } = parsed.data;
    try {
      const page = await gateway.listTickets({
        ...(status && { statuses: status }),
        ...(source && { sources: source }),
        pageSize: pageSize ?? DEFAULT_PAGE_SIZE,
        ...(pageToken && { pageToken }),
      });
      res.setHeader('Cache-Control', 'no-store');
      res.json(page);
    } catch (err) {
      if (err instanceof InvalidPageTokenError) return sendIssue(res, 'pageToken', 'is not a page token of this listing (start again without it)');
      throw err;
    }
  });

  router.get(OPS_PATHS.ticket, auth, async (req, res) => {
    const parsed = ticketPathParams.safeParse(req.params);
    if (!parsed.success) return sendValidationError(res, parsed.error);
    const details = await gateway.describeTicket(parsed.data.source, parsed.data.ticketId);
    if (details === null) return sendError(res, 404, 'not_found');
    setLogFields(res, { workflowId: details.workflowId });
    // Live data: never let a proxy serve yesterday's state.
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...details, helpdesk: config.crm ?? 'zendesk' });
  });

  const update =
    <S extends z.ZodType>(name: TicketUpdate['name'], body: S) =>
    async (req: Request, res: Response) => {
      const params = ticketPathParams.safeParse(req.params);
      if (!params.success) return sendValidationError(res, params.error);
      const { source, ticketId } = params.data;
      // Which ticket comes first: a request for one that does not exist is a 404, however wrong
      // its body. Asked only of a bad request: a good one learns it from the update itself.
      const unlessUnknown = async (refusal: () => void) =>
        (await gateway.describeTicket(source, ticketId)) === null ? sendError(res, 404, 'not_found') : refusal();
      // No Content-Type is read as JSON (an operator's bare curl); another type than JSON is
      // refused with the one to send: a form or text/plain body is what a browser sends cross-site
      // without asking, so it is never taken for an operator's request.
      if (declaresOtherThanJson(req)) return unlessUnknown(() => sendError(res, 415, 'unsupported_media_type', { message: 'send the body as Content-Type: application/json' }));
      const json = jsonBody(req.body);
      if (json === NOT_JSON) return unlessUnknown(() => sendError(res, 400, 'invalid_json'));
      const parsedBody = body.safeParse(json);
      if (!parsedBody.success) return unlessUnknown(() => sendValidationError(res, parsedBody.error));
      const key = req.get('idempotency-key');
      let updateId: string | undefined;
      if (key !== undefined) {
        const parsedKey = idempotencyKey.safeParse(key);
        if (!parsedKey.success) return unlessUnknown(() => sendIssue(res, 'Idempotency-Key', parsedKey.error.issues[0]?.message ?? 'is invalid'));
        updateId = `${name}-${parsedKey.data}`;
      }

      const result = await gateway.updateTicket(
        source,
        ticketId,
        { name, request: parsedBody.data } as TicketUpdate,
        updateId !== undefined ? { updateId } : {},
      );
      setLogFields(res, { workflowId: result.workflowId, outcome: `${name} ${result.outcome}` });
      res.setHeader('Cache-Control', 'no-store');
      switch (result.outcome) {
        case 'completed':
          return void res.json(result.state);
        case 'accepted':
          return void res.status(202).json({
            accepted: true,
            workflowId: result.workflowId,
            updateId: result.updateId,
            message: result.message ?? `the workflow accepted the ${name} and is still running it; GET ${OPS_PATHS.ticket.replace(':source', source).replace(':ticketId', ticketId)} shows its progress`,
          });
        case 'rejected':
          setLogFields(res, { reason: 'rejected by the workflow' });
          return sendError(res, 409, 'rejected', { message: result.message });
        case 'not_found':
          return sendError(res, 404, 'not_found');
      }
    };

  router.post(OPS_PATHS.resync, auth, text, update('resync', resyncBody));
  router.post(OPS_PATHS.close, auth, text, update('close', closeBody));
  router.post(OPS_PATHS.pause, auth, text, update('pause', pauseBody));
  router.post(OPS_PATHS.resume, auth, text, update('resume', resumeBody));
  return router;
}
