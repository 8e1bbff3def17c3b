/**
 * In-memory state of the Connect simulator, in the API's own wire shape (connect-tickets-api.md).
 * Kept separate from the adapter's schemas on purpose: the simulator is the "other side", and a
 * shared type would hide a mismatch instead of exposing it.
 */
import { unwatched, type OnChange } from '../common/snapshot';
import type { ConnectStoreSnapshot } from './snapshot';

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

export type NewConnectTicket = Pick<ConnectTicketRecord, 'title' | 'description'> &
  Partial<Pick<ConnectTicketRecord, 'id' | 'tenantId' | 'userId' | 'houseId' | 'contractId' | 'equipmentId' | 'alertId'>>;

export interface ConnectStoreOptions {
  /** Start from this state instead of empty. */
  snapshot?: ConnectStoreSnapshot;
  onChange?: OnChange;
}

export class ConnectStore {
  private readonly tickets = new Map<string, ConnectTicketRecord>();
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
    }
  }

  /** A copy of everything, as plain data. */
  toSnapshot(): ConnectStoreSnapshot {
    return structuredClone({ tickets: this.all(), next: { ticket: this.nextTicket, comment: this.nextComment } });
  }

  /** The id `create` gives the next ticket that brings none of its own. */
  nextTicketId(): string {
    return `T-${this.nextTicket}`;
  }

  create(input: NewConnectTicket): ConnectTicketRecord {
    const at = this.now().toISOString();
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

  addComment(ticket: ConnectTicketRecord, author: 'USER' | 'SUPPORT', message: string): ConnectCommentRecord {
    const at = this.now().toISOString();
    const comment: ConnectCommentRecord = {
      id: this.nextComment++,
      ticketId: ticket.id,
      message,
      author,
      attachments: [],
      createdAt: at,
      updatedAt: at,
    };
    ticket.comments.push(comment);
    ticket.updatedAt = at;
    this.changed();
    return comment;
  }

  /** A file uploaded to the comment's signed URL. */
  addAttachment(comment: ConnectCommentRecord, fileName: string): void {
    comment.attachments.push(fileName);
    this.changed();
  }

  setStatus(ticket: ConnectTicketRecord, status: ConnectStatus): void {
    ticket.status = status;
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
    const deleted = this.tickets.delete(id);
    if (deleted) this.changed();
    return deleted;
  }
}
