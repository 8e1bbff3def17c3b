import { createHmac, timingSafeEqual } from 'node:crypto';
import { SimHttpError, type Route, type SimRequest } from '../common/sim-server';
import { readUpload } from '../common/uploads';
import {
  CONNECT_STATUSES,
  type ConnectCommentRecord,
  type ConnectStatus,
  type ConnectStore,
  type ConnectTicketRecord,
} from './store';

/** What the routes need from the simulator besides the store. */
export interface ConnectRouteContext {
  store: ConnectStore;
  /** The integrator (API key holder) changed a ticket. Must not wait for webhook receivers. */
  changedByApi(ticket: ConnectTicketRecord): void;
  /** Base for signed upload URLs. */
  origin(): string;
  now(): Date;
  /** Signs the simulator's URLs (upload and download). */
  signingKey(): string;
  /** How long an upload URL is valid (the API: 15 minutes). */
  uploadUrlTtlMs(): number;
  /** Largest file a signed URL takes; more is a 413. */
  maxUploadBytes(): number;
}

/** A comment as the API shows it: each attachment is the URL its file is downloaded from. */
export function presentComment(ctx: Pick<ConnectRouteContext, 'origin' | 'signingKey'>, c: ConnectCommentRecord): ConnectCommentRecord {
  return { ...c, attachments: c.attachments.map((name) => fileUrl(ctx, c.id, name)) };
}

export function presentTicket(ctx: Pick<ConnectRouteContext, 'origin' | 'signingKey'>, t: ConnectTicketRecord): ConnectTicketRecord {
  return { ...t, comments: t.comments.map((c) => presentComment(ctx, c)) };
}

/**
 * Where a comment's attachment is downloaded: a signed URL with no expiry, so the `attachments`
 * strings stay stable (connect-tickets-api.md says only "array of strings"; the simulator takes
 * them to be download URLs, the only reading that lets an integrator fetch the file, and the one
 * the white-label events use too). The file name is the last path segment.
 */
export function fileUrl(ctx: Pick<ConnectRouteContext, 'origin' | 'signingKey'>, commentId: number, name: string): string {
  const signature = sign(ctx.signingKey(), `GET\n${commentId}\n${name}`);
  return `${ctx.origin()}/files/${commentId}/${encodeURIComponent(name)}?signature=${signature}`;
}

/** The documented REST subset: get ticket, update status, add comment, attachment upload URL. */
export function connectRoutes(ctx: ConnectRouteContext): Route[] {
  const ticketOr404 = (req: SimRequest): ConnectTicketRecord => {
    const ticket = ctx.store.get(req.params.id!);
    if (!ticket) throw new SimHttpError(404);
    return ticket;
  };

  return [
    { method: 'GET', pattern: '/tickets/:id', handler: (req) => ({ status: 200, body: presentTicket(ctx, ticketOr404(req)) }) },
    {
      method: 'PUT',
      pattern: '/tickets/:id',
      handler: (req) => {
        const ticket = ticketOr404(req);
        const status = (req.body as { status?: unknown } | undefined)?.status;
        if (!CONNECT_STATUSES.includes(status as ConnectStatus)) throw new SimHttpError(400);
        ctx.store.setStatus(ticket, status as ConnectStatus);
        ctx.changedByApi(ticket);
        return { status: 200, body: presentTicket(ctx, ticket) };
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
        return { status: 201, body: presentComment(ctx, comment) };
      },
    },
    {
      method: 'POST',
      pattern: '/comments/:commentId/attachment-upload-url',
      handler: (req) => {
        const fileName = (req.body as { fileName?: unknown } | undefined)?.fileName;
        if (typeof fileName !== 'string' || fileName === '' || fileName.includes('/')) throw new SimHttpError(400);
        const comment = ctx.store.findComment(Number(req.params.commentId));
        if (!comment) throw new SimHttpError(404);
        const expires = ctx.now().getTime() + ctx.uploadUrlTtlMs();
        const signature = sign(ctx.signingKey(), `PUT\n${comment.id}\n${fileName}\n${expires}`);
        const url = `${ctx.origin()}/uploads/${comment.id}/${encodeURIComponent(fileName)}?expires=${expires}&signature=${signature}`;
        return { status: 200, body: { url } };
      },
    },
    {
      // The signed URL itself: authorised by its signature, not the API key. The body is the
      // file, its `Content-Type` the file's type.
      method: 'PUT',
      pattern: '/uploads/:commentId/:fileName',
      auth: false,
      stream: true,
      handler: async (req) => {
        const { commentId, fileName } = req.params as { commentId: string; fileName: string };
        const expires = Number(req.query.get('expires'));
        const expected = sign(ctx.signingKey(), `PUT\n${commentId}\n${fileName}\n${req.query.get('expires')}`);
        if (!sameSignature(req.query.get('signature'), expected)) throw new SimHttpError(403, signatureError('Signature does not match'));
        if (!(expires > ctx.now().getTime())) throw new SimHttpError(403, expiredError());
        const comment = ctx.store.findComment(Number(commentId));
        if (!comment) throw new SimHttpError(404);
        const bytes = await readUpload(req, ctx.maxUploadBytes());
        if (bytes === 'too-large') throw new SimHttpError(413, { code: 413, message: 'Payload too large' });
        ctx.store.addAttachment(comment, fileName, { contentType: contentTypeOf(req), bytes });
        return { status: 200 };
      },
    },
    {
      // A comment's attachment (the URLs its `attachments` lists): signed, no API key needed.
      method: 'GET',
      pattern: '/files/:commentId/:fileName',
      auth: false,
      handler: (req) => {
        const { commentId, fileName } = req.params as { commentId: string; fileName: string };
        const expected = sign(ctx.signingKey(), `GET\n${commentId}\n${fileName}`);
        if (!sameSignature(req.query.get('signature'), expected)) throw new SimHttpError(403, signatureError('Signature does not match'));
        const file = ctx.store.file(Number(commentId), fileName);
        if (!file) throw new SimHttpError(404);
        return { status: 200, bytes: file.bytes, headers: { 'content-type': file.contentType } };
      },
    },
  ];
}

/** What storage behind a signed URL answers once it has expired (403, as S3 does). */
export function expiredError(): unknown {
  return { code: 403, message: 'Request has expired' };
}

function signatureError(message: string): unknown {
  return { code: 403, message };
}

function sign(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

function sameSignature(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function contentTypeOf(req: SimRequest): string {
  const v = req.headers['content-type'];
  const declared = (Array.isArray(v) ? v[0] : v)?.split(';')[0]?.trim().toLowerCase();
  return declared || 'application/octet-stream';
}

/** Connect's error bodies: the Spring-style shape for 400/401/404, `{ code, message }` otherwise. */
export function connectErrorBody(status: number, path: string, now: Date): unknown {
  const reason: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' };
  if (reason[status]) return { timestamp: now.toISOString(), status, error: reason[status], path };
  return { code: status, message: status === 429 ? 'Too many requests' : 'Unexpected error' };
}
