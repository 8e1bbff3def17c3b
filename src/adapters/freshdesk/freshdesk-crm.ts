/**
 * Freshdesk (API v2) as a `CrmPort`. Checked against Freshdesk's reference
 * (developers.freshdesk.com/api; freshdesk-api.md). What differs from Zendesk, and how:
 *
 * - No conditional write (no ETag, no stamp): each write first reads the ticket, in the same
 *   activity, and compares `updated_at` with the version the decision was made from (or, when
 *   that is unknown, the status and the agents' public replies since the decision's read). A
 *   difference is the same 'write-conflict' Zendesk's `safe_update` gives. What this cannot see:
 *   a change in the instant between that read and the write, or within the same second as the
 *   version (`updated_at` has one-second resolution).
 * - No idempotency key: before a create, the requester's recent tickets are listed and one
 *   carrying our id in the custom field is the landed copy (the search index lags minutes, the
 *   ticket list does not). Before a retried comment, the conversations are read for the same
 *   text by the same author after the cursor.
 * - The requester's message is a public note `incoming: true` with `user_id` = the requester;
 *   an agent-side public comment is a reply; a private comment a private note.
 * - The opening message lives on the ticket (`description`), not in the conversations: it is
 *   the first comment, id `0`.
 * - Versions are `updated_at` to the second. A read made in the same second as the ticket's last
 *   change (by Freshdesk's own clock, its `Date` header) cannot know whether another change
 *   follows in that second: its version is marked provisional (`….999Z`, settled ones are
 *   `….000Z`), so the reconciler's next round, which sees the settled one, syncs the ticket once
 *   more instead of missing a same-second change for ever. Conditional writes compare seconds.
 * - A write returns no version (`null`): Freshdesk's answer to a note does not say whether
 *   someone else wrote in between, so the next conditional write re-reads instead.
 * - Files go as multipart parts of the write, within 20 MB for all of a ticket's files (./attachments).
 * - No batch read by ids: `getTicketVersions` costs one `GET /tickets/{id}` per ticket.
 * - No mapped fields (`MAPPING_FILE`): the mapping names Zendesk's ids (custom field ids, brands,
 *   forms), which Freshdesk does not have (its custom fields go by name, it has no brands, and a
 *   `PUT` replaces all tags). A create ignores them, and there is no `updateFields`: the bridge
 *   then reads no mapping digests and follows no later field changes for this helpdesk.
 */
import { compareIds } from '../../domain/comments';
import { CRM_BRIDGE_TAG, parseCrmExternalId, type CrmAttachment, type CrmComment, type CrmStatus, type CrmTicket, type Requester } from '../../domain/ticket';
import type { CommentAuthor, CrmPort, CrmTicketVersion, CrmWriteCondition, NewCrmTicket } from '../../ports/crm';
import { IntegrationError } from '../../ports/errors';
import { findLandedComment, type DedupeWindow } from '../comment-dedupe';
import { HttpClient, nullIfNotFound, type HttpClientOptions } from '../http';
import type { DownloadPolicyOptions } from '../http/outbound-policy';
import { StreamingHttp } from '../http/streaming';
import { messageOf } from '../../domain/attachments';
import { z } from 'zod';
import { attachmentReference, FRESHDESK_TICKET_ATTACHMENT_BYTES, FreshdeskFiles, type AttachmentRef } from './attachments';
import { sameWords, textToHtml } from './html';
import { multipartBody } from './multipart';
import {
  agentSchema,
  conversationList,
  freshdeskAttachmentSchema,
  freshdeskTicketSchema,
  searchResults,
  ticketList,
  type FreshdeskConversation,
  type FreshdeskTicket,
} from './schemas';
import { FreshdeskStatuses, type FreshdeskStatusMap } from './statuses';

export interface FreshdeskCrmOptions {
  /** `https://{domain}.freshdesk.com/api/v2` (the simulator: its `apiUrl`). */
  baseUrl: string;
  /** The API key of the bridge's agent: every write is made as that agent unless `user_id` says otherwise. */
  apiKey: string;
  /** The custom ticket field holding our id (`cf_ticket_bridge_id`). */
  externalIdField: string;
  statuses?: FreshdeskStatusMap;
  timeoutMs?: number;
  downloads?: DownloadPolicyOptions;
  fetch?: HttpClientOptions['fetch'];
}

/** A ticket as read, with the version the port shows (see the module comment). */
type Read = FreshdeskTicket & { version: string };

/** 100 conversations a page; 100 pages is beyond any real ticket: more means a loop. */
const PER_PAGE = 100;
const MAX_PAGES = 100;
/** The requester's tickets looked through for a landed create (newest first). */
const RECENT_TICKETS = 30;
/** The description's comment id: before every conversation. */
export const DESCRIPTION_COMMENT_ID = '0';

const writtenConversation = z.object({ id: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String) });

export class FreshdeskCrm implements CrmPort {
  readonly kind = 'freshdesk';
  readonly files: FreshdeskFiles;
  private readonly http: HttpClient;
  private readonly writes: StreamingHttp;
  private readonly authorization: string;
  private readonly base: string;
  private readonly statuses: FreshdeskStatuses;
  private bridgeUser: Promise<string> | null = null;

  constructor(private readonly options: FreshdeskCrmOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.apiKey}:X`).toString('base64')}`;
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.http = new HttpClient({ service: 'freshdesk', baseUrl: this.base, headers: { authorization: this.authorization }, timeoutMs: options.timeoutMs, fetch: options.fetch });
    this.writes = new StreamingHttp({ service: 'freshdesk', fetch: options.fetch });
    this.statuses = new FreshdeskStatuses(options.statuses);
    this.files = new FreshdeskFiles({ baseUrl: this.base, resolve: (ref) => this.attachmentUrl(ref), downloads: options.downloads, fetch: options.fetch });
  }

  /** `GET /agents/me`, once per process: the key's agent never changes. */
  bridgeUserId(): Promise<string> {
    this.bridgeUser ??= this.http.request('GET /agents/me', agentSchema).then(
      (res) => res.data.id,
      (err: unknown) => {
        this.bridgeUser = null;
        throw err;
      },
    );
    return this.bridgeUser;
  }

  /**
   * Through the search index (which lags minutes and leaves archived tickets out): the newest
   * bridge-tagged ticket with our id, else the oldest with it. A create whose answer was lost is
   * found by `createTicket`'s own check, which does not depend on the index.
   */
  async findTicketByExternalId(externalId: string): Promise<CrmTicket | null> {
    const field = this.options.externalIdField.replace(/^cf_/, '');
    const query = `"${field}:'${externalId.replace(/'/g, "\\'")}'"`;
    const res = await this.http.request('GET /search/tickets', searchResults, { query: { query } });
    const found = this.pick(res.data.results, externalId);
    return found ? this.withComments(withVersion(found, res.headers.get('date'))) : null;
  }

  async createTicket(ticket: NewCrmTicket): Promise<CrmTicket> {
    const landed = await this.landedCreate(ticket);
    if (landed) {
      if (ticket.uploads) await this.files.release(ticket.uploads);
      return this.withComments(landed);
    }
    const requester = this.requesterFields(ticket.requester, ticket.externalId);
    // Spooled before this call, file by file: together they may be over the ticket's 20 MB.
    const files = await this.files.fit(ticket.uploads ?? [], FRESHDESK_TICKET_ATTACHMENT_BYTES);
    const description = textToHtml(files.lines.length > 0 ? `${ticket.description}\n\n${files.lines.join('\n')}` : ticket.description);
    const fields: [string, string][] = [
      ['subject', ticket.subject || '(no subject)'],
      ['description', description],
      ['status', String(this.statuses.write(ticket.status))],
      ['priority', '1'],
      ['source', '2'],
      ...Object.entries(requester),
      [`custom_fields[${this.options.externalIdField}]`, ticket.externalId],
      ...ticket.tags.map((t): [string, string] => ['tags[]', t]),
    ];
    const created = await this.write('POST /tickets', '/tickets', fields, files.ids, freshdeskTicketSchema, () => ({
      subject: ticket.subject || '(no subject)',
      description,
      status: this.statuses.write(ticket.status),
      priority: 1,
      source: 2,
      ...requester,
      custom_fields: { [this.options.externalIdField]: ticket.externalId },
      tags: ticket.tags,
    }));
    // The answer to a write is in the same second as the change: provisional.
    return this.withComments(withVersion(created, null));
  }

  async getTicketVersions(crmTicketIds: readonly string[]): Promise<Map<string, CrmTicketVersion>> {
    const versions = new Map<string, CrmTicketVersion>();
    for (const id of crmTicketIds) {
      const t = await this.readTicket(id);
      if (t) versions.set(t.id, { status: this.statuses.read(t.status), updatedAt: t.version });
    }
    return versions;
  }

  async getTicket(crmTicketId: string): Promise<CrmTicket | null> {
    const ticket = await this.readTicket(crmTicketId);
    return ticket && this.withComments(ticket);
  }

  async addComment(
    crmTicketId: string,
    comment: { body: string; public: boolean; author: CommentAuthor; files?: () => Promise<{ uploads: string[]; lines: string[] }> },
    dedupe: { check: boolean } & DedupeWindow,
    condition?: { version: string },
  ): Promise<{ commentId: string; alreadyPresent: boolean; version: string | null; status: CrmStatus | null }> {
    const ticket = await this.readTicket(crmTicketId);
    if (ticket === null) throw notFound('GET /tickets/{id}');
    const authorId = comment.author.as === 'bridge' ? await this.bridgeUserId() : (comment.author.id ?? ticket.requester_id);
    const withFiles = comment.files !== undefined;
    let comments: CrmComment[] | null = null;
    if (dedupe.check) {
      comments = await this.listComments(ticket);
      const landed = findLandedComment(
        comments,
        (c) => c.authorId === authorId && c.public === comment.public && (sameWords(c.body, comment.body) || (withFiles && sameWords(messageOf(c.body), messageOf(comment.body)))),
        dedupe,
      );
      if (landed) return { commentId: landed.id, alreadyPresent: true, version: null, status: null };
    }
    // The substitute for a conditional write: the ticket as the decision saw it, just before writing.
    if (condition && !sameStamp(ticket.updated_at, condition.version)) throw writeConflict('the ticket changed since it was read');
    let uploads: string[] = [];
    let lines: string[] = [];
    if (comment.files) {
      const files = comment.files;
      const used = attachedBytes(comments ?? (await this.listComments(ticket)));
      ({ uploads, lines } = await this.files.withinBudget(FRESHDESK_TICKET_ATTACHMENT_BYTES - used, files));
    }
    const body = textToHtml(lines.length > 0 ? `${comment.body}\n\n${lines.join('\n')}` : comment.body);
    const asRequester = comment.author.as === 'requester';
    const reply = comment.public && !asRequester;
    const fields: [string, string][] = reply
      ? [['body', body]]
      : [
          ['body', body],
          ['private', String(!comment.public)],
          ...(asRequester ? ([['incoming', 'true'], ['user_id', authorId]] as [string, string][]) : []),
        ];
    const path = `/tickets/${encodeURIComponent(crmTicketId)}/${reply ? 'reply' : 'notes'}`;
    const written = await this.write(reply ? 'POST /tickets/{id}/reply' : 'POST /tickets/{id}/notes', path, fields, uploads, writtenConversation, () => ({
      body,
      ...(!reply && { private: !comment.public }),
      ...(asRequester && { incoming: true, user_id: Number(authorId) }),
    }));
    return { commentId: written.id, alreadyPresent: false, version: null, status: null };
  }

  /**
   * Read, compare, write: the ticket must be as the decision saw it (see the module comment).
   * Already at the target (a retry whose first attempt landed): done, nothing written.
   */
  async setStatus(crmTicketId: string, status: CrmStatus, condition?: CrmWriteCondition): Promise<{ version: string | null }> {
    const ticket = await this.readTicket(crmTicketId);
    if (ticket === null) throw notFound('GET /tickets/{id}');
    // No version: the one read may carry others' changes since, which the caller must read.
    if (this.statuses.read(ticket.status) === status) return { version: null };
    if (condition) {
      if (condition.version !== null && !sameStamp(ticket.updated_at, condition.version)) throw writeConflict('the ticket changed since it was read');
      if (condition.version === null) await this.checkUnchanged(ticket, status, condition);
    }
    const res = await this.http.request('PUT /tickets/{id}', freshdeskTicketSchema, { params: { id: crmTicketId }, body: { status: this.statuses.write(status) } });
    return { version: withVersion(res.data, null).version };
  }

  async setAssignee(crmTicketId: string, assigneeId: string | null): Promise<void> {
    await this.http.request('PUT /tickets/{id}', freshdeskTicketSchema, { params: { id: crmTicketId }, body: { responder_id: assigneeId === null ? null : Number(assigneeId) } });
  }

  /** The check of a condition without a version: the same status, no agent's public reply since. */
  private async checkUnchanged(ticket: Read, target: CrmStatus, condition: CrmWriteCondition): Promise<void> {
    const now = this.statuses.read(ticket.status);
    if (now !== condition.status && now !== target) throw writeConflict('the status changed since it was read');
    const excluded = new Set(condition.excludeIds);
    const after = condition.afterCommentId;
    const agentReplied = (await this.listComments(ticket)).some(
      (c) => c.public && c.authorId !== ticket.requester_id && !excluded.has(c.id) && (after === null || compareIds(c.id, after) > 0),
    );
    if (agentReplied) throw writeConflict('an agent replied since it was read');
  }

  /**
   * A ticket of this requester, carrying our id, that a create whose answer was lost left behind
   * (after the closed ticket a follow-up follows, when it is one).
   */
  private async landedCreate(ticket: NewCrmTicket): Promise<Read | null> {
    const who = this.requesterFields(ticket.requester, ticket.externalId);
    const filter: Record<string, string> = who.email !== undefined ? { email: who.email } : { unique_external_id: who.unique_external_id! };
    const query: Record<string, string> = { ...filter, order_by: 'created_at', order_type: 'desc', per_page: String(RECENT_TICKETS) };
    const res = await this.http.request('GET /tickets', ticketList, { query });
    const after = ticket.followUpOf;
    const found = this.pick(res.data.filter((t) => after === undefined || compareIds(t.id, after) > 0), ticket.externalId);
    return found && withVersion(found, res.headers.get('date'));
  }

  /** Like Zendesk's: the newest bridge-tagged match, else the oldest match. */
  private pick(tickets: readonly FreshdeskTicket[], externalId: string): FreshdeskTicket | null {
    const matches = tickets.filter((t) => this.externalIdOf(t) === externalId).sort((a, b) => compareIds(a.id, b.id));
    return matches.filter((t) => t.tags?.includes(CRM_BRIDGE_TAG)).at(-1) ?? matches[0] ?? null;
  }

  /**
   * The requester Freshdesk should match or create: by e-mail when the source has one, else by
   * `unique_external_id` (`{source}:{user id}`, so two sources' users never merge). Sources
   * without a name get a placeholder (Freshdesk wants one for a new contact without e-mail).
   */
  private requesterFields(r: Requester, externalId: string): { name: string; email?: string; unique_external_id?: string } {
    const name = r.name ?? (r.externalId ? `App user ${r.externalId}` : 'App user');
    if (r.email) return { name, email: r.email };
    const source = parseCrmExternalId(externalId)?.source ?? 'app';
    return { name, unique_external_id: r.externalId ? `${source}:${r.externalId}` : `ticket:${externalId}` };
  }

  private externalIdOf(t: FreshdeskTicket): string | null {
    const value = t.custom_fields?.[this.options.externalIdField];
    return typeof value === 'string' && value !== '' ? value : null;
  }

  /**
   * A JSON write, or with staged files a multipart one (streamed from disk; the staged files are
   * removed after, whatever the answer: a retry spools them again).
   */
  private async write<S extends z.ZodType>(
    operation: `POST /${string}`,
    path: string,
    fields: readonly (readonly [string, string])[],
    uploads: readonly string[],
    schema: S,
    json: () => Record<string, unknown>,
  ): Promise<z.output<S>> {
    const parts = this.files.staged(uploads);
    if (parts.length === 0) {
      await this.files.release(uploads);
      return (await this.http.request(operation, schema, { url: `${this.base}${path}`, body: json() })).data;
    }
    try {
      const body = multipartBody(fields, parts);
      const headers = { authorization: this.authorization, accept: 'application/json', 'content-type': body.contentType, 'content-length': String(body.length) };
      const { text } = await this.writes.upload(operation, `${this.base}${path}`, 'POST', headers, body.stream);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw invalid(operation, 'response body is not JSON');
      }
      const result = schema.safeParse(parsed);
      if (!result.success) throw invalid(operation, 'unexpected response shape');
      return result.data;
    } finally {
      await this.files.release(uploads);
    }
  }

  private async readTicket(id: string): Promise<Read | null> {
    const res = await nullIfNotFound(this.http.request('GET /tickets/{id}', freshdeskTicketSchema, { params: { id }, query: { include: 'description' } }));
    return res && withVersion(res.data, res.headers.get('date'));
  }

  private async withComments(ticket: Read): Promise<CrmTicket> {
    return {
      id: ticket.id,
      status: this.statuses.read(ticket.status),
      externalId: this.externalIdOf(ticket),
      requesterId: ticket.requester_id,
      assigneeId: ticket.responder_id ?? null,
      updatedAt: ticket.version,
      comments: await this.listComments(ticket),
    };
  }

  /** The description, then every conversation, following the `link` header page by page. */
  private async listComments(ticket: FreshdeskTicket): Promise<CrmComment[]> {
    const description = withFiles(
      { id: DESCRIPTION_COMMENT_ID, authorId: ticket.requester_id, body: ticket.description_text ?? '', public: true, createdAt: ticket.created_at },
      attachmentsOf(ticket.id, 'description', ticket.attachments),
    );
    const all: CrmComment[] = [description];
    const operation = 'GET /tickets/{id}/conversations';
    let next: string | null = null;
    for (let n = 0; n < MAX_PAGES; n++) {
      const res = await this.http.request(operation, conversationList, next ? { url: next } : { params: { id: ticket.id }, query: { per_page: String(PER_PAGE) } });
      all.push(...res.data.map((c) => toComment(ticket.id, c)));
      next = nextLink(res.headers.get('link'));
      if (!next) return all;
    }
    throw invalid(operation, `more than ${MAX_PAGES} pages`);
  }

  /** A referenced file's current `attachment_url` (they expire), read again from where it is listed. */
  private async attachmentUrl(ref: AttachmentRef): Promise<string | null> {
    let raw: readonly unknown[] | null | undefined;
    if (ref.conversationId === 'description') raw = (await this.readTicket(ref.ticketId))?.attachments;
    else raw = await this.conversationAttachments(ref.ticketId, ref.conversationId);
    return parseAttachments(raw ?? []).find((a) => a.id === ref.attachmentId)?.attachment_url ?? null;
  }

  private async conversationAttachments(ticketId: string, conversationId: string): Promise<unknown[] | null> {
    const operation = 'GET /tickets/{id}/conversations';
    let next: string | null = null;
    for (let n = 0; n < MAX_PAGES; n++) {
      const res = await nullIfNotFound(
        this.http.request(operation, conversationList, next ? { url: next } : { params: { id: ticketId }, query: { per_page: String(PER_PAGE) } }),
      );
      if (res === null) return null;
      const found = res.data.find((c) => c.id === conversationId);
      if (found) return found.attachments ?? [];
      next = nextLink(res.headers.get('link'));
      if (!next) return null;
    }
    return null;
  }
}

function toComment(ticketId: string, c: FreshdeskConversation): CrmComment {
  return withFiles(
    { id: c.id, authorId: c.user_id, body: c.body_text ?? '', public: !c.private, createdAt: c.created_at },
    attachmentsOf(ticketId, c.id, c.attachments),
  );
}

function withFiles(comment: CrmComment, attachments: CrmAttachment[]): CrmComment {
  return attachments.length > 0 ? { ...comment, attachments } : comment;
}

function parseAttachments(raw: readonly unknown[]) {
  return raw.flatMap((a) => {
    const parsed = freshdeskAttachmentSchema.safeParse(a);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Files as the port lists them: the URL is a stable reference, resolved fresh at download. */
function attachmentsOf(ticketId: string, conversationId: string | 'description', raw: readonly unknown[] | null | undefined): CrmAttachment[] {
  return parseAttachments(raw ?? []).map((a) => ({
    id: a.id,
    name: a.name,
    url: attachmentReference(ticketId, conversationId, a.id),
    contentType: a.content_type ?? null,
    size: a.size,
  }));
}

function attachedBytes(comments: readonly CrmComment[]): number {
  return comments.reduce((n, c) => n + (c.attachments ?? []).reduce((m, a) => m + a.size, 0), 0);
}

/** `<https://…?page=2>; rel="next"` → the URL. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (match) return match[1]!;
  }
  return null;
}

/** Versions compare by the second: a provisional and a settled one of the same second are the same. */
function sameStamp(a: string, b: string): boolean {
  return Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000);
}

/**
 * The version the port shows: `updated_at`'s second, settled (`.000Z`) when Freshdesk's clock
 * (`serverDate`, the answer's `Date` header) had passed that second, else provisional (`.999Z`).
 */
export function withVersion<T extends { updated_at: string }>(ticket: T, serverDate: string | null): T & { version: string } {
  const second = Math.floor(Date.parse(ticket.updated_at) / 1000) * 1000;
  const now = serverDate === null ? Number.NaN : Date.parse(serverDate);
  const settled = Number.isFinite(now) && now >= second + 1000;
  return { ...ticket, version: new Date(settled ? second : second + 999).toISOString() };
}

function writeConflict(detail: string): IntegrationError {
  return new IntegrationError('write-conflict', 'freshdesk', 'PUT /tickets/{id}', `freshdesk: ${detail}`, 409);
}

function notFound(operation: string): IntegrationError {
  return new IntegrationError('not-found', 'freshdesk', operation, `freshdesk ${operation}: ticket not found`, 404);
}

function invalid(operation: string, detail: string): IntegrationError {
  return new IntegrationError('invalid-response', 'freshdesk', operation, `freshdesk ${operation}: ${detail}`);
}
