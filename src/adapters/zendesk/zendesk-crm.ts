import { CRM_BRIDGE_TAG, type CrmComment, type CrmStatus, type CrmTicket, type Requester } from '../../domain/ticket';
import type { CommentAuthor, CrmFieldsChange, CrmPort, CrmTicketFields, CrmTicketVersion, CrmWriteCondition, NewCrmTicket } from '../../ports/crm';
import { IntegrationError } from '../../ports/errors';
import { compareIds } from '../../domain/comments';
import { findLandedComment, sameBody, type DedupeWindow } from '../comment-dedupe';
import type { CrmFiles } from '../../ports/attachments';
import { ZendeskAttachments } from './attachments';
import type { z } from 'zod';
import { HttpClient, nullIfNotFound, type HttpClientOptions, type Operation, type RequestOptions } from '../http';
import type { DownloadPolicyOptions } from '../http/outbound-policy';
import { toCrmComment, toCrmTicket } from './mapping';
import {
  auditComment,
  commentsPage,
  createAudit,
  createResponse,
  meResponse,
  ticketResponse,
  ticketsPage,
  updateResponse,
  type ZendeskTicket,
} from './schemas';

export interface ZendeskCrmOptions {
  /** `https://{subdomain}.zendesk.com/api/v2` (the simulator: its `apiUrl`). */
  baseUrl: string;
  /** The bridge's API user; every write is made as this user (echo suppression relies on it). */
  email: string;
  apiToken: string;
  timeoutMs?: number;
  /** Where its `content_url` downloads may go beyond its own host and Zendesk's storage. */
  downloads?: DownloadPolicyOptions;
  fetch?: HttpClientOptions['fetch'];
}

/** Zendesk allows 5,000 comments per ticket, 100 per page: 50 pages. More means a loop. */
const MAX_PAGES = 100;
/** Tickets per `show_many` request (Zendesk's limit). */
const SHOW_MANY_LIMIT = 100;

/** Zendesk will not solve (or close) a ticket without an assignee. */
const NEEDS_ASSIGNEE: ReadonlySet<CrmStatus> = new Set(['solved', 'closed']);

/** Zendesk Support as a `CrmPort` (zendesk-api.md). */
export class ZendeskCrm implements CrmPort {
  readonly kind = 'zendesk';
  /** Downloads of `content_url`s and `POST /uploads.json`, with the same credentials. */
  readonly files: CrmFiles;
  private readonly http: HttpClient;
  private bridgeUser: Promise<string> | null = null;

  constructor(options: ZendeskCrmOptions) {
    const basic = Buffer.from(`${options.email}/token:${options.apiToken}`).toString('base64');
    this.http = new HttpClient({
      service: 'zendesk',
      baseUrl: options.baseUrl,
      headers: { authorization: `Basic ${basic}` },
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
    });
    this.files = new ZendeskAttachments({
      baseUrl: options.baseUrl,
      email: options.email,
      apiToken: options.apiToken,
      downloads: options.downloads,
      fetch: options.fetch,
    });
  }

  /** Asked once per process: the API user never changes under a given token. */
  bridgeUserId(): Promise<string> {
    this.bridgeUser ??= this.http.request('GET /users/me.json', meResponse).then(
      (res) => res.data.user.id,
      (err: unknown) => {
        this.bridgeUser = null; // do not cache a failure
        throw err;
      },
    );
    return this.bridgeUser;
  }

  async findTicketByExternalId(externalId: string): Promise<CrmTicket | null> {
    const query = { external_id: externalId };
    const tickets = await this.collect('GET /tickets.json', ticketsPage, { query }, (p) => p.tickets);
    // external_id is not unique in Zendesk. The bridge's tickets carry its tag: the newest of
    // them is the current one (a follow-up of a closed one comes later). Without the tag (tickets
    // made before it, or a human's copy) the oldest match is the one the bridge made.
    const matches = tickets.filter((t) => t.external_id === externalId).sort((a, b) => compareIds(a.id, b.id));
    const own = matches.filter((t) => t.tags?.includes(CRM_BRIDGE_TAG));
    const found = own.at(-1) ?? matches[0];
    return found ? this.withComments(found) : null;
  }

  async createTicket(ticket: NewCrmTicket): Promise<CrmTicket> {
    const { fields } = ticket;
    const assignee =
      fields?.assigneeId !== undefined
        ? { assignee_id: fields.assigneeId }
        : NEEDS_ASSIGNEE.has(ticket.status)
          ? { assignee_id: Number(await this.bridgeUserId()) }
          : {};
    const res = await this.http.request('POST /tickets.json', createResponse, {
      // Zendesk replays the first response for the same key (2 h): a retried create is a no-op.
      headers: { 'Idempotency-Key': ticket.idempotencyKey },
      body: {
        ticket: {
          subject: ticket.subject,
          comment: { body: ticket.description, public: true, ...(ticket.uploads?.length && { uploads: ticket.uploads }) },
          requester: zendeskRequester(ticket.requester),
          external_id: ticket.externalId,
          status: ticket.status,
          tags: fields?.tags ? [...new Set([...ticket.tags, ...fields.tags])] : ticket.tags,
          ...(ticket.followUpOf !== undefined && { via_followup_source_id: Number(ticket.followUpOf) }),
          ...assignee,
          ...(fields && zendeskFields(fields)),
        },
      },
    });
    const description = describedBy(res.data.audit);
    return description ? toCrmTicket(res.data.ticket, [description]) : this.withComments(res.data.ticket);
  }

  async getTicketVersions(crmTicketIds: readonly string[]): Promise<Map<string, CrmTicketVersion>> {
    const versions = new Map<string, CrmTicketVersion>();
    for (let i = 0; i < crmTicketIds.length; i += SHOW_MANY_LIMIT) {
      const ids = crmTicketIds.slice(i, i + SHOW_MANY_LIMIT).join(',');
      const res = await this.http.request('GET /tickets/show_many.json', ticketsPage, { query: { ids } });
      for (const t of res.data.tickets) versions.set(t.id, { status: t.status, updatedAt: t.updated_at ?? null });
    }
    return versions;
  }

  async getTicket(crmTicketId: string, options: { commentsSince?: string } = {}): Promise<CrmTicket | null> {
    const ticket = await this.readTicket(crmTicketId);
    if (ticket === null) return null;
    if (options.commentsSince === undefined) return this.withComments(ticket);
    return toCrmTicket(ticket, await this.listCommentsSince(ticket.id, Date.parse(options.commentsSince)));
  }

  async addComment(
    crmTicketId: string,
    comment: { body: string; public: boolean; author: CommentAuthor; status?: CrmStatus; files?: () => Promise<{ uploads: string[]; lines: string[] }> },
    dedupe: { check: boolean } & DedupeWindow,
    condition?: { version: string },
  ): Promise<{ commentId: string; alreadyPresent: boolean; version: string | null; status: CrmStatus | null }> {
    const authorId = await this.authorId(crmTicketId, comment.author);
    const withFiles = comment.files !== undefined;
    if (dedupe.check) {
      const landed = findLandedComment(
        await this.listComments(crmTicketId),
        (c) => c.authorId === authorId && c.public === comment.public && sameBody(c.body, comment.body, withFiles),
        dedupe,
      );
      // The version is unknown: others may have written after the landed comment.
      if (landed) return { commentId: landed.id, alreadyPresent: true, version: null, status: null };
    }
    // Uploaded now, bound by this one write: the comment lands with its files or not at all.
    const files = comment.files ? await comment.files() : { uploads: [], lines: [] };
    const body = files.lines.length > 0 ? `${comment.body}\n\n${files.lines.join('\n')}` : comment.body;
    let res;
    try {
      res = await this.update(crmTicketId, {
        comment: { body, public: comment.public, author_id: Number(authorId), ...(files.uploads.length > 0 && { uploads: files.uploads }) },
        ...(comment.status !== undefined && { status: comment.status }),
        ...(condition && { safe_update: true, updated_stamp: condition.version }),
      });
    } catch (err) {
      if (condition && err instanceof IntegrationError && err.kind === 'conflict') throw writeConflict('the ticket changed since it was read');
      throw err;
    }
    const created = res.audit.events.find((e) => e.type === 'Comment');
    if (!created) throw invalid('PUT /tickets/{id}.json', 'the update audit has no Comment event');
    return { commentId: created.id, alreadyPresent: false, version: res.ticket.updated_at ?? null, status: res.ticket.status };
  }

  /**
   * A conditional write is `safe_update` with the version the decision was made from: Zendesk
   * writes nothing if anyone changed the ticket since (409 `UpdateConflict`). When that version
   * is unknown, a re-read stands in: the status and the agents' replies must be as decided from.
   */
  async setStatus(crmTicketId: string, status: CrmStatus, condition?: CrmWriteCondition): Promise<{ version: string | null }> {
    const change: Record<string, unknown> = { status };
    let stamp = condition?.version ?? null;
    const knownAssigned = condition?.assigned === true && stamp !== null;
    if ((NEEDS_ASSIGNEE.has(status) && !knownAssigned) || (condition && stamp === null)) {
      const ticket = await this.readTicket(crmTicketId);
      if (ticket === null) throw notFound('GET /tickets/{id}.json');
      // Already there (e.g. a retry after the first attempt landed): done, whatever the stamp
      // says — writing again to a closed ticket would be a 422, and it is the bridge's own write.
      // No version: the one read may carry others' changes since, which the caller must read.
      if (ticket.status === status) return { version: null };
      if (condition) {
        if (stamp !== null && !sameStamp(ticket.updated_at, stamp)) throw writeConflict('the ticket changed since it was read');
        if (stamp === null) await this.checkUnchanged(ticket, status, condition);
        stamp = ticket.updated_at ?? null;
      }
      if (NEEDS_ASSIGNEE.has(status) && ticket.assignee_id == null) change.assignee_id = Number(await this.bridgeUserId());
    }
    if (condition && stamp !== null) Object.assign(change, { safe_update: true, updated_stamp: stamp });
    try {
      // Anything on a closed ticket is a 422 from Zendesk: surfaced as 'unprocessable', on purpose.
      const res = await this.update(crmTicketId, change);
      return { version: res.ticket.updated_at ?? null };
    } catch (err) {
      if (condition && err instanceof IntegrationError && err.kind === 'conflict') {
        // A retry whose first attempt landed (its answer lost) carries the stamp from before it.
        const now = await this.readTicket(crmTicketId);
        if (now?.status === status) return { version: null };
        throw writeConflict('Zendesk refused the safe update');
      }
      throw err;
    }
  }

  /** The re-read check of a condition without a version (see `CrmWriteCondition`). */
  private async checkUnchanged(ticket: ZendeskTicket, target: CrmStatus, condition: CrmWriteCondition): Promise<void> {
    if (ticket.status !== condition.status && ticket.status !== target) throw writeConflict('the status changed since it was read');
    const excluded = new Set(condition.excludeIds);
    const after = condition.afterCommentId;
    const agentReplied = (await this.listComments(ticket.id)).some(
      (c) => c.public && c.authorId !== ticket.requester_id && !excluded.has(c.id) && (after === null || compareIds(c.id, after) > 0),
    );
    if (agentReplied) throw writeConflict('an agent replied since it was read');
  }

  async setAssignee(crmTicketId: string, assigneeId: string | null): Promise<void> {
    await this.update(crmTicketId, { assignee_id: assigneeId === null ? null : Number(assigneeId) });
  }

  /**
   * One `PUT` with `safe_update` on `version` (or on the version of a read made first, when it is
   * unknown or tags are to be taken off: the read names the ticket's tags). Tags go as
   * `additional_tags` / `remove_tags`, which leave every other tag as it is.
   */
  async updateFields(crmTicketId: string, change: CrmFieldsChange, version: string | null): Promise<{ version: string | null }> {
    let stamp = version;
    let removeTags: string[] = [];
    if (stamp === null || change.removeTags) {
      const ticket = await this.readTicket(crmTicketId);
      if (ticket === null) throw notFound('GET /tickets/{id}.json');
      if (stamp !== null && !sameStamp(ticket.updated_at, stamp)) throw writeConflict('the ticket changed since it was read');
      stamp = ticket.updated_at ?? null;
      const remove = change.removeTags;
      removeTags = remove ? (ticket.tags ?? []).filter((t) => remove(t) && !change.addTags.includes(t)) : [];
    }
    const body = {
      ...zendeskFields(change.set),
      ...(change.addTags.length > 0 && { additional_tags: change.addTags }),
      ...(removeTags.length > 0 && { remove_tags: removeTags }),
      ...(stamp !== null && { safe_update: true, updated_stamp: stamp }),
    };
    try {
      const res = await this.update(crmTicketId, body);
      return { version: res.ticket.updated_at ?? null };
    } catch (err) {
      if (err instanceof IntegrationError && err.kind === 'conflict') throw writeConflict('Zendesk refused the safe update');
      throw err;
    }
  }

  private async authorId(crmTicketId: string, author: CommentAuthor): Promise<string> {
    if (author.as === 'bridge') return this.bridgeUserId();
    if (author.id !== undefined) return author.id;
    const ticket = await this.readTicket(crmTicketId);
    if (ticket === null) throw notFound('GET /tickets/{id}.json');
    return ticket.requester_id;
  }

  private async readTicket(id: string): Promise<ZendeskTicket | null> {
    const res = await nullIfNotFound(this.http.request('GET /tickets/{id}.json', ticketResponse, { params: { id } }));
    return res && res.data.ticket;
  }

  private async update(id: string, ticket: Record<string, unknown>) {
    const res = await this.http.request('PUT /tickets/{id}.json', updateResponse, { params: { id }, body: { ticket } });
    return res.data;
  }

  private async withComments(ticket: ZendeskTicket): Promise<CrmTicket> {
    return toCrmTicket(ticket, await this.listComments(ticket.id));
  }

  private async listComments(id: string): Promise<CrmComment[]> {
    return this.collect('GET /tickets/{id}/comments.json', commentsPage, { params: { id } }, (p) =>
      p.comments.map(toCrmComment),
    );
  }

  /**
   * Newest first (`sort_order=desc`), page after page until a page reaches back before `since`:
   * a read that knows where it stopped costs one page however long the conversation is.
   */
  private async listCommentsSince(id: string, since: number): Promise<CrmComment[]> {
    const newestFirst: CrmComment[] = [];
    let next: string | null | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const res = await this.http.request('GET /tickets/{id}/comments.json', commentsPage, next ? { url: next } : { params: { id }, query: { sort_order: 'desc' } });
      const page = res.data.comments.map(toCrmComment);
      newestFirst.push(...page);
      next = res.data.next_page;
      const oldest = page.at(-1);
      if (!next || oldest === undefined || Date.parse(oldest.createdAt) < since) return newestFirst.reverse();
    }
    throw invalid('GET /tickets/{id}/comments.json', `more than ${MAX_PAGES} pages`);
  }

  /** Every item of every page, following `next_page` links to the last page. */
  private async collect<S extends z.ZodType<{ next_page?: string | null }>, T>(
    operation: Operation,
    schema: S,
    first: RequestOptions,
    items: (page: z.output<S>) => T[],
  ): Promise<T[]> {
    const all: T[] = [];
    let next: string | null | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const res = await this.http.request(operation, schema, next ? { url: next } : first);
      all.push(...items(res.data));
      next = res.data.next_page;
      if (!next) return all;
    }
    throw invalid(operation, `more than ${MAX_PAGES} pages`);
  }
}

/**
 * The requester Zendesk should create or match. Sources without a name (Connect knows only a
 * user id) get a placeholder; the e-mail is sent only when the source has one.
 */
function zendeskRequester(r: Requester): { name: string; email?: string } {
  const name = r.name ?? (r.externalId ? `App user ${r.externalId}` : 'App user');
  return r.email ? { name, email: r.email } : { name };
}

/**
 * The description a create's audit says it wrote: a new ticket's only comment, so the create
 * costs one request, not a second to list its comments. null when the audit cannot say.
 */
function describedBy(audit: unknown): CrmComment | null {
  const parsed = createAudit.safeParse(audit);
  if (!parsed.success) return null;
  const comments = parsed.data.events.flatMap((e) => {
    const comment = auditComment.safeParse(e);
    return comment.success ? [comment.data] : [];
  });
  const [only] = comments;
  return comments.length === 1 && only ? toCrmComment({ ...only, created_at: parsed.data.created_at }) : null;
}

/** Versions compare as instants: `2026-01-01T00:00:00Z` and `…00.000Z` are the same stamp. */
function sameStamp(a: string | null | undefined, b: string): boolean {
  return a != null && Date.parse(a) === Date.parse(b);
}

function writeConflict(detail: string): IntegrationError {
  return new IntegrationError('write-conflict', 'zendesk', 'PUT /tickets/{id}.json', `zendesk PUT /tickets/{id}.json: ${detail}`, 409);
}

function notFound(operation: string): IntegrationError {
  return new IntegrationError('not-found', 'zendesk', operation, `zendesk ${operation}: ticket not found`, 404);
}

function invalid(operation: string, detail: string): IntegrationError {
  return new IntegrationError('invalid-response', 'zendesk', operation, `zendesk ${operation}: ${detail}`);
}

/** A mapping's fields in Zendesk's ticket shape; only those the mapping set (see `CrmTicketFields`). */
function zendeskFields(fields: Omit<CrmTicketFields, 'customFields'> & CrmFieldsChange['set']) {
  return {
    ...(fields.customFields && { custom_fields: fields.customFields }),
    ...(fields.priority !== undefined && { priority: fields.priority }),
    ...(fields.groupId !== undefined && { group_id: fields.groupId }),
    ...(fields.brandId !== undefined && { brand_id: fields.brandId }),
    ...(fields.formId !== undefined && { ticket_form_id: fields.formId }),
  };
}
