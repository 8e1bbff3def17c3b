import { Faults, matches, type FaultHandle, type FaultSpec } from '../common/faults';
import { SimServer, type RequestLogEntry } from '../common/sim-server';
import type { OnChange } from '../common/snapshot';
import { WebhookOutbox, type WebhookDelivery } from '../common/webhooks';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../common/uploads';
import { connectErrorBody, connectRoutes, expiredError, fileUrl, presentComment, presentTicket } from './routes';
import type { ConnectSnapshot } from './snapshot';
import {
  ConnectStore,
  type ConnectCommentRecord,
  type ConnectFieldChange,
  type ConnectStatus,
  type ConnectTicketRecord,
  type NewConnectTicket,
} from './store';

/** The Connect webhook body: a notification only, the ticket must be read back. */
export interface ConnectWebhook {
  type: 'CREATE' | 'UPDATE' | 'DELETE';
  ticketId: string;
}

export interface ConnectSimulatorOptions {
  /** Expected in `clevergy-api-key`. */
  apiKey?: string;
  /** Where webhooks go, with the integrator's `?auth_token=...` already in it. Settable later. */
  webhookUrl?: string;
  /**
   * Which changes send a webhook. The platform documents "whenever a ticket changes", but not
   * whether the integrator's own API writes count. Default 'user': only the app user's actions
   * notify, which keeps tests deterministic; 'all' also notifies on the bridge's writes, to
   * prove it tolerates echoes of itself (its reads are idempotent, so it must).
   */
  notifyOn?: 'user' | 'all';
  tenantId?: string;
  /** The simulator's clock (timestamps). */
  now?: () => Date;
  /** Start with the tickets and id counters of an earlier run (`toSnapshot()`). */
  snapshot?: ConnectSnapshot;
  /** Told after every change to the tickets (not of webhooks, faults or the request log). */
  onChange?: OnChange;
  /** How long an attachment upload URL is valid. Default 15 minutes, as the API documents. */
  uploadUrlTtlMs?: number;
  /** Largest file an upload URL takes; more is a 413. Undocumented for Connect: default 50 MB. */
  maxUploadBytes?: number;
}

/** A file the app user attaches to a comment. */
export interface ConnectFile {
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

type Delivered = WebhookDelivery<ConnectWebhook>[];

/**
 * The Connect API as a real HTTP server on 127.0.0.1, with in-memory tickets, a programmatic
 * "end user" for tests and the sandbox, fault injection, and webhooks to the bridge.
 */
export class ConnectSimulator {
  readonly apiKey: string;
  readonly faults: Faults;
  readonly webhooks: WebhookOutbox<ConnectWebhook>;
  notifyOn: 'user' | 'all';
  webhookUrl: string | undefined;
  uploadUrlTtlMs: number;
  maxUploadBytes: number;
  private readonly store: ConnectStore;
  private readonly server: SimServer;
  private origin = '';

  private constructor(options: ConnectSimulatorOptions) {
    const now = options.now ?? (() => new Date());
    this.apiKey = options.apiKey ?? 'connect-sim-key';
    this.notifyOn = options.notifyOn ?? 'user';
    this.webhookUrl = options.webhookUrl;
    this.uploadUrlTtlMs = options.uploadUrlTtlMs ?? 15 * 60 * 1000;
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.faults = new Faults(() => now().getTime());
    this.store = new ConnectStore(now, options.tenantId ?? 'tenant-sim', {
      snapshot: options.snapshot?.store,
      onChange: options.onChange,
    });
    this.webhooks = new WebhookOutbox<ConnectWebhook>(
      (payload) => (this.webhookUrl ? { url: this.webhookUrl, headers: {}, body: JSON.stringify(payload) } : null),
      now,
    );
    this.server = new SimServer({
      routes: connectRoutes({
        store: this.store,
        changedByApi: (t) => {
          if (this.notifyOn === 'all') this.webhooks.emitInBackground({ type: 'UPDATE', ticketId: t.id });
        },
        origin: () => this.origin,
        now,
        signingKey: () => this.signingKey(),
        uploadUrlTtlMs: () => this.uploadUrlTtlMs,
        maxUploadBytes: () => this.maxUploadBytes,
      }),
      faults: this.faults,
      authenticate: (headers, path) =>
        headers['clevergy-api-key'] === this.apiKey ? null : { status: 401, body: connectErrorBody(401, path, now()) },
      errorBody: (status, path) => connectErrorBody(status, path, now()),
      secretHeaders: ['clevergy-api-key', 'authorization'],
      now,
      expiredResponse: () => ({ status: 403, body: expiredError() }),
    });
  }

  static async start(options: ConnectSimulatorOptions = {}): Promise<ConnectSimulator> {
    const sim = new ConnectSimulator(options);
    sim.origin = await sim.server.start();
    return sim;
  }

  /** Base URL for `CONNECT_API_URL` / `ConnectSource`. */
  get url(): string {
    return this.origin;
  }

  /** Waits for webhooks still in flight, then closes every connection. */
  async stop(): Promise<void> {
    await this.webhooks.idle();
    await this.server.stop();
  }

  // --- the end user, in the app -------------------------------------------------------------

  async userCreatesTicket(input: NewConnectTicket): Promise<{ ticket: ConnectTicketRecord; webhooks: Delivered }> {
    const ticket = this.store.create({ userId: 'user-1', ...input });
    return { ticket: clone(ticket), webhooks: await this.notify('CREATE', ticket.id) };
  }

  /**
   * A reply from the app; the platform moves the ticket to OPEN (the guide's flow) unless told
   * otherwise. Its `attachments` are uploaded before the webhook goes, as the app does. The
   * comment returned lists them as the API does: download URLs.
   */
  async userComments(
    ticketId: string,
    message: string,
    opts: { status?: ConnectStatus; attachments?: readonly ConnectFile[] } = {},
  ): Promise<{ comment: ConnectCommentRecord; webhooks: Delivered }> {
    const ticket = this.mustGet(ticketId);
    if (ticket.status === 'CLOSED') throw new Error(`ticket ${ticketId} is CLOSED: the app allows no replies`);
    const comment = this.store.addComment(ticket, 'USER', message);
    for (const f of opts.attachments ?? []) this.store.addAttachment(comment, f.fileName, { contentType: f.contentType, bytes: Buffer.from(f.bytes) });
    this.store.setStatus(ticket, opts.status ?? 'OPEN');
    return { comment: this.present(comment), webhooks: await this.notify('UPDATE', ticketId) };
  }

  /**
   * A comment that becomes visible only now but is dated `createdAt` (earlier): a photo whose
   * upload commits after the quick text the user sent after it.
   */
  async userCommentCommitsLate(ticketId: string, message: string, createdAt: string): Promise<{ comment: ConnectCommentRecord; webhooks: Delivered }> {
    const comment = this.store.addComment(this.mustGet(ticketId), 'USER', message, createdAt);
    return { comment: this.present(comment), webhooks: await this.notify('UPDATE', ticketId) };
  }

  async userSetsStatus(ticketId: string, status: ConnectStatus): Promise<{ webhooks: Delivered }> {
    this.store.setStatus(this.mustGet(ticketId), status);
    return { webhooks: await this.notify('UPDATE', ticketId) };
  }

  /** "Yes, resolved" on a SOLVED ticket: CLOSED. */
  userConfirmsResolved(ticketId: string): Promise<{ webhooks: Delivered }> {
    return this.userSetsStatus(ticketId, 'CLOSED');
  }

  /** "No, not resolved" plus details on a SOLVED ticket: the guide says the status becomes PENDING. */
  userRejectsResolution(ticketId: string, details: string): Promise<{ comment: ConnectCommentRecord; webhooks: Delivered }> {
    return this.userComments(ticketId, details, { status: 'PENDING' });
  }

  /** The platform changes the ticket's fields (moved to another tenant, an alert raised or cleared), and notifies. */
  async platformChangesFields(ticketId: string, change: ConnectFieldChange): Promise<{ webhooks: Delivered }> {
    this.store.setFields(this.mustGet(ticketId), change);
    return { webhooks: await this.notify('UPDATE', ticketId) };
  }

  async userDeletesTicket(ticketId: string): Promise<{ webhooks: Delivered }> {
    if (!this.store.delete(ticketId)) throw new Error(`no ticket ${ticketId}`);
    return { webhooks: await this.notify('DELETE', ticketId) };
  }

  /** Send a webhook that no change caused (duplicates, stale or forged notifications). */
  sendWebhook(payload: ConnectWebhook, opts?: { times?: number; delayMs?: number }): Promise<Delivered> {
    return this.webhooks.send(payload, opts);
  }

  // --- inspection ---------------------------------------------------------------------------

  /** A ticket as stored: each comment's `attachments` are the file names (the API shows URLs, see `apiTicket`). */
  ticket(id: string): ConnectTicketRecord | undefined {
    const t = this.store.get(id);
    return t && clone(t);
  }

  /** A ticket as `GET /tickets/{id}` shows it: attachments as download URLs. */
  apiTicket(id: string): ConnectTicketRecord | undefined {
    const t = this.store.get(id);
    return t && clone(presentTicket(this.routeContext(), t));
  }

  /** The bytes and type of a comment's attachment; undefined when it has none by that name. */
  attachment(commentId: number, fileName: string): { contentType: string; bytes: Buffer } | undefined {
    const f = this.store.file(commentId, fileName);
    return f && { contentType: f.contentType, bytes: Buffer.from(f.bytes) };
  }

  /** Where a comment's attachment is downloaded (what its `attachments` lists on the API). */
  attachmentUrl(commentId: number, fileName: string): string {
    return fileUrl(this.routeContext(), commentId, fileName);
  }

  tickets(): ConnectTicketRecord[] {
    return this.store.all().map(clone);
  }

  /** The id the next `userCreatesTicket` gives its ticket (the sandbox's tour names it in advance). */
  nextTicketId(): string {
    return this.store.nextTicketId();
  }

  /** Requests received (credentials removed), optionally only those matching a route pattern. */
  requests(match = '*'): RequestLogEntry[] {
    return this.server.log.filter((e) => matches(match, e.route));
  }

  /** Everything needed to start again where this one is (tickets, comments, id counters). */
  toSnapshot(): ConnectSnapshot {
    return { version: 1, store: this.store.toSnapshot() };
  }

  /** Shorthand for `faults.add`. */
  fault(spec: FaultSpec): FaultHandle {
    return this.faults.add(spec);
  }

  private present(comment: ConnectCommentRecord): ConnectCommentRecord {
    return clone(presentComment(this.routeContext(), comment));
  }

  private routeContext() {
    return { origin: () => this.origin, signingKey: () => this.signingKey() };
  }

  /** Derived from the API key: stable across restarts, so URLs handed out before one still work. */
  private signingKey(): string {
    return `connect-sim-files:${this.apiKey}`;
  }

  private notify(type: ConnectWebhook['type'], ticketId: string): Promise<Delivered> {
    return this.webhooks.emit({ type, ticketId });
  }

  private mustGet(id: string): ConnectTicketRecord {
    const t = this.store.get(id);
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
