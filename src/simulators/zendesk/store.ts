/**
 * In-memory Zendesk Support state and the ticket rules from zendesk-api.md, in Zendesk's wire
 * shape. Both the HTTP routes (the bridge's API user) and the programmatic agent go through
 * `create`/`update`, so the rules hold whoever writes.
 */
import { randomBytes } from 'node:crypto';
import { unwatched, type OnChange } from '../common/snapshot';

export const ZD_STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;
export type ZdStatus = (typeof ZD_STATUSES)[number];
export type ZdChannel = 'web' | 'web_service' | 'email';

export interface ZdUser {
  id: number;
  name: string;
  email: string | null;
  role: 'end-user' | 'agent' | 'admin';
}

export interface ZdTicket {
  id: number;
  external_id: string | null;
  subject: string;
  description: string;
  status: ZdStatus;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  via: { channel: ZdChannel };
  /** A follow-up of this closed ticket (created with `via_followup_source_id`). */
  via_followup_source_id?: number;
  /** The follow-ups of this ticket. */
  followup_ids?: number[];
  /** Routing and custom fields, kept only when the create set them (a mapping, see src/mapping). */
  priority?: ZdPriority;
  group_id?: number;
  brand_id?: number;
  ticket_form_id?: number;
  custom_fields?: ZdCustomField[];
}

export const ZD_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type ZdPriority = (typeof ZD_PRIORITIES)[number];
export interface ZdCustomField {
  id: number;
  value: string | number | boolean | null;
}

/**
 * A file as a comment keeps it. On the wire it also has `content_url`, which names the
 * simulator's origin (a new port after every restart), so it is added when presented.
 */
export interface ZdAttachment {
  id: number;
  file_name: string;
  content_type: string;
  size: number;
}

/** `POST /uploads.json`: a file waiting for a comment (`comment.uploads: [token]`), or bound to one. */
export interface ZdUpload {
  token: string;
  attachment: ZdAttachment;
  created_at: string;
  /** The comment it was bound to; null while it waits. */
  comment_id: number | null;
  bytes: Buffer;
}

/**
 * Everything the store holds, as plain data: what `toSnapshot` gives and the constructor takes
 * back. ./snapshot.ts validates a saved one against it (files go in as base64: see why there).
 */
export interface ZendeskStoreSnapshot {
  users: ZdUser[];
  tickets: Array<{ ticket: ZdTicket; comments: ZdComment[] }>;
  /** The ids it hands out next. */
  next: { user: number; ticket: number; comment: number; audit: number; event: number; attachment: number };
  uploads: Array<Omit<ZdUpload, 'bytes'> & { base64: string }>;
}

/** Zendesk: an upload not bound to a comment within 60 minutes is discarded. */
export const UPLOAD_TTL_MS = 60 * 60 * 1000;

export interface ZdComment {
  id: number;
  type: 'Comment';
  author_id: number;
  body: string;
  html_body: string;
  plain_body: string;
  public: boolean;
  attachments: ZdAttachment[];
  audit_id: number;
  created_at: string;
  via: { channel: ZdChannel };
}

export type ZdAuditEvent =
  | { id: number; type: 'Comment'; author_id: number; body: string; html_body: string; public: boolean; attachments: ZdAttachment[] }
  | { id: number; type: 'Create' | 'Change'; field_name: string; value: unknown; previous_value?: unknown };

export interface ZdAudit {
  id: number;
  ticket_id: number;
  created_at: string;
  author_id: number;
  events: ZdAuditEvent[];
  via: { channel: ZdChannel };
}

/** A write Zendesk refuses; `body` is the error body it answers with. */
export class ZendeskRuleError extends Error {
  constructor(
    readonly status: 404 | 422,
    readonly body: unknown,
  ) {
    super(`Zendesk would answer ${status}`);
  }
}

/** `uploads`: tokens from `POST /uploads.json`, whose files the comment gets. */
export interface NewZdComment {
  body: string;
  public?: boolean;
  uploads?: string[];
}

export interface NewZdTicket {
  subject: string;
  comment: NewZdComment;
  requester?: { name: string; email?: string | null };
  requester_id?: number;
  external_id?: string | null;
  status?: ZdStatus;
  assignee_id?: number | null;
  tags?: string[];
  /** Zendesk: a follow-up of a closed ticket (422 when that ticket is not closed). */
  via_followup_source_id?: number;
  priority?: ZdPriority;
  group_id?: number;
  brand_id?: number;
  ticket_form_id?: number;
  custom_fields?: ZdCustomField[];
}

export interface ZdTicketChange {
  status?: ZdStatus;
  assignee_id?: number | null;
  comment?: NewZdComment & { author_id?: number };
  /** Routing and custom fields: overwritten; a custom field set to null is emptied. */
  priority?: ZdPriority;
  group_id?: number;
  brand_id?: number;
  ticket_form_id?: number;
  custom_fields?: ZdCustomField[];
  /** Zendesk's tag edits that leave other tags as they are (`tags` would replace them all). */
  additional_tags?: string[];
  remove_tags?: string[];
}

/** What one write did: enough for the response, the audit, and the webhooks. */
export interface ZdWriteResult {
  ticket: ZdTicket;
  audit: ZdAudit;
  actorId: number;
  comment: ZdComment | null;
  statusChange: { previous: ZdStatus | null; current: ZdStatus } | null;
}

const MAX_COMMENTS = 5000;

export class ZendeskStore {
  readonly users = new Map<number, ZdUser>();
  private readonly tickets = new Map<number, ZdTicket>();
  private readonly comments = new Map<number, ZdComment[]>();
  private readonly uploads = new Map<string, ZdUpload>();
  private nextUser = 360_001;
  private nextTicket = 1;
  // Just below a digit boundary, so ids compared as text ("10000" < "9999") would misorder.
  private nextComment = 9_998;
  private nextAudit = 70_001;
  private nextEvent = 80_001;
  private nextAttachment = 1_500_001;
  private readonly changed: OnChange;

  constructor(
    private readonly now: () => Date,
    options: { snapshot?: ZendeskStoreSnapshot; onChange?: OnChange } = {},
  ) {
    this.changed = options.onChange ?? unwatched;
    const snapshot = options.snapshot && structuredClone(options.snapshot);
    if (snapshot) {
      for (const u of snapshot.users) this.users.set(u.id, u);
      for (const { ticket, comments } of snapshot.tickets) {
        this.tickets.set(ticket.id, ticket);
        this.comments.set(ticket.id, comments);
      }
      const { user, ticket, comment, audit, event, attachment } = snapshot.next;
      [this.nextUser, this.nextTicket, this.nextComment, this.nextAudit, this.nextEvent] = [user, ticket, comment, audit, event];
      this.nextAttachment = attachment;
      for (const { base64, ...upload } of snapshot.uploads) this.uploads.set(upload.token, { ...upload, bytes: Buffer.from(base64, 'base64') });
    }
  }

  /** A copy of everything, as plain data. */
  toSnapshot(): ZendeskStoreSnapshot {
    // Files go in as base64: see ZendeskStoreSnapshot's `uploads` for why.
    const uploads = [...this.uploads.values()]
      .filter((u) => this.live(u))
      .map(({ bytes, ...u }) => ({ ...structuredClone(u), base64: bytes.toString('base64') }));
    return {
      ...structuredClone({
        users: [...this.users.values()],
        tickets: this.allTickets().map((ticket) => ({ ticket, comments: this.commentsOf(ticket.id) })),
        next: {
          user: this.nextUser,
          ticket: this.nextTicket,
          comment: this.nextComment,
          audit: this.nextAudit,
          event: this.nextEvent,
          attachment: this.nextAttachment,
        },
      }),
      uploads,
    };
  }

  /** `POST /uploads.json`: the file waits, under a fresh token, for a comment to name it. */
  addUpload(fileName: string, contentType: string, bytes: Buffer): ZdUpload {
    const upload: ZdUpload = {
      token: randomBytes(12).toString('base64url'),
      attachment: { id: this.nextAttachment++, file_name: fileName, content_type: contentType, size: bytes.length },
      created_at: this.now().toISOString(),
      comment_id: null,
      bytes,
    };
    this.uploads.set(upload.token, upload);
    this.changed();
    return upload;
  }

  /** The upload behind a token, unless it was discarded (never bound within 60 minutes). */
  upload(token: string): ZdUpload | undefined {
    const upload = this.uploads.get(token);
    return upload && this.live(upload) ? upload : undefined;
  }

  /** Uploads not discarded, bound or not. */
  allUploads(): ZdUpload[] {
    return [...this.uploads.values()].filter((u) => this.live(u));
  }

  /** The upload holding an attachment (for its `content_url`). */
  uploadOf(attachmentId: number): ZdUpload | undefined {
    for (const upload of this.uploads.values()) if (upload.attachment.id === attachmentId) return upload;
    return undefined;
  }

  private live(upload: ZdUpload): boolean {
    return upload.comment_id !== null || Date.parse(upload.created_at) + UPLOAD_TTL_MS > this.now().getTime();
  }

  addUser(user: Omit<ZdUser, 'id'>): ZdUser {
    const u = { id: this.nextUser++, ...user };
    this.users.set(u.id, u);
    this.changed();
    return u;
  }

  /** The bridge's API user signs in with whatever e-mail it is configured with. */
  setEmail(user: ZdUser, email: string): void {
    user.email = email;
    this.changed();
  }

  /** An admin deletes a ticket: from then on it answers 404 to reads and writes. */
  deleteTicket(id: number): void {
    this.tickets.delete(id);
    this.comments.delete(id);
    this.changed();
  }

  /**
   * An admin merges user `from` into `into`: `from` is gone, its tickets and comments are
   * `into`'s. Without `into`, the user is deleted and tickets keep pointing at it (writes
   * authored as it are then refused: `author_id` invalid).
   */
  mergeUser(from: number, into: number | null): void {
    this.users.delete(from);
    if (into !== null) {
      for (const ticket of this.tickets.values()) if (ticket.requester_id === from) ticket.requester_id = into;
      for (const list of this.comments.values()) for (const c of list) if (c.author_id === from) c.author_id = into;
    }
    this.changed();
  }

  ticket(id: number): ZdTicket | undefined {
    return this.tickets.get(id);
  }

  allTickets(): ZdTicket[] {
    return [...this.tickets.values()];
  }

  commentsOf(id: number): ZdComment[] {
    return this.comments.get(id) ?? [];
  }

  create(input: NewZdTicket, actorId: number, channel: ZdChannel): ZdWriteResult {
    if (!input.comment?.body?.trim()) throw invalid('comment', 'Description: cannot be blank');
    const requesterId = input.requester_id ?? (input.requester ? this.requesterFor(input.requester).id : actorId);
    if (!this.users.has(requesterId)) throw invalid('requester_id', 'Requester: is invalid');
    const status = input.status ?? 'new';
    const assigneeId = input.assignee_id ?? null;
    this.checkAssignee(assigneeId);
    if ((status === 'solved' || status === 'closed') && assigneeId === null) throw needsAssignee();
    const followed = input.via_followup_source_id === undefined ? undefined : this.tickets.get(input.via_followup_source_id);
    if (input.via_followup_source_id !== undefined && followed?.status !== 'closed') {
      throw invalid('via_followup_source_id', 'Via followup source: must be a closed ticket');
    }
    const at = this.now().toISOString();
    const ticket: ZdTicket = {
      id: this.nextTicket++,
      external_id: input.external_id ?? null,
      subject: input.subject,
      description: input.comment.body,
      status,
      requester_id: requesterId,
      submitter_id: actorId,
      assignee_id: assigneeId,
      tags: input.tags ?? [],
      created_at: at,
      updated_at: at,
      via: { channel },
      ...(followed && { via_followup_source_id: followed.id }),
      ...routingFields(input),
    };
    // Zendesk links both ways: the closed ticket lists its follow-ups.
    if (followed) followed.followup_ids = [...(followed.followup_ids ?? []), ticket.id];
    this.tickets.set(ticket.id, ticket);
    this.comments.set(ticket.id, []);
    const audit = this.audit(ticket, actorId, channel);
    // Zendesk: "the submitter always becomes the author of the first comment".
    const first = { body: input.comment.body, public: input.comment.public ?? true, uploads: input.comment.uploads };
    const comment = this.appendComment(ticket, audit, first, actorId, channel);
    const fields = { status, requester_id: requesterId, assignee_id: assigneeId, subject: ticket.subject };
    for (const [field, value] of Object.entries(fields)) {
      audit.events.push({ id: this.nextEvent++, type: 'Create', field_name: field, value });
    }
    this.changed();
    return { ticket, audit, actorId, comment, statusChange: { previous: null, current: status } };
  }

  update(ticketId: number, change: ZdTicketChange, actorId: number, channel: ZdChannel): ZdWriteResult {
    const ticket = this.tickets.get(ticketId);
    if (!ticket) throw new ZendeskRuleError(404, { error: 'RecordNotFound', description: 'Not found' });
    if (ticket.status === 'closed') throw invalid('status', 'Status: closed prevents ticket update');
    if (change.status === 'new' && ticket.status !== 'new') throw invalid('status', 'Status: cannot be set back to new');
    if (change.assignee_id !== undefined) this.checkAssignee(change.assignee_id);

    let author: ZdUser | undefined;
    if (change.comment) {
      if (!change.comment.body?.trim()) throw invalid('comment', 'Comment: body cannot be blank');
      author = this.users.get(change.comment.author_id ?? actorId);
      if (!author) throw invalid('author_id', 'Author: is invalid');
      if (this.commentsOf(ticketId).length >= MAX_COMMENTS) throw invalid('comment', 'Comments: limit reached');
    }
    // An end user's reply reopens a ticket the agents had parked, unless this very update sets a status.
    const reopens = author?.role === 'end-user' && ['pending', 'solved', 'hold'].includes(ticket.status);
    const status = change.status ?? (reopens ? 'open' : ticket.status);
    const assigneeId = change.assignee_id !== undefined ? change.assignee_id : ticket.assignee_id;
    if ((status === 'solved' || status === 'closed') && assigneeId === null) throw needsAssignee();

    const audit = this.audit(ticket, actorId, channel);
    const comment = change.comment && author ? this.appendComment(ticket, audit, change.comment, author.id, channel) : null;
    const previous = ticket.status;
    for (const [field, value, old] of [
      ['status', status, ticket.status],
      ['assignee_id', assigneeId, ticket.assignee_id],
    ] as const) {
      if (value === old) continue;
      audit.events.push({ id: this.nextEvent++, type: 'Change', field_name: field, value, previous_value: old });
    }
    ticket.status = status;
    ticket.assignee_id = assigneeId;
    applyFieldChange(ticket, change);
    ticket.updated_at = audit.created_at;
    this.changed();
    return { ticket, audit, actorId, comment, statusChange: status !== previous ? { previous, current: status } : null };
  }

  /** Zendesk matches a requester by e-mail; without one it creates a new end user. */
  private requesterFor(r: { name: string; email?: string | null }): ZdUser {
    const existing = r.email ? [...this.users.values()].find((u) => u.email === r.email) : undefined;
    return existing ?? this.addUser({ name: r.name, email: r.email ?? null, role: 'end-user' });
  }

  private checkAssignee(id: number | null): void {
    if (id === null) return;
    const role = this.users.get(id)?.role;
    if (role !== 'agent' && role !== 'admin') throw invalid('assignee_id', 'Assignee: is not an agent');
  }

  private audit(ticket: ZdTicket, actorId: number, channel: ZdChannel): ZdAudit {
    const created_at = this.now().toISOString();
    return { id: this.nextAudit++, ticket_id: ticket.id, created_at, author_id: actorId, events: [], via: { channel } };
  }

  private appendComment(
    ticket: ZdTicket,
    audit: ZdAudit,
    input: NewZdComment,
    authorId: number,
    channel: ZdChannel,
  ): ZdComment {
    const isPublic = input.public ?? true;
    const id = this.nextComment++;
    // As Zendesk does (as far as its users report): a token that is unknown, discarded or already
    // bound to another comment is ignored, and the comment is written without that file.
    const attachments: ZdAttachment[] = [];
    for (const token of new Set(input.uploads ?? [])) {
      const upload = this.upload(token);
      if (!upload || upload.comment_id !== null) continue;
      upload.comment_id = id;
      attachments.push(upload.attachment);
    }
    const comment: ZdComment = {
      id,
      type: 'Comment',
      author_id: authorId,
      body: input.body,
      html_body: `<div class="zd-comment"><p>${escapeHtml(input.body)}</p></div>`,
      plain_body: input.body,
      public: isPublic,
      attachments,
      audit_id: audit.id,
      created_at: audit.created_at,
      via: { channel },
    };
    this.comments.get(ticket.id)!.push(comment);
    const { body, html_body } = comment;
    audit.events.push({ id, type: 'Comment', author_id: authorId, body, html_body, public: isPublic, attachments: [...attachments] });
    return comment;
  }
}

function invalid(field: string, description: string): ZendeskRuleError {
  return new ZendeskRuleError(422, {
    error: 'RecordInvalid',
    description: 'Record validation errors',
    details: { [field]: [{ description }] },
  });
}

function needsAssignee(): ZendeskRuleError {
  return invalid('assignee_id', 'Assignee: is required when solving a ticket');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** An update's routing, custom field and tag edits (see `ZdTicketChange`). */
function applyFieldChange(ticket: ZdTicket, change: ZdTicketChange): void {
  Object.assign(ticket, {
    ...(change.priority !== undefined && { priority: change.priority }),
    ...(change.group_id !== undefined && { group_id: change.group_id }),
    ...(change.brand_id !== undefined && { brand_id: change.brand_id }),
    ...(change.ticket_form_id !== undefined && { ticket_form_id: change.ticket_form_id }),
  });
  for (const field of change.custom_fields ?? []) {
    const kept = (ticket.custom_fields ?? []).filter((f) => f.id !== field.id);
    ticket.custom_fields = field.value === null ? kept : [...kept, { ...field }].sort((a, b) => a.id - b.id);
  }
  const removed = new Set(change.remove_tags ?? []);
  const added = (change.additional_tags ?? []).filter((t) => !ticket.tags.includes(t));
  if (removed.size > 0 || added.length > 0) ticket.tags = [...ticket.tags.filter((t) => !removed.has(t)), ...added];
}

/** The routing and custom fields a create gave, and only those (a ticket without them looks as it always did). */
function routingFields(input: NewZdTicket): Partial<ZdTicket> {
  return {
    ...(input.priority !== undefined && { priority: input.priority }),
    ...(input.group_id !== undefined && { group_id: input.group_id }),
    ...(input.brand_id !== undefined && { brand_id: input.brand_id }),
    ...(input.ticket_form_id !== undefined && { ticket_form_id: input.ticket_form_id }),
    ...(input.custom_fields !== undefined && { custom_fields: input.custom_fields.map((f) => ({ ...f })) }),
  };
}
