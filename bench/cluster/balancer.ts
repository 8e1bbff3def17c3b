/**
 * A round-robin HTTP load balancer in front of the API processes, as production puts one in
 * front of its API replicas: the simulators send every webhook here, and each goes to the next
 * API in turn. A request that fails before any answer (the API refused the connection, or died
 * with the request in flight) goes to the next API, and round again for up to 8 s: every webhook
 * route of the bridge is idempotent (a webhook delivered twice is one notification), so retrying
 * a POST is safe, and it is how a webhook the sender does not retry survives an API crash (see
 * docs/operating.md, "Scaling out"). Any answer, 5xx included, is passed back as it is. It times
 * every webhook from arrival to answer.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Balancer {
  url: string;
  /** Milliseconds from arrival to answer, of every webhook answered 2xx. */
  latencies: number[];
  /** Answers by status, `retried after <code>` per failed try, `refused` when every try failed. */
  statuses: Map<string, number>;
  /** Requests each backend answered, in `backends` order. */
  perBackend: number[];
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

export async function startBalancer(backends: readonly string[]): Promise<Balancer> {
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const perBackend = backends.map(() => 0);
  const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
  let next = 0;

  const server: Server = createServer(async (req, res) => {
    const started = performance.now();
    const body = await readBody(req);
    const first = next++ % backends.length;
    // Every backend failed (all restarting at once): try again for up to 8 s (the sender gives up
    // at 10), as a load balancer holds a request while its pool has no healthy member.
    const deadline = Date.now() + 8_000;
    for (let tried = 0; tried < backends.length || Date.now() < deadline; tried++) {
      if (tried >= backends.length) await new Promise((r) => setTimeout(r, 250));
      const index = (first + tried) % backends.length;
      // No answer (refused: stopped or restarting; reset: killed mid-request; timed out): the next one.
      const answer = await forward(backends[index]!, req, body).catch((err: NodeJS.ErrnoException) => {
        count(`retried after ${err.code ?? 'error'}`);
        return null;
      });
      if (!answer) continue;
      perBackend[index]!++;
      count(String(answer.status));
      if (answer.status >= 200 && answer.status < 300) latencies.push(performance.now() - started);
      res.writeHead(answer.status, { 'content-type': answer.contentType });
      res.end(answer.body);
      return;
    }
    count('refused');
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'no API answered' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    latencies,
    statuses,
    perBackend,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(backend: string, req: IncomingMessage, body: Buffer): Promise<{ status: number; contentType: string; body: Buffer }> {
  const target = new URL(req.url ?? '/', backend);
  const { connection: _connection, 'transfer-encoding': _encoding, ...kept } = req.headers;
  const headers = { ...kept, host: target.host, 'content-length': String(body.length) };
  return new Promise((resolve, reject) => {
    const out = request(target, { method: req.method, headers, timeout: 9_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, contentType: String(res.headers['content-type'] ?? 'application/json'), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    out.on('timeout', () => out.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    out.on('error', reject);
    out.end(body);
  });
}
