import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { Readable } from 'node:stream';
import { HttpClient, nullIfNotFound, parseRetryAfter } from '../../src/adapters/http';
import { onRateLimited } from '../../src/adapters/http/rate-limit-hits';
import { StreamingHttp } from '../../src/adapters/http/streaming';
import { IntegrationError } from '../../src/ports/errors';

/**
 * The shared client against a scripted loopback server: one place where every failure class is
 * pinned down. (The adapter tests repeat the important ones against the simulators.)
 */
describe('HttpClient', () => {
  type Script = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
  let script: Script;
  let server: http.Server;
  let base: string;
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        script(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const SECRET = 'sk-live-SECRET';
  const client = (timeoutMs = 2000) =>
    new HttpClient({ service: 'remote', baseUrl: base, headers: { authorization: SECRET }, timeoutMs, now: () => Date.parse('2030-01-01T00:00:00Z') });
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}): Script => (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const thing = z.object({ id: z.number() });

  async function failure(p: Promise<unknown>): Promise<IntegrationError> {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    return err as IntegrationError;
  }

  it('sends JSON with the configured headers to the templated path, and validates the answer', async () => {
    script = reply(201, { id: 7, extra: 'ignored' });
    const res = await client().request('POST /tickets/{id}/comment', thing, {
      params: { id: 'a b/c' },
      query: { x: '1' },
      body: { message: 'hi' },
      headers: { 'Idempotency-Key': 'k' },
    });
    expect(res).toMatchObject({ status: 201, data: { id: 7 } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v2/tickets/a%20b%2Fc/comment?x=1', body: '{"message":"hi"}' });
    expect(seen[0]?.headers).toMatchObject({ authorization: SECRET, 'idempotency-key': 'k', 'content-type': 'application/json' });
  });

  it('joins an origin-only base URL and the template without doubling slashes', async () => {
    script = reply(200, { id: 1 });
    const origin = base.replace('/api/v2', '');
    for (const baseUrl of [origin, `${origin}/`]) {
      await new HttpClient({ service: 'remote', baseUrl }).request('GET /tickets/{id}', thing, { params: { id: '1' } });
    }
    expect(seen.map((s) => s.url)).toEqual(['/tickets/1', '/tickets/1']);
  });

  it.each([
    [400, 'bad-request', false],
    [401, 'unauthorized', false],
    [403, 'forbidden', false],
    [404, 'not-found', false],
    [405, 'bad-request', false],
    [409, 'conflict', true],
    [422, 'unprocessable', false],
    [408, 'timeout', true],
    [429, 'rate-limited', true],
    [500, 'server-error', true],
    [502, 'server-error', true],
    [503, 'server-error', true],
  ] as const)('classifies HTTP %i as %s (retryable: %s)', async (status, kind, retryable) => {
    script = reply(status, { error: 'RecordInvalid', description: 'Email ana@example.test is invalid' });
    const err = await failure(client().request('GET /tickets/{id}.json', thing, { params: { id: '4242' } }));
    expect(err).toMatchObject({ kind, status, service: 'remote', operation: 'GET /tickets/{id}.json', retryAfterMs: null });
    expect(err.retryable).toBe(retryable);
    expect(err.message).toBe(`remote GET /tickets/{id}.json: HTTP ${status} (remote code RecordInvalid)`);
  });

  it('never echoes bodies, ids, query strings or credentials in errors', async () => {
    script = reply(422, { error: 'Ana García <ana@example.test> is invalid', code: 'has spaces too' });
    const err = await failure(client().request('PUT /tickets/{id}.json', thing, { params: { id: '4242' }, query: { email: 'ana@example.test' } }));
    expect(err.message).toBe('remote PUT /tickets/{id}.json: HTTP 422');
    for (const leak of ['4242', 'ana@', SECRET, '127.0.0.1']) expect(JSON.stringify({ ...err, m: err.message })).not.toContain(leak);
  });

  it('reads Retry-After in seconds and as an HTTP date into retryAfterMs', async () => {
    script = reply(429, {}, { 'retry-after': '12' });
    expect((await failure(client().request('GET /x', thing))).retryAfterMs).toBe(12_000);
    script = reply(503, {}, { 'retry-after': 'Tue, 01 Jan 2030 00:01:30 GMT' });
    const err = await failure(client().request('GET /x', thing));
    expect(err).toMatchObject({ kind: 'server-error', retryAfterMs: 90_000 });
  });

  it('reports every 429 by remote for the metrics (the JSON client and the streaming uploads), and no other failure', async () => {
    const reported: string[] = [];
    const stop = onRateLimited((remote) => reported.push(remote));
    try {
      script = reply(429, {}, { 'retry-after': '1' });
      await failure(client().request('GET /x', thing));
      const uploads = new StreamingHttp({ service: 'uploads' });
      await failure(uploads.upload('POST /uploads', `${base}/uploads`, 'POST', {}, Readable.from([Buffer.from('file')])));
      for (const status of [503, 409, 408]) {
        script = reply(status, {});
        await failure(client().request('GET /x', thing));
      }
      expect(reported).toEqual(['remote', 'uploads']);
    } finally {
      stop();
    }
    // Stopped: no longer told.
    script = reply(429, {});
    await failure(client().request('GET /x', thing));
    expect(reported).toEqual(['remote', 'uploads']);
  });

  it('parses Retry-After defensively', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:00:00 GMT', now)).toBe(0); // in the past
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('treats a 2xx that is not JSON, or not the expected shape, as a retryable invalid-response', async () => {
    script = reply(200, '<html>gateway</html>');
    const notJson = await failure(client().request('GET /x', thing));
    expect(notJson).toMatchObject({ kind: 'invalid-response', status: null });
    expect(notJson.retryable).toBe(true);
    script = reply(200, { id: 'ana@example.test' });
    const wrongShape = await failure(client().request('GET /x', thing));
    expect(wrongShape.kind).toBe('invalid-response');
    expect(wrongShape.message).toBe('remote GET /x: unexpected response shape (id: invalid_type)');
  });

  it('times out (retryable) when headers or the body are too slow', async () => {
    script = (req, res, body) => setTimeout(() => reply(200, { id: 1 })(req, res, body), 400);
    const slowHeaders = await failure(client(100).request('GET /x', thing));
    expect(slowHeaders).toMatchObject({ kind: 'timeout', status: null });
    expect(slowHeaders.retryable).toBe(true);
    script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":');
      setTimeout(() => res.end('1}'), 400);
    };
    expect((await failure(client(100).request('GET /x', thing))).kind).toBe('timeout');
  });

  it('classifies a dropped connection and a refused one as retryable network errors', async () => {
    script = (req) => req.socket.destroy();
    const dropped = await failure(client().request('GET /x', thing));
    expect(dropped).toMatchObject({ kind: 'network', message: 'remote GET /x: connection failed (UND_ERR_SOCKET)' });
    expect(dropped.retryable).toBe(true);

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await failure(new HttpClient({ service: 'remote', baseUrl: `http://127.0.0.1:${port}` }).request('GET /x', thing));
    expect(refused).toMatchObject({ kind: 'network', message: 'remote GET /x: connection failed (ECONNREFUSED)' });
  });

  it('follows a pagination link only under the base URL (the credentials go with it)', async () => {
    script = reply(200, { id: 2 });
    const inside = await client().request('GET /tickets/{id}/comments.json', thing, { url: `${base}/tickets/1/comments.json?page=2` });
    expect(inside.data.id).toBe(2);
    expect(seen[0]?.url).toBe('/api/v2/tickets/1/comments.json?page=2');
    for (const url of ['http://evil.example/api/v2/x', `${base.replace('/api/v2', '')}/other`, 'not a url']) {
      const err = await failure(client().request('GET /tickets/{id}/comments.json', thing, { url }));
      expect(err.kind).toBe('invalid-response');
    }
    expect(seen).toHaveLength(1);
  });

  it.each([301, 302, 303, 307, 308])('never follows a redirect (%i): a non-retryable error, and the key goes nowhere else', async (status) => {
    // Same origin, another path: still not followed (a redirect is never what the API documents).
    script = (req, res) => (req.url === '/api/v2/x' ? reply(status, {}, { location: `${base}/elsewhere` })(req, res, '') : reply(200, { id: 1 })(req, res, ''));
    const err = await failure(client().request('GET /x', thing));
    expect(err).toMatchObject({ kind: 'bad-request', status, retryable: false });
    expect(err.message).toBe(`remote GET /x: HTTP ${status}: the API answered with a redirect, which is not followed (check the configured API URL)`);
    expect(seen.map((r) => r.url)).toEqual(['/api/v2/x']);
  });

  it('turns 404 into null with nullIfNotFound, and nothing else', async () => {
    script = reply(404, {});
    expect(await nullIfNotFound(client().request('GET /x', thing))).toBeNull();
    script = reply(403, {});
    await expect(nullIfNotFound(client().request('GET /x', thing))).rejects.toMatchObject({ kind: 'forbidden' });
  });
});
