/**
 * The simulated Freshdesk account's state and its rules (freshdesk-api.md): contacts and agents,
 * tickets with numeric statuses, conversations (`incoming`, `private`, `user_id`), files within
 * 20 MB per ticket, `updated_at` to the second. As plain data (`toSnapshot`, ./snapshot.ts) the
 * sandbox keeps it across restarts, as it keeps the Zendesk simulator's.
 */
import { unwatched, type OnChange } from '../common/snapshot';


export const FD_STATUSES = [2, 3, 4, 5] as const;
/** All of a ticket's attachments together. */
export const FD_TICKET_ATTACHMENT_BYTES = 20 * 1024 * 1024;

export interface FdUser {
  id: number;
  name: string;
  email: string | null;
  unique_external_id: string | null;
  role: 'agent' | 'contact';
}

export interface FdAttachment {
  id: number;
  name: string;
  content_type: string;
  size: number;
  bytes: Buffer;
}

export interface FdTicket {
  id: number;
  subject: string;
  description: string;
  description_text: string;
  status: number;
  priority: number;
  source: number;
  requester_id: number;
  responder_id: number | null;
  custom_fields: Record<string, unknown>;
  tags: string[];
  created_at: string;
  updated_at: string;
  attachments: FdAttachment[];
  deleted: boolean;
}

export interface FdConversation {
  id: number;
  ticket_id: number;
  body: string;
  body_text: string;
  incoming: boolean;
  private: boolean;
  user_id: number;
  /** 0 reply, 2 note. */
  source: number;
  created_at: string;
  updated_at: string;
  attachments: FdAttachment[];
}

/** A refusal Freshdesk would answer with 400 `{ description, errors: [...] }`. */
export class FreshdeskRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly code = 'invalid_value',
  ) {
    super(message);
  }
}

export interface NewFile {
  name: string;
  contentType: string;
  bytes: Buffer;
}

/** Freshdesk's timestamps: ISO 8601 to the second. */
const stamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The text rendering of a body: line breaks for `<br>` and block ends, no tags, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/** A file as the snapshot keeps it: its bytes as base64 (a ticket's files are at most 20 MB). */
export type FdFileSnapshot = Omit<FdAttachment, 'bytes'> & { base64: string };

/**
 * Everything the store holds, as plain data: what `toSnapshot` gives and the constructor takes
 * back (./snapshot.ts validates a saved one). Tickets and conversations name their files by id.
 */
export interface FreshdeskStoreSnapshot {
  users: FdUser[];
  tickets: Array<{
    ticket: Omit<FdTicket, 'attachments'> & { attachments: number[] };
    conversations: Array<Omit<FdConversation, 'attachments'> & { attachments: number[] }>;
  }>;
  files: FdFileSnapshot[];
  next: { user: number; ticket: number; conversation: number; file: number };
}

export class FreshdeskStore {
  readonly users = new Map<number, FdUser>();
  private readonly tickets = new Map<number, FdTicket>();
  private readonly conversations = new Map<number, FdConversation[]>();
  private readonly files = new Map<number, FdAttachment>();
  private nextUser = 1_000_001;
  private nextTicket = 1;
  private nextConversation = 5_000_000_001;
  private nextFile = 7_000_001;
  private readonly changed: OnChange;

  /** Statuses the account has: 2 to 5, and its custom ones. */
  readonly statuses = new Set<number>(FD_STATUSES);

  constructor(
    private readonly now: () => Date,
    options: { snapshot?: FreshdeskStoreSnapshot; onChange?: OnChange } = {},
  ) {
    this.changed = options.onChange ?? unwatched;
    const snapshot = options.snapshot && structuredClone(options.snapshot);
    if (!snapshot) return;
    for (const u of snapshot.users) this.users.set(u.id, u);
    for (const { base64, ...file } of snapshot.files) this.files.set(file.id, { ...file, bytes: Buffer.from(base64, 'base64') });
    const filesOf = (ids: number[]) => ids.map((id) => this.files.get(id)!);
    for (const { ticket, conversations } of snapshot.tickets) {
      this.tickets.set(ticket.id, { ...ticket, attachments: filesOf(ticket.attachments) });
      this.conversations.set(ticket.id, conversations.map((c) => ({ ...c, attachments: filesOf(c.attachments) })));
    }
    ({ user: this.nextUser, ticket: this.nextTicket, conversation: this.nextConversation, file: this.nextFile } = snapshot.next);
  }

  toSnapshot(): FreshdeskStoreSnapshot {
    const ids = (files: FdAttachment[]) => files.map((f) => f.id);
    return structuredClone({
      users: [...this.users.values()],
      tickets: [...this.tickets.values()].map((t) => ({
        ticket: { ...t, attachments: ids(t.attachments) },
        conversations: this.conversationsOf(t.id).map((c) => ({ ...c, attachments: ids(c.attachments) })),
      })),
      files: [...this.files.values()].map(({ bytes, ...file }) => ({ ...file, base64: bytes.toString('base64') })),
      next: { user: this.nextUser, ticket: this.nextTicket, conversation: this.nextConversation, file: this.nextFile },
    });
  }

  addUser(user: Omit<FdUser, 'id'>): FdUser {
    const created = { ...user, id: this.nextUser++ };
    this.users.set(created.id, created);
    this.changed();
    return created;
  }

  /** The contact with this e-mail or external id, made when none matches (as Freshdesk does on create). */
  contactFor(who: { email?: string; unique_external_id?: string; name?: string }): FdUser {
    const existing = [...this.users.values()].find(
      (u) => (who.email !== undefined && u.email === who.email) || (who.unique_external_id !== undefined && u.unique_external_id === who.unique_external_id),
    );
    if (existing) return existing;
    if (who.email === undefined && who.unique_external_id === undefined) throw new FreshdeskRuleError('requester_id', 'Please fill at least 1 of requester_id, email, unique_external_id fields', 'missing_field');
    return this.addUser({ name: who.name ?? 'Unknown', email: who.email ?? null, unique_external_id: who.unique_external_id ?? null, role: 'contact' });
  }

  ticket(id: number): FdTicket | undefined {
    const t = this.tickets.get(id);
    return t && !t.deleted ? t : undefined;
  }

  allTickets(): FdTicket[] {
    return [...this.tickets.values()].filter((t) => !t.deleted);
  }

  conversationsOf(ticketId: number): FdConversation[] {
    return this.conversations.get(ticketId) ?? [];
  }

  file(id: number): FdAttachment | undefined {
    return this.files.get(id);
  }

  createTicket(input: {
    subject: string;
    description: string;
    status: number;
    priority: number;
    source: number;
    requesterId: number;
    responderId: number | null;
    customFields: Record<string, unknown>;
    tags: string[];
    files: readonly NewFile[];
  }): FdTicket {
    this.checkStatus(input.status);
    const attachments = this.keep(input.files, 0);
    const at = stamp(this.now());
    const ticket: FdTicket = {
      id: this.nextTicket++,
      subject: input.subject,
      description: input.description,
      description_text: htmlToText(input.description),
      status: input.status,
      priority: input.priority,
      source: input.source,
      requester_id: input.requesterId,
      responder_id: input.responderId,
      custom_fields: input.customFields,
      tags: input.tags,
      created_at: at,
      updated_at: at,
      attachments,
      deleted: false,
    };
    this.tickets.set(ticket.id, ticket);
    this.conversations.set(ticket.id, []);
    this.changed();
    return ticket;
  }

  update(id: number, change: { status?: number; responder_id?: number | null; tags?: string[]; custom_fields?: Record<string, unknown> }): FdTicket {
    const t = this.mustGet(id);
    if (change.status !== undefined) this.checkStatus(change.status);
    if (change.responder_id != null && this.users.get(change.responder_id)?.role !== 'agent') throw new FreshdeskRuleError('responder_id', 'There is no agent matching the given responder_id');
    if (change.status !== undefined) t.status = change.status;
    if (change.responder_id !== undefined) t.responder_id = change.responder_id;
    if (change.tags !== undefined) t.tags = change.tags;
    if (change.custom_fields !== undefined) t.custom_fields = { ...t.custom_fields, ...change.custom_fields };
    t.updated_at = stamp(this.now());
    this.changed();
    return t;
  }

  addConversation(ticketId: number, input: { body: string; incoming: boolean; private: boolean; userId: number; source: number; files: readonly NewFile[] }): FdConversation {
    const t = this.mustGet(ticketId);
    if (!this.users.has(input.userId)) throw new FreshdeskRuleError('user_id', 'There is no contact or agent matching the given user_id');
    const attachments = this.keep(input.files, this.attachedBytes(t));
    const at = stamp(this.now());
    const conversation: FdConversation = {
      id: this.nextConversation++,
      ticket_id: ticketId,
      body: input.body,
      body_text: htmlToText(input.body),
      incoming: input.incoming,
      private: input.private,
      user_id: input.userId,
      source: input.source,
      created_at: at,
      updated_at: at,
      attachments,
    };
    this.conversations.get(ticketId)!.push(conversation);
    t.updated_at = at;
    this.changed();
    return conversation;
  }

  deleteTicket(id: number): void {
    this.mustGet(id).deleted = true;
    this.changed();
  }

  private attachedBytes(t: FdTicket): number {
    const all = [...t.attachments, ...this.conversationsOf(t.id).flatMap((c) => c.attachments)];
    return all.reduce((n, a) => n + a.size, 0);
  }

  /** Stores the files, unless the ticket's files would then be over 20 MB together (nothing stored). */
  private keep(files: readonly NewFile[], used: number): FdAttachment[] {
    const adding = files.reduce((n, f) => n + f.bytes.length, 0);
    if (used + adding > FD_TICKET_ATTACHMENT_BYTES) {
      throw new FreshdeskRuleError('attachments', 'The cumulative size of all the attachments on a ticket cannot exceed 20 MB', 'invalid_size');
    }
    return files.map((f) => {
      const a = { id: this.nextFile++, name: f.name, content_type: f.contentType, size: f.bytes.length, bytes: f.bytes };
      this.files.set(a.id, a);
      return a;
    });
  }

  private checkStatus(status: number): void {
    if (!this.statuses.has(status)) throw new FreshdeskRuleError('status', `It should be one of these values: ${[...this.statuses].join(',')}`, 'invalid_value');
  }

  private mustGet(id: number): FdTicket {
    const t = this.ticket(id);
    if (!t) throw new NotFound();
    return t;
  }
}

export class NotFound extends Error {}
