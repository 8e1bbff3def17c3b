import { SimHttpError, type Route, type SimRequest } from '../common/sim-server';
import type { WhitelabelReplyRecord, WhitelabelStore, WhitelabelTicketRecord } from './store';

/** What the routes need from the simulator besides the store: the platform's events on API writes. */
export interface WhitelabelRouteContext {
  store: WhitelabelStore;
  repliedByApi(ticket: WhitelabelTicketRecord, reply: WhitelabelReplyRecord): Promise<void>;
  resolvedByApi(ticket: WhitelabelTicketRecord): Promise<void>;
}

/**
 * The REST subset the bridge uses (src/adapters/whitelabel/README.md): read a ticket, add an
 * agent reply, open or close a ticket. Authorised by `Authorization: Bearer <key>`.
 */
export function whitelabelRoutes(ctx: WhitelabelRouteContext): Route[] {
  const ticketOr404 = (req: SimRequest): WhitelabelTicketRecord => {
    const ticket = ctx.store.get(req.params.id!);
    if (!ticket) throw new SimHttpError(404);
    return ticket;
  };

  return [
    { method: 'GET', pattern: '/tickets/:id', handler: (req) => ({ status: 200, body: ticketOr404(req) }) },
    {
      method: 'POST',
      pattern: '/tickets/:id/replies',
      handler: async (req) => {
        const ticket = ticketOr404(req);
        const text = (req.body as { text?: unknown } | undefined)?.text;
        if (typeof text !== 'string' || text.trim() === '') throw new SimHttpError(400);
        // Written with the API key: an agent (teammate) reply, never a client one.
        const reply = ctx.store.addReply(ticket, text, false);
        await ctx.repliedByApi(ticket, reply);
        return { status: 201, body: reply };
      },
    },
    {
      method: 'PUT',
      pattern: '/tickets/:id',
      handler: async (req) => {
        const ticket = ticketOr404(req);
        const isOpen = (req.body as { is_open?: unknown } | undefined)?.is_open;
        if (typeof isOpen !== 'boolean') throw new SimHttpError(400);
        const wasOpen = ticket.is_open;
        // Setting what already is changes nothing (no new updated_at, no event): a retried PUT is harmless.
        if (isOpen !== wasOpen) {
          ctx.store.setOpen(ticket, isOpen);
          // The platform documents an event for resolving only; reopening sends none.
          if (!isOpen) await ctx.resolvedByApi(ticket);
        }
        return { status: 200, body: ticket };
      },
    },
  ];
}

/** Error bodies: `{ error: <code>, message }` — the code is what the bridge's client may log. */
export function whitelabelErrorBody(status: number): unknown {
  const codes: Record<number, string> = {
    400: 'bad_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    409: 'conflict',
    422: 'unprocessable_entity',
    429: 'rate_limited',
  };
  return { error: codes[status] ?? 'server_error', message: `HTTP ${status}` };
}
