/**
 * One log line per request: method, route template, status, duration, plus whatever ids the
 * handler chose to add (`setLogFields`). The route *template* (`/tickets/:source/:ticketId`) is
 * logged, never the URL: the URL carries the Connect `auth_token` in its query string.
 */
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../observability/logger';

/** Ids and outcomes a handler may add to its request's log line. No personal data. */
export interface RequestLogFields {
  workflowId?: string;
  outcome?: string;
  reason?: string;
}

const LOG_FIELDS = 'requestLogFields';
const QUIET = 'requestLogQuiet';

/**
 * Log this request at debug level (unless it failed with a 5xx): for the sandbox's play routes,
 * whose answer the person playing reads anyway; the webhooks they cause are logged as usual.
 */
export const quietRequestLog: RequestHandler = (_req, res, next) => {
  res.locals[QUIET] = true;
  next();
};

export function setLogFields(res: Response, fields: RequestLogFields): void {
  res.locals[LOG_FIELDS] = { ...getLogFields(res), ...fields };
}

export function getLogFields(res: Response): RequestLogFields {
  return (res.locals[LOG_FIELDS] as RequestLogFields | undefined) ?? {};
}

export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const status = res.statusCode;
      const line = {
        method: req.method,
        // Routers are mounted at the root with full paths, so `route.path` is the whole template.
        route: typeof req.route?.path === 'string' ? req.route.path : '(unmatched)',
        status,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...getLogFields(res),
      };
      if (status >= 500) logger.error(line, 'request');
      else if (res.locals[QUIET] === true) logger.debug(line, 'request');
      else if (status >= 400) logger.warn(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
