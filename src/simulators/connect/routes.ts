import { SimHttpError, type Route, type SimRequest } from '../common/sim-server';
import { CONNECT_STATUSES, type ConnectStatus, type ConnectStore, type ConnectTicketRecord } from './store';

/** What the routes need from the simulator besides the store. */
export interface ConnectRouteContext {
  store: ConnectStore;
  /** The integrator (API key holder) changed a ticket. Must not wait for webhook receivers. */
  changedByApi(ticket: ConnectTicketRecord): void;
  /** Base for signed upload URLs. */
  origin(): string;
}

/** The documented REST subset: get ticket, update status, add comment, attachment upload URL. */
export function connectRoutes(ctx: ConnectRouteContext): Route[] {
  const ticketOr404 = (req: SimRequest): ConnectTicketRecord => {
    const ticket = ctx.store.get(req.params.id!);
    if (!ticket) throw new SimHttpError(404);
    return ticket;
  };

  return [
    { method: 'GET', pattern: '/tickets/:id', handler: (req) => ({ status: 200, body: ticketOr404(req) }) },
    {
      method: 'PUT',
      pattern: '/tickets/:id',
      handler: (req) => {
        const ticket = ticketOr404(req);
        const status = (req.body as { status?: unknown } | undefined)?.status;
        if (!CONNECT_STATUSES.includes(status as ConnectStatus)) throw new SimHttpError(400);
        ctx.store.setStatus(ticket, status as ConnectStatus);
        ctx.changedByApi(ticket);
        return { status: 200, body: ticket };
      },
    },
    {
      method: 'POST',
      pattern: '/tickets/:id/comment',
      handler: (req) => {
        const ticket = ticketOr404(req);
        const message = (req.body as { message?: unknown } | undefined)?.message;
        if (typeof message !== 'string' || message.trim() === '') throw new SimHttpError(400);
        const comment = ctx.store.addComment(ticket, 'SUPPORT', message);
        ctx.changedByApi(ticket);
        return { status: 201, body: comment };
      },
    },
    {
      method: 'POST',
      pattern: '/comments/:commentId/attachment-upload-url',
      handler: (req) => {
        const fileName = (req.body as { fileName?: unknown } | undefined)?.fileName;
        if (typeof fileName !== 'string' || fileName === '') throw new SimHttpError(400);
        const comment = ctx.store.findComment(Number(req.params.commentId));
        if (!comment) throw new SimHttpError(404);
        const url = `${ctx.origin()}/uploads/${comment.id}/${encodeURIComponent(fileName)}?signature=sim`;
        return { status: 200, body: { url } };
      },
    },
    {
      // The signed URL itself: authorised by its signature, not the API key.
      method: 'PUT',
      pattern: '/uploads/:commentId/:fileName',
      auth: false,
      rawBody: true,
      handler: (req) => {
        const comment = ctx.store.findComment(Number(req.params.commentId));
        if (!comment || req.query.get('signature') !== 'sim') throw new SimHttpError(403);
        ctx.store.addAttachment(comment, req.params.fileName!);
        return { status: 200 };
      },
    },
  ];
}

/** Connect's error bodies: the Spring-style shape for 400/401/404, `{ code, message }` otherwise. */
export function connectErrorBody(status: number, path: string, now: Date): unknown {
  const reason: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' };
  if (reason[status]) return { timestamp: now.toISOString(), status, error: reason[status], path };
  return { code: status, message: status === 429 ? 'Too many requests' : 'Unexpected error' };
}
