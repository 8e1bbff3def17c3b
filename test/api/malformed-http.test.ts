/**
 * Requests that used to get a 500, a bare non-JSON answer or no answer at all (found by the
 * hostile-input suite, test/hostile). Each now gets a JSON 4xx naming the problem, and the server
 * still shuts down promptly afterwards.
 */
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createApp } from '../../src/api/app';
import { createApiServer } from '../../src/api/client-error';
import { rawRequest, type RawRequest } from '../hostile/support/raw-http';
import { CONNECT_TOKEN, FakeGateway, LogCapture, OPS_TOKEN, testConfig, zendeskHeaders } from './helpers';

describe('malformed requests get JSON 4xx answers', () => {
  const logs = new LogCapture();
  const gateway = new FakeGateway();
  const server = createApiServer(createApp({ config: testConfig, gateway, logger: logs.logger }));
  let port: number;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  const ops: [string, string] = ['Authorization', `Bearer ${OPS_TOKEN}`];
  const connect = `/webhooks/connect?auth_token=${CONNECT_TOKEN}`;
  const json: [string, string] = ['Content-Type', 'application/json'];
  const cases: Array<[string, RawRequest, number, RegExp]> = [
    ['a path with broken percent-encoding (was 500)', { method: 'GET', target: '/tickets/connect/%E0%A4%A', headers: [ops] }, 400, /malformed percent-encoding/],
    ['the same without credentials (was 500)', { method: 'GET', target: '/tickets/connect/%ZZ' }, 400, /malformed percent-encoding/],
    // Webhook bodies are never inflated (issue 23): refused from the header, the body unread.
    ['a gzip body on the Connect webhook', { method: 'POST', target: connect, headers: [json, ['Content-Encoding', 'gzip']], body: 'not gzip' }, 415, /Content-Encoding/],
    ['a deflate body on the signed Zendesk webhook', { method: 'POST', target: '/webhooks/zendesk', headers: [...Object.entries(zendeskHeaders('x')), ['Content-Encoding', 'deflate']], body: 'x' }, 415, /Content-Encoding/],
    ['a deflate body without a signature', { method: 'POST', target: '/webhooks/zendesk', headers: [['Content-Encoding', 'deflate']], body: 'x' }, 401, /signature_missing/],
    ['a br body that is not brotli, ops route (was 500)', { method: 'POST', target: '/tickets/connect/1/resync', headers: [ops, json, ['Content-Encoding', 'br']], body: 'x' }, 400, /decompressed/],
    ['a gzip bomb', { method: 'POST', target: connect, headers: [json, ['Content-Encoding', 'gzip']], body: gzipSync(Buffer.alloc(5_000_000, ' ')) }, 415, /unsupported_media_type/],
    ['CONNECT (was a dropped connection)', { method: 'CONNECT', target: '127.0.0.1:443' }, 404, /not_found/],
    ['an unknown Expect (was a bare 417)', { method: 'POST', target: connect, headers: [json, ['Expect', 'teapot']], body: '{}' }, 417, /Expect/],
    ['a NUL in a header (was a bare 400)', { method: 'GET', target: '/healthz', headers: [['X-A', Buffer.from('a\u0000b', 'latin1')]] }, 400, /malformed HTTP/],
    ['oversized headers (was a bare 431)', { method: 'GET', target: '/healthz', headers: [['X-A', 'a'.repeat(20_000)]] }, 431, /too large/],
    ['no Host in HTTP/1.1 (was a bare 400)', { method: 'RAW', target: '', rawBytes: Buffer.from('GET /healthz HTTP/1.1\r\n\r\n') }, 400, /Host header/],
    ['a broken chunked body (was a bare 400)', { method: 'POST', target: connect, headers: [json, ['Transfer-Encoding', 'chunked']], body: 'zz\r\nabc\r\n0\r\n\r\n' }, 400, /malformed HTTP/],
  ];

  test.each(cases)('%s', async (_name, request, status, message) => {
    const res = await rawRequest(port, request);
    if (res.kind !== 'response') throw new Error(`no response: ${res.reason}`);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.toString()).toMatch(message);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: expect.any(String) });
  });

  test('a valid request still works, and nothing reached the gateway or the error log', async () => {
    const body = '{"ticket_id":"1"}';
    const res = await rawRequest(port, { method: 'POST', target: '/webhooks/zendesk', headers: Object.entries(zendeskHeaders(body)), body });
    expect(res.kind === 'response' && res.status).toBe(202);
    expect(gateway.sourceCalls).toEqual([]);
    expect(logs.records().filter((r) => r.msg === 'unhandled error')).toEqual([]);
  });

  test('the server closes promptly: no half-open socket is left behind by the answers above', async () => {
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
