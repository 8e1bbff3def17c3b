/**
 * In-memory state of the Connect simulator, in the API's own wire shape (connect-tickets-api.md).
 * Kept separate from the adapter's schemas on purpose: the simulator is the "other side", and a
 * shared type would hide a mismatch instead of exposing it.
 */
import { unwatched, type OnChange } from '../common/snapshot';

export const CONNECT_STATUSES = ['NEW', 'OPEN', 'PENDING', 'SOLVED', 'CLOSED'] as const;
export type ConnectStatus = (typeof CONNECT_STATUSES)[number];

export interface ConnectCommentRecord {
  id: number;
  ticketId: string;
  message: string;
  author: 'USER' | 'SUPPORT';
  attachments: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ConnectTicketRecord {
  id: string;
  tenantId: string;
  status: ConnectStatus;
  title: string;
  description: string;
  createdAt: string;
  updatedAt: string;
  userId?: string;
  houseId?: string;
  contractId?: string;
  equipmentId?: string;
  alertId?: string;
  comments: ConnectCommentRecord[];
}

/**
 * Everything the store holds, as plain data: what `toSnapshot` gives and the constructor takes
 * back. ./snapshot.ts validates a saved one against it (files as base64: see why there).
 */
export interface ConnectStoreSnapshot {
  tickets: ConnectTicketRecord[];
  /** The ids the store hands out next. */
  next: { ticket: number; comment: number };
  files: Array<{ commentId: number; name: string; contentType: string; base64: string }>;
}

/** The fields the platform may change on a ticket after it was opened (a ticket moved to another tenant, an alert raised); null clears one. */
export type ConnectFieldChange = Partial<Pick<ConnectTicketRecord, 'tenantId'>> &
  Partial<Record<'userId' | 'houseId' | 'contractId' | 'equipmentId' | 'alertId', string | null>>;

/** `createdAt`: a ticket the app made earlier than now (before the bridge first heard of it). */
export type NewConnectTicket = Pick<ConnectTicketRecord, 'title' | 'description'> &
  Partial<Pick<ConnectTicketRecord, 'id' | 'tenantId' | 'userId' | 'houseId' | 'contractId' | 'equipmentId' | 'alertId' | 'createdAt'>>;

/** A file uploaded to a comment's signed URL: its name is what the comment's `attachments` lists. */
export interface ConnectFileRecord {
  commentId: number;
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface ConnectStoreOptions {
  /** Start from this state instead of empty. */
  snapshot?: ConnectStoreSnapshot;
  onChange?: OnChange;
}

export class ConnectStore {
  private readonly tickets = new Map<string, ConnectTicketRecord>();
  /** By `${commentId}/${name}`. */
  private readonly files = new Map<string, ConnectFileRecord>();
  private nextTicket = 1001;
  // Starts just below 100 so ids soon cross a digit boundary: "100" < "99" as text, which
  // catches any client comparing comment ids as strings.
  private nextComment = 98;
  private readonly changed: OnChange;

  constructor(
    private readonly now: () => Date,
    private readonly defaultTenant: string,
    options: ConnectStoreOptions = {},
  ) {
    this.changed = options.onChange ?? unwatched;
    const snapshot = options.snapshot && structuredClone(options.snapshot);
    if (snapshot) {
      for (const t of snapshot.tickets) this.tickets.set(t.id, t);
      this.nextTicket = snapshot.next.ticket;
      this.nextComment = snapshot.next.comment;
      for (const { base64, ...f } of snapshot.files) this.files.set(fileKey(f.commentId, f.name), { ...f, bytes: Buffer.from(base64, 'base64') });
    }
  }

  /** A copy of everything, as plain data (files as base64: see `ConnectStoreSnapshot`'s `files`). */
  toSnapshot(): ConnectStoreSnapshot {
    const files = [...this.files.values()].map(({ bytes, ...f }) => ({ ...f, base64: bytes.toString('base64') }));
    return { ...structuredClone({ tickets: this.all(), next: { ticket: this.nextTicket, comment: this.nextComment } }), files };
  }

  /** The id `create` gives the next ticket that brings none of its own. */
  nextTicketId(): string {
    return `T-${this.nextTicket}`;
  }

  create(input: NewConnectTicket): ConnectTicketRecord {
    const at = input.createdAt ?? this.now().toISOString();
    const id = input.id ?? `T-${this.nextTicket++}`;
    if (this.tickets.has(id)) throw new Error(`ticket ${id} already exists`);
    const ticket: ConnectTicketRecord = {
      tenantId: this.defaultTenant,
      ...input,
      id,
      status: 'NEW',
      createdAt: at,
      updatedAt: at,
      comments: [],
    };
    this.tickets.set(id, ticket);
    this.changed();
    return ticket;
  }

  get(id: string): ConnectTicketRecord | undefined {
    return this.tickets.get(id);
  }

  all(): ConnectTicketRecord[] {
    return [...this.tickets.values()];
  }

  /** `createdAt`: when the comment says it was written, if not now (one that commits late). */
  addComment(ticket: ConnectTicketRecord, author: 'USER' | 'SUPPORT', message: string, createdAt?: string): ConnectCommentRecord {
    const at = this.now().toISOString();
    const comment: ConnectCommentRecord = {
      id: this.nextComment++,
      ticketId: ticket.id,
      message,
      author,
      attachments: [],
      createdAt: createdAt ?? at,
      updatedAt: at,
    };
    ticket.comments.push(comment);
    ticket.updatedAt = at;
    this.changed();
    return comment;
  }

  /**
   * A file uploaded to the comment's signed URL. The same name again replaces the bytes (a PUT to
   * the same object, as storage behind signed URLs does): the comment lists each name once.
   */
  addAttachment(comment: ConnectCommentRecord, fileName: string, file: { contentType: string; bytes: Buffer }): void {
    if (!comment.attachments.includes(fileName)) comment.attachments.push(fileName);
    this.files.set(fileKey(comment.id, fileName), { commentId: comment.id, name: fileName, ...file });
    this.changed();
  }

  /** The bytes behind one of a comment's attachments. */
  file(commentId: number, name: string): ConnectFileRecord | undefined {
    return this.files.get(fileKey(commentId, name));
  }

  setStatus(ticket: ConnectTicketRecord, status: ConnectStatus): void {
    ticket.status = status;
    ticket.updatedAt = this.now().toISOString();
    this.changed();
  }

  setFields(ticket: ConnectTicketRecord, change: ConnectFieldChange): void {
    const { tenantId, ...optional } = change;
    if (tenantId !== undefined) ticket.tenantId = tenantId;
    for (const [key, value] of Object.entries(optional) as [Exclude<keyof ConnectFieldChange, 'tenantId'>, string | null | undefined][]) {
      if (value === null) delete ticket[key];
      else if (value !== undefined) ticket[key] = value;
    }
    ticket.updatedAt = this.now().toISOString();
    this.changed();
  }

  findComment(commentId: number): ConnectCommentRecord | undefined {
    for (const t of this.tickets.values()) {
      const c = t.comments.find((x) => x.id === commentId);
      if (c) return c;
    }
    return undefined;
  }

  delete(id: string): boolean {
    const ticket = this.tickets.get(id);
    for (const c of ticket?.comments ?? []) for (const name of c.attachments) this.files.delete(fileKey(c.id, name));
    const deleted = this.tickets.delete(id);
    if (deleted) this.changed();
    return deleted;
  }
}

function fileKey(commentId: number, name: string): string {
  return `${commentId}/${name}`;
}
