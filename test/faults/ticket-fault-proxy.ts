/**
 * A proxy between the worker and the Connect simulator that fails requests of one ticket, not
 * of a route: the simulators' faults match a route (`GET /tickets/:id`), so a 404 incident of
 * minutes injected there would hit every ticket of the suite that reads meanwhile, and a
 * one-shot fault would hit whichever ticket asks first. The edges track needs faults that stay on
 * its own tickets while the other phases run theirs (which still apply: every request goes on
 * to the simulator).
 *
 * Every request is forwarded, so the simulator's request log (`rig.connect.requests`) holds it,
 * with its time and path; a fault then replaces the simulator's answer: an error status (with
 * Connect's error body), or a dropped connection after the write landed. When the simulator
 * itself failed the request (its own faults), a status fault still answers with its status (the
 * incident sits in front), anything else drops the connection as the simulator did.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectErrorBody } from '../../src/simulators/connect/routes';

export interface TicketFaultSpec {
  /** 'GET', 'POST', … */
  method: string;
  /** The path after the API's base URL, exactly: `/tickets/E0001`, `/tickets/E0001/comment`. */
  path: string;
  kind: 'status' | 'drop-after-write';
  /** kind 'status': the status answered (404, 403, …). kind 'drop-after-write' applies only to a write the simulator answered 2xx. */
  status?: number;
  /** The next N matching requests (default: until removed). */
  times?: number;
  /** Called at each hit, after the answer was replaced (e.g. to arm the next fault). */
  onHit?: () => void;
}

export interface TicketFaultHandle {
  readonly spec: TicketFaultSpec;
  readonly hits: number;
  /** Real epoch ms of each hit. */
  readonly hitAt: readonly number[];
  remove(): void;
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class TicketFaultProxy {
  private faults: (TicketFaultHandle & { hits: number; hitAt: number[]; remaining: number })[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private origin = '';

  private constructor(
    private readonly server: http.Server,
    private readonly target: URL,
  ) {}

  static async start(target: string): Promise<TicketFaultProxy> {
    const server = http.createServer();
    const proxy = new TicketFaultProxy(server, new URL(target));
    server.on('request', (req, res) => void proxy.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return proxy;
  }

  get url(): string {
    return this.origin;
  }

  fault(spec: TicketFaultSpec): TicketFaultHandle {
    const handle = {
      spec,
      hits: 0,
      hitAt: [] as number[],
      remaining: spec.times ?? Number.POSITIVE_INFINITY,
      remove: () => {
        this.faults = this.faults.filter((f) => f !== handle);
      },
    };
    this.faults.push(handle);
    return handle;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.origin);
    const upstream = await this.forward(req, url, Buffer.concat(chunks)).catch(() => null);
    // A lost answer needs a write that landed: one the simulator refused or dropped itself is left to it.
    const landed = upstream !== null && upstream.status < 300;
    const fault = this.take(req.method ?? 'GET', url.pathname, landed);
    if (fault?.kind === 'status') {
      const status = fault.status ?? 503;
      const body = JSON.stringify(connectErrorBody(status, url.pathname, new Date()));
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      fault.onHit?.();
      return;
    }
    if (fault?.kind === 'drop-after-write' || upstream === null) {
      req.socket.destroy();
      fault?.onHit?.();
      return;
    }
    const headers = { ...upstream.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    delete headers['keep-alive'];
    res.writeHead(upstream.status, { ...headers, 'content-length': upstream.body.length });
    res.end(upstream.body);
  }

  private take(method: string, path: string, landed: boolean): TicketFaultSpec | null {
    const fault = this.faults.find(
      (f) => f.spec.method === method && f.spec.path === path && f.remaining > 0 && (f.spec.kind !== 'drop-after-write' || landed),
    );
    if (!fault) return null;
    fault.hits++;
    fault.hitAt.push(Date.now());
    fault.remaining--;
    if (fault.remaining <= 0) fault.remove();
    return fault.spec;
  }

  private forward(req: http.IncomingMessage, url: URL, body: Buffer): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: this.target.host };
      delete headers.connection;
      const out = http.request(
        { agent: this.agent, host: this.target.hostname, port: this.target.port, method: req.method, path: `${url.pathname}${url.search}`, headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(parts) }));
          answer.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }
}
