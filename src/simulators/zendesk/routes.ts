import { z } from 'zod';
import { SimHttpError, type Route, type SimRequest, type SimResponse } from '../common/sim-server';
import { IdempotencyCache, MAX_KEY_LENGTH } from './idempotency';
import { readUpload } from '../common/uploads';
import {
  ZD_PRIORITIES,
  ZD_STATUSES,
  UPLOAD_TTL_MS,
  ZendeskRuleError,
  type ZdAttachment,
  type ZdAudit,
  type ZdComment,
  type ZdTicket,
  type ZdUser,
  type ZdWriteResult,
  type ZendeskStore,
} from './store';

export interface ZendeskRouteContext {
  store: ZendeskStore;
  bridgeUser(): ZdUser;
  /** `${origin}/api/v2`, for `url` fields and `next_page` links. */
  apiUrl(): string;
  pageSize(): number;
  /** The API user wrote something (webhooks, when echoes are on). Must not wait for receivers. */
  apiWrote(write: ZdWriteResult): void;
  idempotency: IdempotencyCache;
  /** The simulator's origin, for attachments' `content_url`. */
  origin(): string;
  /** Largest file `POST /uploads.json` takes (Zendesk: 50 MB); more is a 413. */
  maxUploadBytes(): number;
}

/** An attachment as Zendesk shows it, `content_url` served by the simulator (same auth as the API). */
export function presentAttachment(store: ZendeskStore, origin: string, a: ZdAttachment) {
  const token = store.uploadOf(a.id)?.token ?? 'gone';
  const content_url = `${origin}/attachments/token/${token}/?name=${encodeURIComponent(a.file_name)}`;
  return { id: a.id, file_name: a.file_name, content_url, content_type: a.content_type, size: a.size, inline: false };
}

export function presentComment(store: ZendeskStore, origin: string, c: ZdComment) {
  return { ...c, attachments: c.attachments.map((a) => presentAttachment(store, origin, a)) };
}

function presentAudit(store: ZendeskStore, origin: string, audit: ZdAudit) {
  const events = audit.events.map((e) =>
    e.type === 'Comment' ? { ...e, attachments: e.attachments.map((a) => presentAttachment(store, origin, a)) } : e,
  );
  return { ...audit, events };
}

const id = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const createBody = z.object({
  ticket: z.object({
    subject: z.string().default(''),
    comment: z.object({ body: z.string(), public: z.boolean().optional(), uploads: z.array(z.string()).optional() }),
    requester: z.object({ name: z.string(), email: z.string().nullish() }).optional(),
    requester_id: id.optional(),
    external_id: z.string().nullish(),
    status: z.enum(ZD_STATUSES).optional(),
    assignee_id: id.nullish(),
    tags: z.array(z.string()).optional(),
    via_followup_source_id: id.optional(),
    priority: z.enum(ZD_PRIORITIES).optional(),
    group_id: id.optional(),
    brand_id: id.optional(),
    ticket_form_id: id.optional(),
    custom_fields: z.array(z.object({ id, value: z.union([z.string(), z.number(), z.boolean()]).nullable() })).optional(),
  }),
});

const updateBody = z.object({
  ticket: z.object({
    status: z.enum(ZD_STATUSES).optional(),
    assignee_id: id.nullable().optional(),
    comment: z
      .object({ body: z.string(), public: z.boolean().optional(), author_id: id.optional(), uploads: z.array(z.string()).optional() })
      .optional(),
    priority: z.enum(ZD_PRIORITIES).optional(),
    group_id: id.optional(),
    brand_id: id.optional(),
    ticket_form_id: id.optional(),
    custom_fields: z.array(z.object({ id, value: z.union([z.string(), z.number(), z.boolean()]).nullable() })).optional(),
    additional_tags: z.array(z.string()).optional(),
    remove_tags: z.array(z.string()).optional(),
    // Update collisions: with `safe_update`, a ticket changed after `updated_stamp` is not written.
    safe_update: z.boolean().optional(),
    updated_stamp: z.string().optional(),
  }),
});

/** The documented subset of the Support API, mounted under /api/v2. */
export function zendeskRoutes(ctx: ZendeskRouteContext): Route[] {
  const present = (t: ZdTicket) => ({ url: `${ctx.apiUrl()}/tickets/${t.id}.json`, ...t });
  const ticketOr404 = (req: SimRequest): ZdTicket => {
    const ticket = ctx.store.ticket(Number(req.params.id));
    if (!ticket) throw new SimHttpError(404);
    return ticket;
  };

  return [
    { method: 'GET', pattern: '/users/me.json', handler: () => ({ status: 200, body: { user: ctx.bridgeUser() } }) },
    {
      method: 'GET',
      pattern: '/tickets.json',
      handler: (req) => {
        const externalId = req.query.get('external_id');
        const all = ctx.store.allTickets().filter((t) => externalId === null || t.external_id === externalId);
        return { status: 200, body: paginate('tickets', all.map(present), req, `${ctx.apiUrl()}/tickets.json`, ctx.pageSize()) };
      },
    },
    {
      method: 'POST',
      pattern: '/tickets.json',
      handler: (req) => {
        const key = header(req, 'idempotency-key');
        if (key !== undefined && key.length > MAX_KEY_LENGTH) throw badRequest('Idempotency-Key is too long');
        if (key !== undefined) {
          const seen = ctx.idempotency.lookup(key, req.body);
          if (seen === 'conflict') throw badRequest('Idempotency-Key reused with different request parameters');
          if (seen) return { ...seen, headers: { ...seen.headers, 'x-idempotency-lookup': 'hit' } };
        }
        const input = parse(createBody, req.body).ticket;
        const write = rules(() => ctx.store.create(input, ctx.bridgeUser().id, 'web_service'));
        ctx.apiWrote(write);
        const audit = presentAudit(ctx.store, ctx.origin(), write.audit);
        const response: SimResponse = { status: 201, body: { ticket: present(write.ticket), audit } };
        if (key === undefined) return response;
        ctx.idempotency.remember(key, req.body, response);
        return { ...response, headers: { 'x-idempotency-lookup': 'miss' } };
      },
    },
    {
      // Up to 100 tickets by id in one request; unknown ids are left out, as Zendesk does.
      method: 'GET',
      pattern: '/tickets/show_many.json',
      handler: (req) => {
        const ids = (req.query.get('ids') ?? '').split(',').filter((v) => v !== '');
        if (ids.length === 0 || ids.length > 100 || ids.some((v) => !/^\d+$/.test(v))) {
          throw badRequest('ids must be 1 to 100 comma-separated ticket ids');
        }
        const tickets = ids.flatMap((v) => {
          const ticket = ctx.store.ticket(Number(v));
          return ticket ? [present(ticket)] : [];
        });
        return { status: 200, body: { tickets, next_page: null, previous_page: null, count: tickets.length } };
      },
    },
    {
      method: 'GET',
      pattern: '/tickets/:id.json',
      handler: (req) => ({ status: 200, body: { ticket: present(ticketOr404(req)) } }),
    },
    {
      method: 'PUT',
      pattern: '/tickets/:id.json',
      handler: (req) => {
        const { safe_update, updated_stamp, ...change } = parse(updateBody, req.body).ticket;
        if (safe_update && updated_stamp !== undefined) {
          const current = ticketOr404(req);
          if (Date.parse(current.updated_at) !== Date.parse(updated_stamp)) {
            throw new SimHttpError(409, {
              error: 'UpdateConflict',
              description: 'Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.',
            });
          }
        }
        const write = rules(() => ctx.store.update(Number(req.params.id), change, ctx.bridgeUser().id, 'web_service'));
        ctx.apiWrote(write);
        return { status: 200, body: { ticket: present(write.ticket), audit: presentAudit(ctx.store, ctx.origin(), write.audit) } };
      },
    },
    {
      method: 'GET',
      pattern: '/tickets/:id/comments.json',
      handler: (req) => {
        const ticket = ticketOr404(req);
        const link = `${ctx.apiUrl()}/tickets/${ticket.id}/comments.json`;
        const oldestFirst = ctx.store.commentsOf(ticket.id).map((c) => presentComment(ctx.store, ctx.origin(), c));
        // `sort_order`: asc (default) or desc, as Zendesk's List Comments takes it.
        const comments = req.query.get('sort_order') === 'desc' ? oldestFirst.reverse() : oldestFirst;
        return { status: 200, body: paginate('comments', comments, req, link, ctx.pageSize()) };
      },
    },
    {
      // The raw bytes as the body, any content type; `filename` names the file.
      method: 'POST',
      pattern: '/uploads.json',
      stream: true,
      handler: async (req) => {
        const fileName = req.query.get('filename');
        if (!fileName) throw badRequest('filename is required');
        const upload = await readUpload(req, ctx.maxUploadBytes());
        if (upload === 'too-large') throw new SimHttpError(413, { error: 'RecordInvalid', description: 'File size exceeds the limit' });
        const stored = ctx.store.addUpload(fileName, contentTypeOf(req), upload);
        const attachment = presentAttachment(ctx.store, ctx.origin(), stored.attachment);
        const expires_at = new Date(Date.parse(stored.created_at) + UPLOAD_TTL_MS).toISOString();
        return { status: 201, body: { upload: { token: stored.token, expires_at, attachments: [attachment], attachment } } };
      },
    },
    {
      // `content_url`: outside /api/v2, downloaded with the API's own authentication.
      method: 'GET',
      pattern: '/attachments/token/:token/',
      atRoot: true,
      handler: (req) => {
        const upload = ctx.store.upload(req.params.token!);
        if (!upload) throw new SimHttpError(404);
        return { status: 200, bytes: upload.bytes, headers: { 'content-type': upload.attachment.content_type } };
      },
    },
  ];
}

/** Zendesk's error bodies. */
export function zendeskErrorBody(status: number): unknown {
  switch (status) {
    case 401:
      return { error: "Couldn't authenticate you" };
    case 403:
      return { error: 'Forbidden', description: 'You do not have access to this page.' };
    case 404:
      return { error: 'RecordNotFound', description: 'Not found' };
    case 429:
      return { error: 'APIRateLimitExceeded', description: 'Rate limit exceeded' };
    case 400:
      return { error: 'InvalidRequest', description: 'Invalid request' };
    default:
      return { error: status >= 500 ? 'InternalError' : 'InvalidRequest', description: 'Something went wrong' };
  }
}

/** Offset pagination: `page` (1-based) and `per_page` (≤ 100), with absolute `next_page` links. */
function paginate<T>(key: string, items: readonly T[], req: SimRequest, link: string, defaultSize: number) {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page')) || defaultSize));
  const page = Math.max(1, Number(req.query.get('page')) || 1);
  const pageLink = (n: number) => {
    const url = new URL(link);
    for (const [k, v] of req.query) if (k !== 'page' && k !== 'per_page') url.searchParams.set(k, v);
    url.searchParams.set('page', String(n));
    url.searchParams.set('per_page', String(perPage));
    return url.toString();
  };
  return {
    [key]: items.slice((page - 1) * perPage, page * perPage),
    next_page: page * perPage < items.length ? pageLink(page + 1) : null,
    previous_page: page > 1 ? pageLink(page - 1) : null,
    count: items.length,
  };
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof (body as { ticket?: unknown } | undefined)?.ticket !== 'object') throw badRequest('ticket object required');
  const result = schema.safeParse(body);
  if (!result.success) {
    const field = String(result.error.issues[0]?.path.at(-1) ?? 'ticket');
    const details = { [field]: [{ description: 'is invalid' }] };
    throw new SimHttpError(422, { error: 'RecordInvalid', description: 'Record validation errors', details });
  }
  return result.data;
}

function rules<T>(write: () => T): T {
  try {
    return write();
  } catch (err) {
    if (err instanceof ZendeskRuleError) throw new SimHttpError(err.status, err.body);
    throw err;
  }
}

function badRequest(description: string): SimHttpError {
  return new SimHttpError(400, { error: 'InvalidRequest', description });
}

/** The declared type without parameters; Zendesk falls back to a generic binary type. */
function contentTypeOf(req: SimRequest): string {
  const declared = header(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  return declared || 'application/octet-stream';
}

function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
