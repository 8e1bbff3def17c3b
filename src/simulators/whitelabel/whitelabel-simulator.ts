import { Faults, matches, type FaultHandle, type FaultSpec } from '../common/faults';
import { SimServer, type RequestLogEntry } from '../common/sim-server';
import type { OnChange } from '../common/snapshot';
import { WebhookOutbox, type DeliveryOptions, type WebhookDelivery } from '../common/webhooks';
import { buildEvent, type WhitelabelEventPayload, type WhitelabelEventType } from './events';
import { whitelabelErrorBody, whitelabelRoutes } from './routes';
import { SEED_EVENTS } from './seed-events';
import type { WhitelabelSnapshot } from './snapshot';
import { signedHeaders, type SigningOptions } from './signing';
import {
  WhitelabelStore,
  type NewWhitelabelTicket,
  type WhitelabelReplyRecord,
  type WhitelabelTicketRecord,
} from './store';

export interface WhitelabelSimulatorOptions {
  /** Expected as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Where events go (the bridge's `/webhooks/whitelabel`). Settable later. */
  webhookUrl?: string;
  /** How events are signed: the endpoint's secret, header name and signed bytes. */
  signing: SigningOptions;
  /**
   * Which changes send an event. The platform documents events for replies "by the client or
   * the agent", so by default ('all') the bridge's own API writes send one too — which the
   * bridge must recognise as its own. 'user' sends only for the simulated people's actions.
   */
  notifyOn?: 'user' | 'all';
  /** The platform's `endpoint_id` in every envelope. Default: the snapshot's, else a fixed one. */
  endpointId?: string;
  /** The simulator's clock: reply and ticket timestamps, and the signature's `t`. */
  now?: () => Date;
  /** Start with the tickets and endpoint id of an earlier run (`toSnapshot()`). */
  snapshot?: WhitelabelSnapshot;
  /** Told after every change to the tickets (not of events, faults or the request log). */
  onChange?: OnChange;
}

type Delivered = WebhookDelivery<WhitelabelEventPayload>[];

export type EventOrder = 'as-given' | 'reverse' | 'shuffle';

/**
 * The white-label platform as a real HTTP server on 127.0.0.1: its REST API (in-memory tickets,
 * fault injection) under `/v1`, the people using it (a client, a teammate), and signed events
 * to the bridge with the delivery quirks of the real thing (duplicates, delays, reordering).
 */
export class WhitelabelSimulator {
  readonly apiKey: string;
  readonly faults: Faults;
  readonly webhooks: WebhookOutbox<WhitelabelEventPayload>;
  signing: SigningOptions;
  notifyOn: 'user' | 'all';
  webhookUrl: string | undefined;
  private readonly endpointId: string;
  private readonly store: WhitelabelStore;
  private readonly server: SimServer;
  private readonly now: () => Date;
  private origin = '';

  private constructor(options: WhitelabelSimulatorOptions) {
    this.now = options.now ?? (() => new Date());
    const nowSeconds = () => Math.floor(this.now().getTime() / 1000);
    this.apiKey = options.apiKey ?? 'whitelabel-sim-key';
    this.signing = options.signing;
    this.notifyOn = options.notifyOn ?? 'all';
    this.webhookUrl = options.webhookUrl;
    this.endpointId = options.endpointId ?? options.snapshot?.endpointId ?? '00000000-0000-4000-8000-0000000e0d01';
    this.faults = new Faults(() => this.now().getTime());
    this.store = new WhitelabelStore(nowSeconds, { snapshot: options.snapshot?.store, onChange: options.onChange });
    // Signed per delivery, with the clock at that moment: a duplicate or delayed delivery is a
    // fresh request, exactly as a retrying platform would send it.
    this.webhooks = new WebhookOutbox<WhitelabelEventPayload>((payload) => {
      if (!this.webhookUrl) return null;
      const body = JSON.stringify(payload);
      return { url: this.webhookUrl, headers: signedHeaders(this.signing, body, nowSeconds()), body };
    }, this.now);
    const fromApi = async (type: WhitelabelEventType, t: WhitelabelTicketRecord, reply?: WhitelabelReplyRecord) => {
      if (this.notifyOn === 'all') await this.emit(type, t, reply);
    };
    this.server = new SimServer({
      routes: whitelabelRoutes({
        store: this.store,
        repliedByApi: (t, reply) => fromApi('whitelabel_ticket_updated', t, reply),
        resolvedByApi: (t) => fromApi('whitelabel_ticket_resolved', t),
      }),
      prefix: '/v1',
      faults: this.faults,
      authenticate: (headers) =>
        headers.authorization === `Bearer ${this.apiKey}` ? null : { status: 401, body: whitelabelErrorBody(401) },
      errorBody: (status) => whitelabelErrorBody(status),
      secretHeaders: ['authorization'],
      now: this.now,
    });
  }

  static async start(options: WhitelabelSimulatorOptions): Promise<WhitelabelSimulator> {
    const sim = new WhitelabelSimulator(options);
    sim.origin = await sim.server.start();
    return sim;
  }

  /** Base URL for `WHITELABEL_API_URL` / `WhitelabelSource`. */
  get url(): string {
    return `${this.origin}/v1`;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  // --- the people using the platform ----------------------------------------------------------

  async clientCreatesTicket(input: NewWhitelabelTicket): Promise<{ ticket: WhitelabelTicketRecord; webhooks: Delivered }> {
    const ticket = this.store.create(input);
    return { ticket: clone(ticket), webhooks: await this.emit('whitelabel_ticket_created', ticket) };
  }

  /** `assets`: the reply's files, as URLs (where they are stored is up to the caller: the platform's storage). */
  async clientReplies(ticketId: string, text: string, opts: { assets?: string[] } = {}): Promise<{ reply: WhitelabelReplyRecord; webhooks: Delivered }> {
    return this.reply(ticketId, text, true, opts.assets ?? null);
  }

  /** A teammate answering in the platform's own inbox (not through the bridge). */
  async teammateReplies(ticketId: string, text: string): Promise<{ reply: WhitelabelReplyRecord; webhooks: Delivered }> {
    return this.reply(ticketId, text, false);
  }

  async assign(ticketId: string, teammateId: string | null): Promise<{ webhooks: Delivered }> {
    const ticket = this.mustGet(ticketId);
    this.store.assign(ticket, teammateId);
    return { webhooks: await this.emit('whitelabel_ticket_assigned', ticket) };
  }

  /** The client (or a teammate) resolves the ticket in the platform. */
  async resolve(ticketId: string): Promise<{ webhooks: Delivered }> {
    const ticket = this.mustGet(ticketId);
    this.store.setOpen(ticket, false);
    return { webhooks: await this.emit('whitelabel_ticket_resolved', ticket) };
  }

  // --- sending events as given ----------------------------------------------------------------

  /**
   * Send these envelopes exactly (byte for byte as `JSON.stringify` writes them), signed at
   * delivery: each `times` over, `delayMs` apart, in the given order, reversed or shuffled.
   */
  async sendEvents(
    events: readonly WhitelabelEventPayload[],
    opts: DeliveryOptions & { order?: EventOrder; random?: () => number } = {},
  ): Promise<Delivered> {
    const ordered = opts.order === 'reverse' ? [...events].reverse() : opts.order === 'shuffle' ? shuffled(events, opts.random) : events;
    const out: Delivered = [];
    for (const event of ordered) out.push(...(await this.webhooks.send(event, opts)));
    return out;
  }

  /**
   * The seed's four example events. Their tickets are loaded into the API first (newest
   * snapshot of each), so the bridge's read-back and write-back find them.
   */
  sendSeedEvents(opts: DeliveryOptions & { order?: EventOrder; random?: () => number } = {}): Promise<Delivered> {
    this.loadTickets(SEED_EVENTS.map((e) => e.data.ticket));
    return this.sendEvents(SEED_EVENTS, opts);
  }

  /** Put tickets into the API as given; of several with one id, the newest `updated_at` wins. */
  loadTickets(tickets: readonly WhitelabelTicketRecord[]): void {
    for (const t of tickets) {
      const current = this.store.get(t.id);
      if (!current || current.updated_at <= t.updated_at) this.store.put(t);
    }
  }

  // --- inspection -----------------------------------------------------------------------------

  ticket(id: string): WhitelabelTicketRecord | undefined {
    const t = this.store.get(id);
    return t && clone(t);
  }

  tickets(): WhitelabelTicketRecord[] {
    return this.store.all().map(clone);
  }

  /** Requests received (credentials removed), optionally only those matching a route pattern. */
  requests(match = '*'): RequestLogEntry[] {
    return this.server.log.filter((e) => matches(match, e.route));
  }

  /** Everything needed to start again where this one is (tickets, endpoint id). */
  toSnapshot(): WhitelabelSnapshot {
    return { version: 1, store: this.store.toSnapshot(), endpointId: this.endpointId };
  }

  /** Shorthand for `faults.add`. Route keys: 'GET /tickets/:id', 'POST /tickets/:id/replies', 'PUT /tickets/:id'. */
  fault(spec: FaultSpec): FaultHandle {
    return this.faults.add(spec);
  }

  private async reply(ticketId: string, text: string, isClient: boolean, assets: string[] | null = null): Promise<{ reply: WhitelabelReplyRecord; webhooks: Delivered }> {
    const ticket = this.mustGet(ticketId);
    const reply = this.store.addReply(ticket, text, isClient, assets);
    return { reply: clone(reply), webhooks: await this.emit('whitelabel_ticket_updated', ticket, reply) };
  }

  private emit(type: WhitelabelEventType, ticket: WhitelabelTicketRecord, reply?: WhitelabelReplyRecord): Promise<Delivered> {
    return this.webhooks.emit(buildEvent(type, ticket, this.endpointId, reply));
  }

  private mustGet(id: string): WhitelabelTicketRecord {
    const t = this.store.get(id);
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
