import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Outgoing webhooks of a simulator, with the delivery quirks real platforms have: duplicates
 * (`times`), late delivery (`delayMs`), and reordering (hold a batch, then `release({ order: 'shuffle' })`).
 * Every send is awaitable and reports the receiver's status, so a test knows the bridge answered.
 */

export interface DeliveryOptions {
  /** Deliver each event this many times (default 1). */
  times?: number;
  /** Wait this long before each delivery (default 0). */
  delayMs?: number;
}

export interface WebhookDelivery<P> {
  payload: P;
  /** HTTP status from the receiver; null when the request failed (`error` says how). */
  status: number | null;
  error?: string;
  at: string;
  /** How long the receiver took to answer (ms). */
  ms?: number;
  /** The start of the receiver's answer (its first 512 characters): what it made of the event. */
  answer?: string;
}

/** Turns a payload into the HTTP request the platform sends. */
export type WebhookRequestFactory<P> = (payload: P) => { url: string; headers: Record<string, string>; body: string };

export class WebhookOutbox<P> {
  /** Every event emitted, delivered or not (e.g. no URL configured yet). */
  readonly emitted: P[] = [];
  readonly deliveries: WebhookDelivery<P>[] = [];
  options: DeliveryOptions = {};
  private held: P[] | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly request: (payload: P) => ReturnType<WebhookRequestFactory<P>> | null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Send now (per `options`), or queue while held. Resolves when every delivery is answered. */
  async emit(payload: P): Promise<WebhookDelivery<P>[]> {
    this.emitted.push(payload);
    if (this.held) {
      this.held.push(payload);
      return [];
    }
    return this.deliver([payload], this.options);
  }

  /**
   * Emit without waiting, as a platform does for changes made through its API: the API caller's
   * response must not depend on the webhook receiver. `idle()` waits for these.
   */
  emitInBackground(payload: P): void {
    const p = this.emit(payload).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Background deliveries not answered yet. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Resolves once every background delivery has been answered. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Queue events instead of sending them, until `release`. */
  hold(): void {
    this.held ??= [];
  }

  /** Stop holding and drop what was queued: deliveries that were lost. */
  discard(): void {
    this.held = null;
  }

  /** Events waiting in a hold. */
  pending(): readonly P[] {
    return this.held ?? [];
  }

  /** Stop holding and send what was queued — optionally shuffled, duplicated or delayed. */
  async release(opts: DeliveryOptions & { order?: 'as-emitted' | 'reverse' | 'shuffle' } = {}): Promise<WebhookDelivery<P>[]> {
    const queued = this.held ?? [];
    this.held = null;
    const ordered = opts.order === 'reverse' ? [...queued].reverse() : opts.order === 'shuffle' ? shuffled(queued) : queued;
    return this.deliver(ordered, { ...this.options, ...opts });
  }

  /** Send one payload right away, bypassing a hold (e.g. a stale or forged notification). */
  async send(payload: P, opts: DeliveryOptions = {}): Promise<WebhookDelivery<P>[]> {
    return this.deliver([payload], { ...this.options, ...opts });
  }

  private async deliver(payloads: readonly P[], opts: DeliveryOptions): Promise<WebhookDelivery<P>[]> {
    const out: WebhookDelivery<P>[] = [];
    for (const payload of payloads) {
      for (let i = 0; i < (opts.times ?? 1); i++) {
        if (opts.delayMs) await sleep(opts.delayMs);
        const req = this.request(payload);
        if (!req) continue; // no receiver configured
        const delivery = await post(req, payload, this.now);
        this.deliveries.push(delivery);
        out.push(delivery);
      }
    }
    return out;
  }
}

async function post<P>(
  req: { url: string; headers: Record<string, string>; body: string },
  payload: P,
  now: () => Date,
): Promise<WebhookDelivery<P>> {
  const at = now().toISOString();
  const started = performance.now();
  try {
    const res = await fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...req.headers },
      body: req.body,
      // Zendesk gives up after about 10 s; so do we.
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await res.text()).slice(0, ANSWER_CHARS);
    return { payload, status: res.status, at, ms: performance.now() - started, answer };
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    return { payload, status: null, error: e.cause?.code ?? e.name ?? 'error', at };
  }
}

const ANSWER_CHARS = 512;

/** A shuffled copy (Fisher-Yates): webhooks delivered in random order. */
export function shuffled<T>(items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
