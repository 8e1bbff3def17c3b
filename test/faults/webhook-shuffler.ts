/**
 * A hostile delivery network between the simulators and the bridge's API: every webhook is
 * accepted at once (202), held for a short window, then delivered `times` times, the whole
 * window's deliveries shuffled together (a ticket's comment event may arrive after its status
 * event, after another ticket's, twice before the first copy is answered, …). Deliveries the API
 * does not accept with a 2xx are retried a few times, as the platforms do; 4xx answers are counted
 * (the suite expects none).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { shuffled } from '../../src/simulators/common/webhooks';

export interface WebhookShufflerOptions {
  /** The bridge API's base URL, e.g. http://127.0.0.1:3000; requests keep their path and query. */
  target: string;
  /** Deliveries per webhook. */
  times: number;
  /** How long webhooks gather before a window is shuffled and sent (real ms). */
  windowMs: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Attempts per delivery for network errors and 5xx answers. */
  maxAttempts?: number;
}

interface Held {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  channel: string;
}

export interface ShufflerStats {
  received: number;
  delivered: number;
  /** Delivery answers by status (`'network'` for a failed request). */
  statuses: Record<string, number>;
  /** Deliveries that needed more than one attempt. */
  redelivered: number;
  /** Deliveries given up after `maxAttempts`, or answered with a 4xx. */
  failed: number;
  byChannel: Record<string, number>;
}

const FORWARDED_HEADERS = /^(content-type|x-zendesk-|x-whitelabel-|webhook-|x-request-id)/i;

export class WebhookShuffler {
  readonly stats: ShufflerStats = { received: 0, delivered: 0, statuses: {}, redelivered: 0, failed: 0, byChannel: {} };
  private window: Held[] = [];
  private readonly queue: Held[] = [];
  private inFlight = 0;
  private readonly timer: NodeJS.Timeout;
  private origin = '';

  private constructor(
    private readonly server: http.Server,
    private readonly options: WebhookShufflerOptions,
  ) {
    this.timer = setInterval(() => this.flush(), options.windowMs);
  }

  static async start(options: WebhookShufflerOptions): Promise<WebhookShuffler> {
    let shuffler: WebhookShuffler | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        shuffler!.accept(req, Buffer.concat(chunks));
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}');
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    shuffler = new WebhookShuffler(server, options);
    shuffler.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return shuffler;
  }

  /** Where the simulators should send their webhooks (same paths as the API). */
  get url(): string {
    return this.origin;
  }

  /** Nothing held, queued or in flight. */
  idle(): boolean {
    return this.window.length === 0 && this.queue.length === 0 && this.inFlight === 0;
  }

  /** Waits until every webhook received so far was delivered (bounded). */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle()) {
      if (Date.now() > deadline) throw new Error(`webhooks not delivered after ${timeoutMs} ms (${this.window.length + this.queue.length} queued, ${this.inFlight} in flight)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private accept(req: http.IncomingMessage, body: Buffer): void {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && FORWARDED_HEADERS.test(k)) headers[k] = v;
    const path = req.url ?? '/';
    const channel = path.split('?')[0]!.split('/').pop() ?? 'other';
    this.stats.received++;
    this.stats.byChannel[channel] = (this.stats.byChannel[channel] ?? 0) + 1;
    this.window.push({ path, headers, body, channel });
  }

  private flush(): void {
    if (this.window.length === 0) return;
    const batch = this.window.flatMap((held) => Array.from({ length: this.options.times }, () => held));
    this.window = [];
    this.queue.push(...shuffled(batch));
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency && this.queue.length > 0) {
      const held = this.queue.shift()!;
      this.inFlight++;
      void this.deliver(held).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async deliver(held: Held): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 10;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let status: string;
      try {
        const res = await fetch(`${this.options.target}${held.path}`, {
          method: 'POST',
          headers: held.headers,
          body: held.body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        status = String(res.status);
      } catch {
        status = 'network';
      }
      this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
      if (status.startsWith('2')) {
        this.stats.delivered++;
        if (attempt > 1) this.stats.redelivered++;
        return;
      }
      if (status.startsWith('4')) break;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
    this.stats.failed++;
  }
}
