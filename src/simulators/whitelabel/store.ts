/**
 * In-memory state of the white-label platform simulator, in the platform's own wire shape
 * (unix seconds, snake_case). Kept apart from the adapter's schemas on purpose: the simulator is
 * the "other side", and a shared type would hide a mismatch instead of exposing it.
 */
import { randomUUID } from 'node:crypto';
import { unwatched, type OnChange } from '../common/snapshot';

export interface WhitelabelReplyRecord {
  id: string;
  text: string;
  is_client_reply: boolean;
  created_at: number;
  assets: string[] | null;
}

export interface WhitelabelClientRecord {
  id: string;
  name: string;
  email: string;
}

export interface WhitelabelTicketRecord {
  id: string;
  title: string;
  is_open: boolean;
  object: 'ticket';
  created_at: number;
  updated_at: number;
  client: WhitelabelClientRecord;
  teammate_id: string | null;
  replies: WhitelabelReplyRecord[];
  category: string;
  subcategory: string | null;
  language: string;
}

/** Everything the store holds, as plain data; ./snapshot.ts validates a saved one against it. */
export interface WhitelabelStoreSnapshot {
  tickets: WhitelabelTicketRecord[];
}

export interface NewWhitelabelTicket {
  title: string;
  /** The opening message, the ticket's first reply. */
  text: string;
  client?: WhitelabelClientRecord;
  id?: string;
  /** The opening message's files: URLs, as the platform lists them. */
  assets?: string[];
  /** Default: 'general support', no subcategory, 'en'. */
  category?: string;
  subcategory?: string | null;
  language?: string;
}

export const DEFAULT_CLIENT: WhitelabelClientRecord = {
  id: '00000000-0000-4000-8000-00000000c11e',
  name: 'Sim Client',
  email: 'client@example.invalid',
};

export class WhitelabelStore {
  private readonly tickets = new Map<string, WhitelabelTicketRecord>();
  private readonly changed: OnChange;

  /** `now` in unix seconds: the platform's resolution, ties included. */
  constructor(
    private readonly nowSeconds: () => number,
    options: { snapshot?: WhitelabelStoreSnapshot; onChange?: OnChange } = {},
  ) {
    this.changed = options.onChange ?? unwatched;
    for (const t of structuredClone(options.snapshot?.tickets ?? [])) this.tickets.set(t.id, t);
  }

  /** A copy of everything, as plain data. */
  toSnapshot(): WhitelabelStoreSnapshot {
    return structuredClone({ tickets: this.all() });
  }

  create(input: NewWhitelabelTicket): WhitelabelTicketRecord {
    const at = this.nowSeconds();
    const id = input.id ?? randomUUID();
    if (this.tickets.has(id)) throw new Error(`ticket ${id} already exists`);
    const ticket: WhitelabelTicketRecord = {
      id,
      title: input.title,
      is_open: true,
      object: 'ticket',
      created_at: at,
      updated_at: at,
      client: { ...(input.client ?? DEFAULT_CLIENT) },
      teammate_id: null,
      replies: [],
      category: input.category ?? 'general support',
      subcategory: input.subcategory ?? null,
      language: input.language ?? 'en',
    };
    this.tickets.set(id, ticket);
    this.addReply(ticket, input.text, true, input.assets ?? null);
    return ticket;
  }

  /** Insert or replace a ticket as given (fixtures, e.g. the seed events' tickets). */
  put(ticket: WhitelabelTicketRecord): void {
    this.tickets.set(ticket.id, structuredClone(ticket));
    this.changed();
  }

  get(id: string): WhitelabelTicketRecord | undefined {
    return this.tickets.get(id);
  }

  all(): WhitelabelTicketRecord[] {
    return [...this.tickets.values()];
  }

  addReply(ticket: WhitelabelTicketRecord, text: string, isClientReply: boolean, assets: string[] | null = null): WhitelabelReplyRecord {
    const reply: WhitelabelReplyRecord = {
      id: randomUUID(),
      text,
      is_client_reply: isClientReply,
      created_at: this.nowSeconds(),
      assets: assets && [...assets],
    };
    ticket.replies.push(reply);
    ticket.updated_at = reply.created_at;
    this.changed();
    return reply;
  }

  setOpen(ticket: WhitelabelTicketRecord, isOpen: boolean): void {
    ticket.is_open = isOpen;
    ticket.updated_at = this.nowSeconds();
    this.changed();
  }

  assign(ticket: WhitelabelTicketRecord, teammateId: string | null): void {
    ticket.teammate_id = teammateId;
    ticket.updated_at = this.nowSeconds();
    this.changed();
  }
}
