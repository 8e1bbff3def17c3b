import { Faults, matches, type FaultHandle, type FaultSpec } from '../common/faults';
import { SimServer, type RequestLogEntry } from '../common/sim-server';
import type { OnChange } from '../common/snapshot';
import { WebhookOutbox, type WebhookDelivery } from '../common/webhooks';
import { eventsFor, signedWebhook, type ZendeskWebhookEvent } from './events';
import { IdempotencyCache } from './idempotency';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../common/uploads';
import { presentComment, zendeskErrorBody, zendeskRoutes } from './routes';
import type { ZendeskSnapshot } from './snapshot';
import {
  ZendeskStore,
  type ZdComment,
  type ZdStatus,
  type ZdTicket,
  type ZdTicketChange,
  type ZdUser,
  type ZdWriteResult,
} from './store';

export interface ZendeskSimulatorOptions {
  /** The bridge's API user: Basic auth `{email}/token:{apiToken}`. */
  bridgeEmail?: string;
  apiToken?: string;
  /** Where signed webhooks go, and the signing secret. Settable later. */
  webhookUrl?: string;
  webhookSecret?: string;
  /**
   * Real Zendesk fires triggers and event subscriptions for API updates too, so by default the
   * bridge's own writes come back as webhooks — which is what exercises its echo suppression.
   */
  echoApiWrites?: boolean;
  /** Default page size of list endpoints (Zendesk: 100). Small values exercise pagination. */
  pageSize?: number;
  accountId?: number;
  now?: () => Date;
  /**
   * Start with the users, tickets, comments, id counters and remembered idempotent creates of
   * an earlier run (`toSnapshot()`). Its bridge user and agent are kept (their ids are in
   * tickets); `bridgeEmail`, when given, still decides the e-mail the API user signs in with.
   */
  snapshot?: ZendeskSnapshot;
  /** Told after every change to that state (not of webhooks, faults or the request log). */
  onChange?: OnChange;
  /** Largest file `POST /uploads.json` takes; more is a 413. Default 50 MB, Zendesk's limit. */
  maxUploadBytes?: number;
}

type Delivered = WebhookDelivery<ZendeskWebhookEvent>[];

/** A file a person in Zendesk attaches (the sandbox agent, tests). */
export interface ZdFile {
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

/** An attachment as the API shows it: with its `content_url` on this simulator. */
export interface ZdAttachmentView {
  id: number;
  file_name: string;
  content_url: string;
  content_type: string;
  size: number;
  inline: boolean;
}

/** A comment as the API shows it. */
export type ZdCommentView = Omit<ZdComment, 'attachments'> & { attachments: ZdAttachmentView[] };

/**
 * Zendesk Support (the documented subset) as a real HTTP server on 127.0.0.1: users, tickets,
 * comments, the ticket rules, idempotent creates, pagination, fault injection, signed webhooks,
 * and a programmatic agent for tests and the sandbox.
 */
export class ZendeskSimulator {
  readonly faults: Faults;
  readonly webhooks: WebhookOutbox<ZendeskWebhookEvent>;
  readonly bridgeUser: ZdUser;
  /** An agent to act as when a test does not name one. */
  readonly agent: ZdUser;
  readonly apiToken: string;
  webhookUrl: string | undefined;
  webhookSecret: string;
  echoApiWrites: boolean;
  pageSize: number;
  maxUploadBytes: number;
  private readonly store: ZendeskStore;
  private readonly idempotency: IdempotencyCache;
  private readonly server: SimServer;
  private readonly accountId: number;
  private origin = '';

  private constructor(options: ZendeskSimulatorOptions) {
    const now = options.now ?? (() => new Date());
    this.apiToken = options.apiToken ?? 'zendesk-sim-token';
    this.webhookUrl = options.webhookUrl;
    this.webhookSecret = options.webhookSecret ?? 'zendesk-sim-secret';
    this.echoApiWrites = options.echoApiWrites ?? true;
    this.pageSize = options.pageSize ?? 100;
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.accountId = options.accountId ?? 9_000_001;
    this.faults = new Faults(() => now().getTime());
    const { snapshot, onChange } = options;
    this.store = new ZendeskStore(now, { snapshot: snapshot?.store, onChange });
    this.idempotency = new IdempotencyCache(() => now().getTime(), { snapshot: snapshot?.idempotency, onChange });
    if (snapshot) {
      // The schema guarantees both exist.
      this.bridgeUser = this.store.users.get(snapshot.bridgeUserId)!;
      this.agent = this.store.users.get(snapshot.agentId)!;
      if (options.bridgeEmail && options.bridgeEmail !== this.bridgeUser.email) this.store.setEmail(this.bridgeUser, options.bridgeEmail);
    } else {
      const bridgeEmail = options.bridgeEmail ?? 'bridge@example.test';
      this.bridgeUser = this.store.addUser({ name: 'Ticket Bridge', email: bridgeEmail, role: 'admin' });
      this.agent = this.store.addUser({ name: 'Agent Smith', email: 'agent@example.test', role: 'agent' });
    }
    this.webhooks = new WebhookOutbox<ZendeskWebhookEvent>((event) => {
      if (!this.webhookUrl) return null;
      return { url: this.webhookUrl, ...signedWebhook(this.webhookSecret, JSON.stringify(event), now()) };
    }, now);
    this.server = new SimServer({
      prefix: '/api/v2',
      routes: zendeskRoutes({
        store: this.store,
        bridgeUser: () => this.bridgeUser,
        apiUrl: () => this.apiUrl,
        pageSize: () => this.pageSize,
        apiWrote: (write) => {
          if (this.echoApiWrites) for (const e of this.events(write)) this.webhooks.emitInBackground(e);
        },
        idempotency: this.idempotency,
        origin: () => this.origin,
        maxUploadBytes: () => this.maxUploadBytes,
      }),
      faults: this.faults,
      authenticate: (headers) =>
        headers.authorization === this.basicAuth() ? null : { status: 401, body: zendeskErrorBody(401) },
      errorBody: zendeskErrorBody,
      secretHeaders: ['authorization'],
      now,
    });
  }

  static async start(options: ZendeskSimulatorOptions = {}): Promise<ZendeskSimulator> {
    const sim = new ZendeskSimulator(options);
    sim.origin = await sim.server.start();
    return sim;
  }

  /** `ZENDESK_API_URL` / `ZendeskCrm` base URL. */
  get apiUrl(): string {
    return `${this.origin}/api/v2`;
  }

  /** Waits for webhooks still in flight, then closes every connection. */
  async stop(): Promise<void> {
    await this.webhooks.idle();
    await this.server.stop();
  }

  // --- agents and end users, in Zendesk -----------------------------------------------------

  addAgent(name: string, email: string): ZdUser {
    return clone(this.store.addUser({ name, email, role: 'agent' }));
  }

  addEndUser(name: string, email: string): ZdUser {
    return clone(this.store.addUser({ name, email, role: 'end-user' }));
  }

  /**
   * A public reply (or, with `public: false`, an internal note) by an agent, with `attachments`
   * uploaded and bound to it as the agent UI does.
   */
  async agentReplies(
    ticketId: number | string,
    body: string,
    opts: { public?: boolean; agentId?: number; status?: ZdStatus; attachments?: readonly ZdFile[] } = {},
  ): Promise<{ comment: ZdCommentView; webhooks: Delivered }> {
    const agentId = opts.agentId ?? this.agent.id;
    this.mustGet(ticketId);
    const uploads = (opts.attachments ?? []).map((f) => this.store.addUpload(f.fileName, f.contentType, f.bytes).token);
    const input = { body, public: opts.public ?? true, author_id: agentId, ...(uploads.length > 0 && { uploads }) };
    const change: ZdTicketChange = { comment: input, status: opts.status };
    const { comment, webhooks } = await this.write(ticketId, change, agentId, 'web');
    return { comment: comment!, webhooks };
  }

  agentAddsNote(ticketId: number | string, body: string, opts: { agentId?: number; attachments?: readonly ZdFile[] } = {}) {
    return this.agentReplies(ticketId, body, { ...opts, public: false });
  }

  /** Like the agent UI, solving an unassigned ticket assigns it to the acting agent. */
  async agentSetsStatus(
    ticketId: number | string,
    status: ZdStatus,
    opts: { agentId?: number } = {},
  ): Promise<{ webhooks: Delivered }> {
    const agentId = opts.agentId ?? this.agent.id;
    const change: ZdTicketChange = { status };
    if ((status === 'solved' || status === 'closed') && this.mustGet(ticketId).assignee_id === null) change.assignee_id = agentId;
    const { webhooks } = await this.write(ticketId, change, agentId, 'web');
    return { webhooks };
  }

  async agentAssigns(
    ticketId: number | string,
    assigneeId: number | null,
    opts: { agentId?: number } = {},
  ): Promise<{ webhooks: Delivered }> {
    const { webhooks } = await this.write(ticketId, { assignee_id: assigneeId }, opts.agentId ?? this.agent.id, 'web');
    return { webhooks };
  }

  /** An agent tags the ticket by hand (Zendesk's `additional_tags`: the other tags stay). */
  async agentAddsTags(ticketId: number | string, tags: string[], opts: { agentId?: number } = {}): Promise<{ webhooks: Delivered }> {
    const { webhooks } = await this.write(ticketId, { additional_tags: tags }, opts.agentId ?? this.agent.id, 'web');
    return { webhooks };
  }

  /** The requester answers by e-mail (reopens a pending/solved/hold ticket). */
  async requesterReplies(ticketId: number | string, body: string): Promise<{ comment: ZdCommentView; webhooks: Delivered }> {
    const requesterId = this.mustGet(ticketId).requester_id;
    const change: ZdTicketChange = { comment: { body, public: true, author_id: requesterId } };
    const { comment, webhooks } = await this.write(ticketId, change, requesterId, 'email');
    return { comment: comment!, webhooks };
  }

  // --- admins, in Zendesk -------------------------------------------------------------------

  /** An admin deletes the ticket (no webhook: the bridge learns it from a 404). */
  adminDeletesTicket(ticketId: number | string): void {
    this.mustGet(ticketId);
    this.store.deleteTicket(Number(ticketId));
  }

  /** An admin merges a user into another (`into`), or deletes it (`null`): see `ZendeskStore.mergeUser`. */
  adminMergesUser(userId: number, into: number | null): void {
    this.store.mergeUser(userId, into);
  }

  // --- inspection ---------------------------------------------------------------------------

  ticket(id: number | string): ZdTicket | undefined {
    const t = this.store.ticket(Number(id));
    return t && clone(t);
  }

  tickets(): ZdTicket[] {
    return this.store.allTickets().map(clone);
  }

  ticketByExternalId(externalId: string): ZdTicket | undefined {
    return this.tickets().find((t) => t.external_id === externalId);
  }

  comments(ticketId: number | string): ZdCommentView[] {
    return this.store.commentsOf(Number(ticketId)).map((c) => this.present(c));
  }

  /** The bytes and type of an attachment (bound or still waiting for its comment); undefined when unknown. */
  attachment(attachmentId: number): { fileName: string; contentType: string; bytes: Buffer; commentId: number | null } | undefined {
    const upload = this.store.uploadOf(attachmentId);
    if (!upload) return undefined;
    const { file_name, content_type } = upload.attachment;
    return { fileName: file_name, contentType: content_type, bytes: Buffer.from(upload.bytes), commentId: upload.comment_id };
  }

  /** Every upload received, bound or not (a retried upload shows here as another one). */
  uploads(): { token: string; attachmentId: number; size: number; commentId: number | null }[] {
    return this.store.allUploads().map((u) => ({ token: u.token, attachmentId: u.attachment.id, size: u.attachment.size, commentId: u.comment_id }));
  }

  user(id: number | string): ZdUser | undefined {
    const u = this.store.users.get(Number(id));
    return u && clone(u);
  }

  /** Requests received (credentials removed), optionally only those matching a route pattern. */
  requests(match = '*'): RequestLogEntry[] {
    return this.server.log.filter((e) => matches(match, e.route));
  }

  fault(spec: FaultSpec): FaultHandle {
    return this.faults.add(spec);
  }

  /** Everything needed to start again where this one is (see `ZendeskSimulatorOptions.snapshot`). */
  toSnapshot(): ZendeskSnapshot {
    return {
      version: 1,
      store: this.store.toSnapshot(),
      bridgeUserId: this.bridgeUser.id,
      agentId: this.agent.id,
      idempotency: this.idempotency.toSnapshot(),
    };
  }

  /** Apply a change as a person in Zendesk (rules enforced), then deliver its webhooks. */
  private async write(
    ticketId: number | string,
    change: ZdTicketChange,
    actorId: number,
    channel: 'web' | 'email',
  ): Promise<{ comment: ZdCommentView | null; webhooks: Delivered }> {
    const write = this.store.update(Number(ticketId), change, actorId, channel);
    const webhooks: Delivered = [];
    for (const event of this.events(write)) webhooks.push(...(await this.webhooks.emit(event)));
    return { comment: write.comment && this.present(write.comment), webhooks };
  }

  private present(comment: ZdComment): ZdCommentView {
    return clone(presentComment(this.store, this.origin, comment));
  }

  private events(write: ZdWriteResult): ZendeskWebhookEvent[] {
    return eventsFor(write, this.store.users, this.accountId);
  }

  private basicAuth(): string {
    return `Basic ${Buffer.from(`${this.bridgeUser.email}/token:${this.apiToken}`).toString('base64')}`;
  }

  private mustGet(id: number | string): ZdTicket {
    const t = this.store.ticket(Number(id));
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
