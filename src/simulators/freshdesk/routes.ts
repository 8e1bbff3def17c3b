/**
 * The documented subset of Freshdesk's API v2, under /api/v2. Writes take JSON or, with files,
 * `multipart/form-data` (`attachments[]` parts); errors are Freshdesk's shapes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SimHttpError, type Route, type SimRequest, type SimResponse } from '../common/sim-server';
import { readUpload } from '../common/uploads';
import { FreshdeskRuleError, NotFound, type FdAttachment, type FdConversation, type FdTicket, type FdUser, type FreshdeskStore, type NewFile } from './store';

export interface FreshdeskRouteContext {
  store: FreshdeskStore;
  apiAgent(): FdUser;
  /** `${origin}/api/v2`, for `link` headers. */
  apiUrl(): string;
  origin(): string;
  /** Signs and checks `attachment_url`s. */
  urlSecret: string;
  attachmentUrlTtlMs(): number;
  /** How long a new ticket stays out of search (the index lags). */
  searchLagMs(): number;
  now(): Date;
  /** A 429 answer when the minute's budget is spent; null to go on. */
  rateLimit(): SimResponse | null;
  /** The API changed a ticket (automation webhooks). Must not wait for receivers. */
  apiWrote(ticket: FdTicket, event: 'created' | 'updated'): void;
}

/** A body over this is refused by the front door (Freshdesk's limit is per ticket, 20 MB). */
const MAX_REQUEST_BYTES = 25 * 1024 * 1024;

export function freshdeskErrorBody(status: number): unknown {
  if (status === 401) return { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' };
  if (status === 404) return undefined;
  if (status === 429) return { message: 'You have exceeded the limit of requests per minute' };
  return { description: `HTTP ${status}` };
}

const validation = (err: FreshdeskRuleError): SimHttpError =>
  new SimHttpError(400, { description: 'Validation failed', errors: [{ field: err.field, message: err.message, code: err.code }] });

export function presentAttachment(ctx: FreshdeskRouteContext, a: FdAttachment) {
  const expires = ctx.now().getTime() + ctx.attachmentUrlTtlMs();
  const sig = sign(ctx.urlSecret, `${a.id}.${expires}`);
  return { id: a.id, name: a.name, content_type: a.content_type, size: a.size, attachment_url: `${ctx.origin()}/files/${a.id}?expires=${expires}&sig=${sig}` };
}

export function presentConversation(ctx: FreshdeskRouteContext, c: FdConversation) {
  return { ...c, attachments: c.attachments.map((a) => presentAttachment(ctx, a)) };
}

export function presentTicket(ctx: FreshdeskRouteContext, t: FdTicket) {
  const { deleted: _deleted, ...rest } = t;
  return { ...rest, attachments: t.attachments.map((a) => presentAttachment(ctx, a)) };
}

function sign(secret: string, what: string): string {
  return createHmac('sha256', secret).update(what).digest('hex');
}

/** A write's fields and files, from JSON or multipart (`tags[]`, `custom_fields[cf_x]`, `attachments[]`). */
async function readWrite(req: SimRequest): Promise<{ fields: Record<string, unknown>; files: NewFile[] }> {
  const raw = await readUpload(req, MAX_REQUEST_BYTES);
  if (raw === 'too-large') throw new SimHttpError(413, { description: 'Request entity too large' });
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('multipart/form-data')) {
    try {
      const json: unknown = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      if (typeof json !== 'object' || json === null) throw new Error();
      return { fields: json as Record<string, unknown>, files: [] };
    } catch {
      throw new SimHttpError(400, { description: 'Validation failed', errors: [{ field: 'body', message: 'Invalid JSON', code: 'invalid_json' }] });
    }
  }
  let form: FormData;
  try {
    form = await new Request('http://sim/', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData();
  } catch {
    throw new SimHttpError(400, { description: 'Validation failed', errors: [{ field: 'body', message: 'Invalid multipart body', code: 'invalid_value' }] });
  }
  const fields: Record<string, unknown> = {};
  const files: NewFile[] = [];
  for (const [key, value] of form.entries()) {
    if (typeof value !== 'string') {
      if (key !== 'attachments[]') continue;
      files.push({ name: value.name, contentType: value.type || 'application/octet-stream', bytes: Buffer.from(await value.arrayBuffer()) });
      continue;
    }
    const nested = /^(\w+)\[(\w*)\]$/.exec(key);
    if (nested && nested[2] === '') ((fields[nested[1]!] ??= []) as unknown[]).push(value);
    else if (nested) ((fields[nested[1]!] ??= {}) as Record<string, unknown>)[nested[2]!] = value;
    else fields[key] = value;
  }
  return { fields, files };
}

const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));
const bool = (v: unknown, fallback: boolean): boolean => (v === undefined ? fallback : v === true || v === 'true');
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** One page of `items` and the `link` header to the next, as Freshdesk paginates. */
function page<T>(ctx: FreshdeskRouteContext, req: SimRequest, items: readonly T[], present: (t: T) => unknown): SimResponse {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30)));
  const n = Math.max(1, Number(req.query.get('page') ?? 1));
  const slice = items.slice((n - 1) * perPage, n * perPage);
  const headers: Record<string, string> = {};
  if (n * perPage < items.length) {
    const next = new URL(`${ctx.apiUrl()}${req.path}`);
    for (const [k, v] of req.query) next.searchParams.set(k, v);
    next.searchParams.set('page', String(n + 1));
    headers.link = `<${next.href}>; rel="next"`;
  }
  return { status: 200, body: slice.map(present), headers };
}

export function freshdeskRoutes(ctx: FreshdeskRouteContext): Route[] {
  const { store } = ctx;
  const ticketOf = (req: SimRequest): FdTicket => {
    const t = store.ticket(Number(req.params.id));
    if (!t) throw new SimHttpError(404);
    return t;
  };
  /** Rate limit first, then Freshdesk's rule errors as 400s and a missing ticket as a 404. */
  const api = (handler: (req: SimRequest) => Promise<SimResponse> | SimResponse) => async (req: SimRequest): Promise<SimResponse> => {
    const limited = ctx.rateLimit();
    if (limited) return limited;
    try {
      return await handler(req);
    } catch (err) {
      if (err instanceof FreshdeskRuleError) throw validation(err);
      if (err instanceof NotFound) throw new SimHttpError(404);
      throw err;
    }
  };
  const conversation = (req: SimRequest, kind: 'reply' | 'note') =>
    api(async () => {
      const t = ticketOf(req);
      const { fields, files } = await readWrite(req);
      const body = text(fields.body);
      if (!body) throw new FreshdeskRuleError('body', 'It should not be blank', 'missing_field');
      const c = store.addConversation(t.id, {
        body,
        incoming: kind === 'note' ? bool(fields.incoming, false) : false,
        private: kind === 'note' ? bool(fields.private, true) : false,
        userId: num(fields.user_id) ?? ctx.apiAgent().id,
        source: kind === 'reply' ? 0 : 2,
        files,
      });
      ctx.apiWrote(t, 'updated');
      return { status: 201, body: presentConversation(ctx, c) };
    })(req);

  return [
    { method: 'GET', pattern: '/agents/me', handler: api(() => ({ status: 200, body: { id: ctx.apiAgent().id, contact: { name: ctx.apiAgent().name, email: ctx.apiAgent().email } } })) },
    {
      method: 'GET',
      pattern: '/tickets',
      handler: api((req) => {
        const email = req.query.get('email');
        const external = req.query.get('unique_external_id');
        const requester = num(req.query.get('requester_id'));
        const matching = store.allTickets().filter((t) => {
          const who = store.users.get(t.requester_id);
          if (email !== null && who?.email !== email) return false;
          if (external !== null && who?.unique_external_id !== external) return false;
          return requester === undefined || t.requester_id === requester;
        });
        const desc = (req.query.get('order_type') ?? 'desc') === 'desc';
        matching.sort((a, b) => (desc ? b.id - a.id : a.id - b.id));
        return page(ctx, req, matching, (t) => presentTicket(ctx, t));
      }),
    },
    { method: 'GET', pattern: '/tickets/:id', handler: api((req) => ({ status: 200, body: presentTicket(ctx, ticketOf(req)) })) },
    {
      method: 'POST',
      pattern: '/tickets',
      stream: true,
      handler: api(async (req) => {
        const { fields, files } = await readWrite(req);
        const requester =
          num(fields.requester_id) !== undefined
            ? store.users.get(num(fields.requester_id)!)
            : store.contactFor({ email: text(fields.email), unique_external_id: text(fields.unique_external_id), name: text(fields.name) });
        if (!requester) throw new FreshdeskRuleError('requester_id', 'There is no contact matching the given requester_id');
        const t = store.createTicket({
          subject: text(fields.subject) ?? '',
          description: text(fields.description) ?? '',
          status: num(fields.status) ?? 2,
          priority: num(fields.priority) ?? 1,
          source: num(fields.source) ?? 2,
          requesterId: requester.id,
          responderId: num(fields.responder_id) ?? null,
          customFields: (fields.custom_fields as Record<string, unknown> | undefined) ?? {},
          tags: (fields.tags as string[] | undefined) ?? [],
          files,
        });
        ctx.apiWrote(t, 'created');
        return { status: 201, body: presentTicket(ctx, t) };
      }),
    },
    {
      method: 'PUT',
      pattern: '/tickets/:id',
      handler: api((req) => {
        const t = ticketOf(req);
        const b = (req.body ?? {}) as Record<string, unknown>;
        const responder = b.responder_id === null ? null : num(b.responder_id);
        const updated = store.update(t.id, {
          status: num(b.status),
          ...(b.responder_id !== undefined && { responder_id: responder ?? null }),
          ...(Array.isArray(b.tags) && { tags: b.tags as string[] }),
          ...(typeof b.custom_fields === 'object' && b.custom_fields !== null && { custom_fields: b.custom_fields as Record<string, unknown> }),
        });
        ctx.apiWrote(updated, 'updated');
        return { status: 200, body: presentTicket(ctx, updated) };
      }),
    },
    {
      method: 'GET',
      pattern: '/tickets/:id/conversations',
      handler: api((req) => page(ctx, req, store.conversationsOf(ticketOf(req).id), (c) => presentConversation(ctx, c))),
    },
    { method: 'POST', pattern: '/tickets/:id/reply', stream: true, handler: (req) => conversation(req, 'reply') },
    { method: 'POST', pattern: '/tickets/:id/notes', stream: true, handler: (req) => conversation(req, 'note') },
    {
      method: 'GET',
      pattern: '/search/tickets',
      handler: api((req) => {
        // Only `"field:'value'"` on a custom field (named without `cf_`), the one query the bridge makes.
        const match = /^"(\w+):'((?:[^'\\]|\\.)*)'"$/.exec(req.query.get('query') ?? '');
        if (!match) throw new FreshdeskRuleError('query', 'Invalid query', 'invalid_value');
        const [, field, value] = [match[0], match[1]!, match[2]!.replace(/\\'/g, "'")];
        const indexedBefore = ctx.now().getTime() - ctx.searchLagMs();
        const results = store
          .allTickets()
          .filter((t) => Date.parse(t.created_at) <= indexedBefore && t.custom_fields[`cf_${field}`] === value)
          .map((t) => presentTicket(ctx, t));
        return { status: 200, body: { results: results.slice(0, 30), total: results.length } };
      }),
    },
    {
      // A pre-signed storage URL: no API credentials, refused once expired.
      method: 'GET',
      pattern: '/files/:id',
      atRoot: true,
      auth: false,
      handler: (req) => {
        const expires = Number(req.query.get('expires'));
        const given = Buffer.from(req.query.get('sig') ?? '');
        const wanted = Buffer.from(sign(ctx.urlSecret, `${req.params.id}.${expires}`));
        if (given.length !== wanted.length || !timingSafeEqual(given, wanted) || ctx.now().getTime() > expires) {
          return { status: 403, bytes: Buffer.from('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>'), headers: { 'content-type': 'application/xml' } };
        }
        const file = store.file(Number(req.params.id));
        if (!file) return { status: 404, bytes: Buffer.from('not found'), headers: { 'content-type': 'text/plain' } };
        return { status: 200, bytes: file.bytes, headers: { 'content-type': file.content_type } };
      },
    },
  ];
}
