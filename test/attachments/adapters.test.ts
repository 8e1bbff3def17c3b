import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { transferAttachment } from '../../src/activities/attachment-transfer';
import { ConnectAttachments, connectAttachmentName } from '../../src/adapters/connect/attachments';
import { ZendeskAttachments, zendeskAttachmentsOf } from '../../src/adapters/zendesk/attachments';
import { IntegrationError } from '../../src/ports/errors';
import { ZendeskSimulator } from '../../src/simulators/zendesk';

/** The streaming adapters' edges, over real loopback HTTP: stalls, redirects, drops, bad answers. */

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const servers: http.Server[] = [];
async function serve(handler: Handler): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let zendesk: ZendeskSimulator;
let files: ZendeskAttachments;
beforeEach(async () => {
  zendesk = await ZendeskSimulator.start({ apiToken: 'zt' });
  files = new ZendeskAttachments({ baseUrl: zendesk.apiUrl, email: zendesk.bridgeUser.email!, apiToken: 'zt', idleTimeoutMs: 300 });
});
afterEach(async () => {
  await zendesk.stop();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const upload = (bytes: Buffer) => files.upload({ name: 'a.png', contentType: 'image/png', size: bytes.length, body: Readable.from([bytes]) });
const failure = (p: Promise<unknown>) => p.then(() => new Error('resolved'), (e: unknown) => e);

describe('ZendeskAttachments', () => {
  it('uploads and reads back: token, attachment, and a download with size and type from the headers', async () => {
    const bytes = randomBytes(70_000);
    const up = await upload(bytes);
    expect(up).toMatchObject({ id: up.token, size: 70_000, attachment: { name: 'a.png', size: 70_000, contentType: 'image/png' } });
    const d = await files.download(up.attachment.url);
    expect([d.size, d.contentType]).toEqual([70_000, 'image/png']);
    const chunks: Buffer[] = [];
    for await (const c of d.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it('classifies: 429 with Retry-After, a non-JSON 2xx, a 404 download', async () => {
    zendesk.fault({ match: 'POST /uploads.json', kind: 'rate-limit', retryAfter: 7, times: 1 });
    expect(await failure(upload(randomBytes(10)))).toMatchObject({ kind: 'rate-limited', retryable: true, retryAfterMs: 7000, status: 429 });
    zendesk.fault({ match: 'POST /uploads.json', kind: 'malformed', times: 1 });
    expect(await failure(upload(randomBytes(10)))).toMatchObject({ kind: 'invalid-response', retryable: true });
    const gone = `${zendesk.apiUrl.replace('/api/v2', '')}/attachments/token/nope/?name=a.png`;
    expect(await failure(files.download(gone))).toMatchObject({ kind: 'not-found', retryable: false, status: 404 });
  });

  it('a stalled download times out (retryable), and the error names no URL', async () => {
    const up = await upload(randomBytes(1000));
    zendesk.fault({ match: 'GET /attachments/token/:token/', kind: 'latency', delayMs: 700, times: 1 });
    const err = await failure(files.download(up.attachment.url));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, service: 'zendesk', operation: 'GET content_url' });
    expect((err as Error).message).not.toContain('127.0.0.1');
  });

  it('sends its credentials to its own host only: a redirect to storage elsewhere goes without them', async () => {
    const seen: (string | undefined)[] = [];
    const storage = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': '3' }).end('pdf');
    });
    // A Zendesk-like host whose content_url redirects to storage.
    const account = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(302, { location: `${storage}/signed/blob?sig=1` }).end();
    });
    // The storage host is allowed (as `*.zdusercontent.com` is by default).
    const downloads = { extraHosts: [new URL(storage).host] };
    const viaRedirect = new ZendeskAttachments({ baseUrl: `${account}/api/v2`, email: 'e@x', apiToken: 't', downloads });
    const d = await viaRedirect.download(`${account}/attachments/token/t/?name=a.pdf`);
    expect(await new Response(Readable.toWeb(d.stream) as ReadableStream).text()).toBe('pdf');
    expect(seen).toEqual([expect.stringMatching(/^Basic /), undefined]);
    // And a content_url on another host altogether gets none either.
    await viaRedirect.download(`${storage}/direct`);
    expect(seen[2]).toBeUndefined();
  });

  it('reads a comment\'s attachments, skipping entries it cannot use', () => {
    const list = zendeskAttachmentsOf([
      { id: 1, file_name: 'a.png', content_url: 'https://x/a', content_type: 'image/png', size: 3 },
      { id: 2, file_name: 'b.png' },
      'junk',
    ]);
    expect(list).toEqual([{ id: '1', name: 'a.png', url: 'https://x/a', contentType: 'image/png', size: 3 }]);
  });
});

describe('ConnectAttachments', () => {
  it('names a file by its URL; the API key goes to the API host only', async () => {
    expect(connectAttachmentName('https://c.example/files/98/invoice%202024.pdf?signature=x')).toBe('invoice 2024.pdf');
    expect(connectAttachmentName('meter.png')).toBe('meter.png');
    const seen: (string | undefined)[] = [];
    const elsewhere = await serve((req, res) => {
      seen.push(req.headers['clevergy-api-key'] as string | undefined);
      res.writeHead(200, { 'content-type': 'image/png' }).end('x');
    });
    const api = await serve((req, res) => {
      seen.push(req.headers['clevergy-api-key'] as string | undefined);
      res.writeHead(200, { 'content-type': 'image/png' }).end('x');
    });
    const connect = new ConnectAttachments({ baseUrl: api, apiKey: 'secret-key', downloads: { extraHosts: [new URL(elsewhere).host] } });
    for (const url of [`${api}/files/1/a.png`, `${elsewhere}/bucket/a.png`]) (await connect.download(url)).stream.resume();
    expect(seen).toEqual(['secret-key', undefined]);
    expect(await failure(connect.download('file:///etc/passwd'))).toMatchObject({ kind: 'forbidden', reason: 'not-http', retryable: false });
  });
});

describe('uploads', () => {
  it('a signed upload URL that redirects is not followed: the bytes go nowhere else, and it is not retried', async () => {
    const elsewhere: string[] = [];
    const other = await serve((req, res) => {
      elsewhere.push(req.method!);
      res.writeHead(200).end();
    });
    const storage = await serve((_req, res) => res.writeHead(307, { location: `${other}/put` }).end());
    const api = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: `${storage}/signed?sig=1` })));
    const connect = new ConnectAttachments({ baseUrl: api, apiKey: 'k' });
    const err = await failure(connect.upload('1', { name: 'a.png', contentType: 'image/png', size: 3, body: Readable.from([Buffer.from('png')]) }));
    expect(err).toMatchObject({ kind: 'bad-request', status: 307, retryable: false });
    expect(elsewhere).toEqual([]);
  });
});

describe('a download that dies mid-file', () => {
  it('is a retryable network error, and the target keeps nothing', async () => {
    const source = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(4 * 1024 * 1024) });
      res.write(Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(1024 * 1024)]), () => res.destroy());
    });
    const connect = new ConnectAttachments({ baseUrl: source, apiKey: 'k' });
    const err = await failure(transferAttachment({ from: connect, to: files, file: { url: `${source}/files/1/a.png`, name: 'a.png' } }));
    expect(err).toBeInstanceOf(IntegrationError);
    expect(err).toMatchObject({ service: 'connect', kind: 'network', retryable: true });
    expect(zendesk.uploads()).toEqual([]);
    // The upload had started: it was aborted, not finished short.
    expect(zendesk.requests('POST /uploads.json').map((r) => r.status)).toEqual(['dropped']);
  });
});
