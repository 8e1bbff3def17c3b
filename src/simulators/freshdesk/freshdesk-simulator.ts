import { randomBytes } from 'node:crypto';
import { Faults, matches, type FaultHandle, type FaultSpec } from '../common/faults';
import type { OnChange } from '../common/snapshot';
import { SimServer, type RequestLogEntry, type SimResponse } from '../common/sim-server';
import { WebhookOutbox, type WebhookDelivery } from '../common/webhooks';
import { freshdeskErrorBody, freshdeskRoutes, presentConversation, presentTicket, type FreshdeskRouteContext } from './routes';
import type { FreshdeskSnapshot } from './snapshot';
import { FreshdeskRuleError, FreshdeskStore, type FdTicket, type FdUser, type NewFile } from './store';

/**
 * What the automation rule's "Trigger webhook" action sends (docs/freshdesk.md has the rule):
 * placeholders render as strings. `actor_id` only when the simulator is asked to include it.
 */
export interface FreshdeskWebhookBody {
  ticket_id: string;
  external_id: string;
  event: 'created' | 'updated';
  actor_id?: string;
}

export interface FreshdeskSimulatorOptions {
  /** The bridge agent's API key (Basic auth, any password). */
  apiKey?: string;
  /** The custom field the bridge stamps (as Freshdesk names it, `cf_…`). */
  externalIdField?: string;
  /** Where the automation webhooks go, token and all (`…/webhooks/freshdesk?token=…`). Settable later. */
  webhookUrl?: string;
  /** Automations fire on API updates too: on by default, so echoes are always exercised. */
  echoApiWrites?: boolean;
  /** Include `actor_id` in webhook bodies (an account whose rule can say who acted). Default false. */
  webhookActor?: boolean;
  /** API requests a minute before 429s (Freshdesk: 200 to 700 by plan). Default unlimited. */
  ratePerMinute?: number | null;
  /** How long a new ticket stays out of search results. Default 0. */
  searchLagMs?: number;
  /** Custom statuses the account adds beyond 2 to 5 (e.g. 6 "Waiting on third party"). */
  customStatuses?: readonly number[];
  /** How long an `attachment_url` stays valid. Default 5 minutes. */
  attachmentUrlTtlMs?: number;
  now?: () => Date;
  /** Start from the state of an earlier run (`toSnapshot()`), its API agent and agent included. */
  snapshot?: FreshdeskSnapshot;
  /** Called after every change to the state (the sandbox saves it). */
  onChange?: OnChange;
}

type Delivered = WebhookDelivery<FreshdeskWebhookBody>[];

/**
 * Freshdesk (the documented subset of API v2) as a real HTTP server on 127.0.0.1: numeric
 * statuses, conversations, multipart files within 20 MB per ticket, expiring attachment URLs,
 * a per-minute rate limit, a lagging search index, automation webhooks (late, duplicated, held,
 * lost through `webhooks`), fault injection, and agents to act in it.
 */
export class FreshdeskSimulator {
  readonly faults: Faults;
  readonly webhooks: WebhookOutbox<FreshdeskWebhookBody>;
  readonly apiAgent: FdUser;
  /** An agent to act as when a test does not name one. */
  readonly agent: FdUser;
  readonly apiKey: string;
  readonly externalIdField: string;
  webhookUrl: string | undefined;
  echoApiWrites: boolean;
  webhookActor: boolean;
  ratePerMinute: number | null;
  searchLagMs: number;
  attachmentUrlTtlMs: number;
  private readonly store: FreshdeskStore;
  private readonly server: SimServer;
  private readonly now: () => Date;
  private readonly context: FreshdeskRouteContext;
  private window = { start: 0, used: 0 };
  private origin = '';

  private constructor(options: FreshdeskSimulatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.apiKey = options.apiKey ?? 'freshdesk-sim-key';
    this.externalIdField = options.externalIdField ?? 'cf_ticket_bridge_id';
    this.webhookUrl = options.webhookUrl;
    this.echoApiWrites = options.echoApiWrites ?? true;
    this.webhookActor = options.webhookActor ?? false;
    this.ratePerMinute = options.ratePerMinute ?? null;
    this.searchLagMs = options.searchLagMs ?? 0;
    this.attachmentUrlTtlMs = options.attachmentUrlTtlMs ?? 5 * 60_000;
    this.faults = new Faults(() => this.now().getTime());
    const { snapshot, onChange } = options;
    this.store = new FreshdeskStore(this.now, { snapshot: snapshot?.store, onChange });
    for (const status of options.customStatuses ?? []) this.store.statuses.add(status);
    if (snapshot) {
      // The schema checked that both are agents of the snapshot.
      this.apiAgent = this.store.users.get(snapshot.apiAgentId)!;
      this.agent = this.store.users.get(snapshot.agentId)!;
    } else {
      this.apiAgent = this.store.addUser({ name: 'Ticket Bridge', email: 'bridge@example.test', unique_external_id: null, role: 'agent' });
      this.agent = this.store.addUser({ name: 'Agent Smith', email: 'agent@example.test', unique_external_id: null, role: 'agent' });
    }
    this.webhooks = new WebhookOutbox<FreshdeskWebhookBody>((body) => (this.webhookUrl ? { url: this.webhookUrl, headers: {}, body: JSON.stringify(body) } : null), this.now);
    this.context = {
      store: this.store,
      apiAgent: () => this.apiAgent,
      apiUrl: () => this.apiUrl,
      origin: () => this.origin,
      urlSecret: randomBytes(16).toString('hex'),
      attachmentUrlTtlMs: () => this.attachmentUrlTtlMs,
      searchLagMs: () => this.searchLagMs,
      now: this.now,
      rateLimit: () => this.takeRate(),
      apiWrote: (ticket, event) => {
        if (this.echoApiWrites) this.webhooks.emitInBackground(this.body(ticket, event, this.apiAgent.id));
      },
    };
    this.server = new SimServer({
      prefix: '/api/v2',
      routes: freshdeskRoutes(this.context),
      faults: this.faults,
      authenticate: (headers) => (this.authorised(headers.authorization) ? null : { status: 401, body: freshdeskErrorBody(401) }),
      errorBody: freshdeskErrorBody,
      secretHeaders: ['authorization'],
      now: this.now,
    });
  }

  static async start(options: FreshdeskSimulatorOptions = {}): Promise<FreshdeskSimulator> {
    const sim = new FreshdeskSimulator(options);
    sim.origin = await sim.server.start();
    return sim;
  }

  /** `FRESHDESK_URL` / `FreshdeskCrm` base URL. */
  get apiUrl(): string {
    return `${this.origin}/api/v2`;
  }

  async stop(): Promise<void> {
    await this.webhooks.idle();
    await this.server.stop();
  }

  // --- people, in Freshdesk ------------------------------------------------------------------

  addAgent(name: string, email: string): FdUser {
    return structuredClone(this.store.addUser({ name, email, unique_external_id: null, role: 'agent' }));
  }

  /**
   * A public reply by an agent (or, `private: true`, a private note), with files as the agent UI
   * attaches them; with `status`, the UI's "send and set as": the reply and the status in one
   * action, one automation webhook.
   */
  async agentReplies(ticketId: number | string, body: string, opts: { private?: boolean; agentId?: number; status?: number; attachments?: readonly NewFile[] } = {}) {
    const isPrivate = opts.private ?? false;
    // Refused before anything is written, as the UI refuses a status the account does not have.
    if (opts.status !== undefined && !this.store.statuses.has(opts.status)) throw new FreshdeskRuleError('status', `no status ${opts.status} in this account`);
    const c = this.store.addConversation(Number(ticketId), {
      body,
      incoming: false,
      private: isPrivate,
      userId: opts.agentId ?? this.agent.id,
      source: isPrivate ? 2 : 0,
      files: opts.attachments ?? [],
    });
    if (opts.status !== undefined) this.store.update(Number(ticketId), { status: opts.status });
    const webhooks = await this.notify(Number(ticketId), opts.agentId ?? this.agent.id);
    return { conversation: presentConversation(this.context, c), webhooks };
  }

  agentAddsNote(ticketId: number | string, body: string, opts: { agentId?: number; attachments?: readonly NewFile[] } = {}) {
    return this.agentReplies(ticketId, body, { ...opts, private: true });
  }

  async agentSetsStatus(ticketId: number | string, status: number, opts: { agentId?: number } = {}): Promise<{ webhooks: Delivered }> {
    this.store.update(Number(ticketId), { status });
    return { webhooks: await this.notify(Number(ticketId), opts.agentId ?? this.agent.id) };
  }

  async agentAssigns(ticketId: number | string, responderId: number | null, opts: { agentId?: number } = {}): Promise<{ webhooks: Delivered }> {
    this.store.update(Number(ticketId), { responder_id: responderId });
    return { webhooks: await this.notify(Number(ticketId), opts.agentId ?? this.agent.id) };
  }

  /** The requester answers by e-mail: an incoming reply, which reopens a pending or resolved ticket. */
  async requesterReplies(ticketId: number | string, body: string) {
    const t = this.mustGet(ticketId);
    const c = this.store.addConversation(t.id, { body, incoming: true, private: false, userId: t.requester_id, source: 0, files: [] });
    if (t.status === 3 || t.status === 4) this.store.update(t.id, { status: 2 });
    return { conversation: presentConversation(this.context, c), webhooks: await this.notify(t.id, t.requester_id) };
  }

  /** An admin deletes the ticket (to the trash: the API answers 404 for it). */
  adminDeletesTicket(ticketId: number | string): void {
    this.store.deleteTicket(Number(ticketId));
  }

  // --- inspection ----------------------------------------------------------------------------

  ticket(id: number | string) {
    const t = this.store.ticket(Number(id));
    return t && structuredClone(presentTicket(this.context, t));
  }

  tickets() {
    return this.store.allTickets().map((t) => structuredClone(presentTicket(this.context, t)));
  }

  ticketByExternalId(externalId: string) {
    return this.tickets().find((t) => t.custom_fields[this.externalIdField] === externalId);
  }

  conversations(ticketId: number | string) {
    return this.store.conversationsOf(Number(ticketId)).map((c) => structuredClone(presentConversation(this.context, c)));
  }

  /** A stored file's bytes; undefined when unknown. */
  file(attachmentId: number): { name: string; contentType: string; bytes: Buffer } | undefined {
    const f = this.store.file(attachmentId);
    return f && { name: f.name, contentType: f.content_type, bytes: Buffer.from(f.bytes) };
  }

  user(id: number | string): FdUser | undefined {
    const u = this.store.users.get(Number(id));
    return u && structuredClone(u);
  }

  /** Everything needed to start again where this one is (see `FreshdeskSimulatorOptions.snapshot`). */
  toSnapshot(): FreshdeskSnapshot {
    return { version: 1, store: this.store.toSnapshot(), apiAgentId: this.apiAgent.id, agentId: this.agent.id };
  }

  requests(match = '*'): RequestLogEntry[] {
    return this.server.log.filter((e) => matches(match, e.route));
  }

  fault(spec: FaultSpec): FaultHandle {
    return this.faults.add(spec);
  }

  /** The automation webhook for a change someone made in Freshdesk. */
  private async notify(ticketId: number, actorId: number): Promise<Delivered> {
    return this.webhooks.emit(this.body(this.mustGet(ticketId), 'updated', actorId));
  }

  private body(t: FdTicket, event: 'created' | 'updated', actorId: number): FreshdeskWebhookBody {
    const external = t.custom_fields[this.externalIdField];
    return {
      ticket_id: String(t.id),
      external_id: typeof external === 'string' ? external : '',
      event,
      ...(this.webhookActor && { actor_id: String(actorId) }),
    };
  }

  /** Freshdesk counts requests per account per minute; over the budget a 429 says when the minute ends. */
  private takeRate(): SimResponse | null {
    if (this.ratePerMinute === null) return null;
    const now = this.now().getTime();
    if (now - this.window.start >= 60_000) this.window = { start: now, used: 0 };
    this.window.used++;
    if (this.window.used <= this.ratePerMinute) return null;
    const retryAfter = Math.max(1, Math.ceil((this.window.start + 60_000 - now) / 1000));
    return { status: 429, body: freshdeskErrorBody(429), headers: { 'retry-after': String(retryAfter), 'x-ratelimit-total': String(this.ratePerMinute), 'x-ratelimit-remaining': '0' } };
  }

  private authorised(header: string | undefined): boolean {
    if (!header?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded.slice(0, decoded.indexOf(':')) === this.apiKey;
  }

  private mustGet(id: number | string): FdTicket {
    const t = this.store.ticket(Number(id));
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }
}
