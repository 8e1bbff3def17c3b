/**
 * Hostile attachment URLs (issue 23, item 1): whatever a comment's URL says, the bridge fetches
 * only from allow-listed hosts, never reaches an internal address (in any notation, directly, by
 * DNS or through redirects), never carries its API key past the first hop, never goes from https
 * to http, and cuts a file that trickles. Real HTTP servers on loopback play the sides:
 * - "connect.test" (the API, 127.0.0.1) and "files.test" (its storage, 127.0.0.1) are the
 *   legitimate hosts; the policy allows exactly the address 127.0.0.1 for them;
 * - the "internal" service listens on 127.0.0.2, a loopback address the policy does not allow:
 *   every test asserts it was never reached.
 * Names resolve through a scripted resolver, so DNS answers (and DNS rebinding) are the test's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectAttachments } from '../../src/adapters/connect/attachments';
import { internalRange, parseCidr } from '../../src/adapters/http/ip-ranges';
import { OutboundGuard, PolicyRefusal, type Resolver } from '../../src/adapters/http/outbound-policy';
import { WhitelabelAttachments } from '../../src/adapters/whitelabel/attachments';
import { ZendeskAttachments } from '../../src/adapters/zendesk/attachments';
import { OutboundRefusedError } from '../../src/ports/attachments';
import { IntegrationError } from '../../src/ports/errors';

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 7)]);
const KEY = 'connect-api-key-SECRET';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
interface Server {
  port: number;
  /** Requests seen, with the API key header each carried. */
  hits: { path: string; key: string | undefined; authorization: string | undefined }[];
  handler: Handler;
  close(): Promise<void>;
}

const servers: Server[] = [];
async function serve(host: string, handler: Handler, tls?: { key: Buffer; cert: Buffer }): Promise<Server> {
  const server: Server = { port: 0, hits: [], handler, close: async () => {} };
  const listener: http.RequestListener = (req, res) => {
    server.hits.push({ path: req.url ?? '', key: req.headers['clevergy-api-key'] as string | undefined, authorization: req.headers.authorization });
    server.handler(req, res);
  };
  const raw = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => raw.listen(0, host, resolve));
  server.port = (raw.address() as AddressInfo).port;
  server.close = async () => {
    raw.closeAllConnections();
    await new Promise((resolve) => raw.close(resolve));
  };
  servers.push(server);
  return server;
}

const png: Handler = (_req, res) => res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(PNG.length) }).end(PNG);
const redirectTo = (location: string, status = 302): Handler => (_req, res) => res.writeHead(status, { location }).end();

/** The scripted DNS: a name → its addresses (a function: a different answer each time). */
const dns: Record<string, string[] | (() => string[])> = {};
const resolve: Resolver = (hostname, _options, callback) => {
  const entry = dns[hostname];
  setImmediate(() => {
    if (!entry) return callback(Object.assign(new Error(`no such name`), { code: 'ENOTFOUND' }), []);
    const addresses = typeof entry === 'function' ? entry() : entry;
    callback(null, addresses.map((address) => ({ address, family: isIP(address) })));
  });
};

let api: Server;
let storage: Server;
let internal: Server;
let connect: ConnectAttachments;
const apiUrl = () => `http://connect.test:${api.port}`;
const filesUrl = () => `http://files.test:${storage.port}`;

beforeEach(async () => {
  api = await serve('127.0.0.1', png);
  storage = await serve('127.0.0.1', png);
  internal = await serve('127.0.0.2', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('internal secrets'));
  Object.assign(dns, {
    'connect.test': ['127.0.0.1'],
    'files.test': ['127.0.0.1'],
    'internal.test': ['127.0.0.2'],
    'metadata.test': ['169.254.169.254'],
  });
  connect = connectWith({ extraHosts: [`files.test:${storage.port}`, `internal.test:${internal.port}`, 'metadata.test'] });
});
afterEach(async () => {
  expect(internal.hits).toEqual([]);
  for (const s of servers.splice(0)) await s.close();
  for (const name of Object.keys(dns)) delete dns[name];
});

function connectWith(downloads: { extraHosts?: string[]; allowedAddresses?: string[]; ca?: Buffer }, fileTimeoutMs?: number, idleTimeoutMs?: number) {
  return new ConnectAttachments({
    baseUrl: apiUrl(),
    apiKey: KEY,
    downloads: { allowedAddresses: ['127.0.0.1'], resolve, ...downloads },
    ...(fileTimeoutMs && { fileTimeoutMs }),
    ...(idleTimeoutMs && { idleTimeoutMs }),
  });
}

async function refusal(p: Promise<unknown>): Promise<OutboundRefusedError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundRefusedError);
  expect((err as IntegrationError).retryable).toBe(false);
  return err as OutboundRefusedError;
}

async function body(download: { stream: NodeJS.ReadableStream }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of download.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('hosts and addresses', () => {
  it('fetches from the API host and the allow-listed storage host', async () => {
    expect((await body(await connect.download(`${apiUrl()}/files/1/a.png`))).equals(PNG)).toBe(true);
    expect((await body(await connect.download(`${filesUrl()}/bucket/a.png?sig=1`))).equals(PNG)).toBe(true);
    expect([api.hits.length, storage.hits.length]).toEqual([1, 1]);
  });

  it('refuses a host that is not on the list, whatever it resolves to, before any connection', async () => {
    dns['elsewhere.test'] = ['127.0.0.1'];
    for (const url of [`http://elsewhere.test:${storage.port}/a.png`, `http://files.test:${api.port}/a.png`, `http://files.test/a.png`, 'https://evil.example/a.png']) {
      expect(await refusal(connect.download(url))).toMatchObject({ reason: 'host-not-allowed' });
    }
    expect([api.hits.length, storage.hits.length]).toEqual([0, 0]);
  });

  it('refuses the internal service in every notation of its address', async () => {
    const port = internal.port;
    const notations = [
      `http://127.0.0.2:${port}/`,
      `http://2130706434:${port}/`, // decimal
      `http://0x7f000002:${port}/`, // hex
      `http://0x7f.0.0.2:${port}/`,
      `http://0177.0.0.2:${port}/`, // octal
      `http://017700000002:${port}/`,
      `http://127.2:${port}/`, // short form
      `http://127.0.0.2.:${port}/`, // trailing dot
      `http://%31%32%37.0.0.2:${port}/`, // percent-encoded
      `http://[::ffff:127.0.0.2]:${port}/`, // IPv4-mapped IPv6
      `http://[::ffff:7f00:2]:${port}/`,
      `http://[0:0:0:0:0:ffff:7f00:2]:${port}/`,
      `http://[::127.0.0.2]:${port}/`, // IPv4-compatible
      `http://localhost:${port}/`,
      `http://169.254.169.254/latest/meta-data/`,
      `http://[fd00:ec2::254]/latest/meta-data/`,
      `http://0/`,
      `http://[::]:${port}/`,
      `http://[::1]:${port}/`,
    ];
    for (const url of notations) {
      expect(await refusal(connect.download(url))).toMatchObject({ reason: 'host-not-allowed' });
    }
  });

  it('refuses a literal internal address even when an operator put it on the host list (WHATWG parsing normalises the notation first)', async () => {
    const port = internal.port;
    const guard = new OutboundGuard({
      hosts: [`127.0.0.2:${port}`, `[::ffff:7f00:2]:${port}`, `[::7f00:2]:${port}`, '169.254.169.254', '[fe80::1]', '0.0.0.0', '100.100.100.200', '[64:ff9b::a9fe:a9fe]', '[2002:7f00:2::]'],
      allowedAddresses: [],
    });
    const urls = [
      `http://2130706434:${port}/`,
      `http://0x7f.0.0.2:${port}/`,
      `http://0177.0.0.2:${port}/`,
      `http://127.2:${port}/`,
      `http://[::ffff:127.0.0.2]:${port}/`,
      `http://[::127.0.0.2]:${port}/`,
      'http://169.254.169.254/',
      'http://0xa9fea9fe/',
      'http://[fe80::1]/',
      'http://0/',
      'http://100.100.100.200/',
      'http://[64:ff9b::169.254.169.254]/',
      'http://[2002:7f00:2::]/',
    ];
    for (const url of urls) {
      let thrown: unknown = null;
      try {
        guard.check(new URL(url));
      } catch (err) {
        thrown = err;
      }
      expect([url, thrown]).toEqual([url, expect.any(PolicyRefusal)]);
      expect((thrown as PolicyRefusal).reason).toBe('address-not-allowed');
    }
  });

  it('checks what a name resolves to at connection time: internal answers, mixed answers and rebinding are refused', async () => {
    expect(await refusal(connect.download(`http://internal.test:${internal.port}/`))).toMatchObject({ reason: 'address-not-allowed', range: 'loopback' });
    expect(await refusal(connect.download('http://metadata.test/latest/meta-data/'))).toMatchObject({ reason: 'address-not-allowed', range: 'link-local' });
    // One public and one internal address: the answer is refused whole.
    dns['files.test'] = ['93.184.216.34', '127.0.0.2'];
    expect(await refusal(connect.download(`${filesUrl()}/a.png`))).toMatchObject({ reason: 'address-not-allowed' });
    // Rebinding: the first connection gets the allowed address, the redirect's connection (same
    // name) an internal one. Each connection is looked up and checked anew.
    let answers = 0;
    dns['files.test'] = () => (answers++ === 0 ? ['127.0.0.1'] : ['127.0.0.2']);
    storage.handler = redirectTo(`${filesUrl()}/again.png`);
    expect(await refusal(connect.download(`${filesUrl()}/a.png`))).toMatchObject({ reason: 'address-not-allowed', range: 'loopback' });
    expect(storage.hits).toHaveLength(1);
  });

  it('judges an address by the IPv4 inside its IPv6 forms, and lets public addresses through', () => {
    const internalOnes: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::127.0.0.1', 'loopback'],
      ['64:ff9b::7f00:1', 'loopback'],
      ['2002:7f00:1::', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.0.1', 'private'],
      ['::ffff:192.168.0.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['fd00:ec2::254', 'unique-local'],
      ['fc00::1', 'unique-local'],
      ['100.64.0.1', 'cgnat'],
      ['100.100.100.200', 'cgnat'],
      ['168.63.129.16', 'metadata'],
      ['0.0.0.0', 'this-network'],
      ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['not an address', 'unparsable'],
    ];
    for (const [address, range] of internalOnes) expect([address, internalRange(address)]).toEqual([address, range]);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '172.32.0.1', '100.128.0.1']) expect([address, internalRange(address)]).toEqual([address, null]);
    expect(parseCidr('10.0.0.0/8')).toEqual({ network: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('::1')).toEqual({ network: '::1', prefix: 128, family: 'ipv6' });
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('nope/8')).toBeNull();
  });
});

describe('redirects and credentials', () => {
  it('sends the API key on the first hop to the API only: never after a redirect, even back to the API', async () => {
    (await connect.download(`${apiUrl()}/files/1/a.png`)).stream.resume();
    expect(api.hits.at(-1)!.key).toBe(KEY);

    // The attacker's allowed-looking storage URL bounces to the API's own origin.
    storage.handler = redirectTo(`${apiUrl()}/tickets/T-1`);
    await body(await connect.download(`${filesUrl()}/x`));
    expect(api.hits.at(-1)).toEqual({ path: '/tickets/T-1', key: undefined, authorization: undefined });

    // The API itself redirecting to its own other path: the key stays on the first hop.
    api.handler = (req, res) => (req.url === '/files/2/b.png' ? redirectTo(`${apiUrl()}/files/3/c.png`)(req, res) : png(req, res));
    await body(await connect.download(`${apiUrl()}/files/2/b.png`));
    expect(api.hits.slice(-2).map((h) => h.key)).toEqual([KEY, undefined]);
    expect(storage.hits.every((h) => h.key === undefined)).toBe(true);
  });

  it('refuses a redirect to an internal host, a listed host resolving internally, or the metadata service', async () => {
    for (const location of [`http://127.0.0.2:${internal.port}/`, `http://internal.test:${internal.port}/`, 'http://169.254.169.254/latest/meta-data/', 'http://metadata.test/', `http://2130706434:${internal.port}/`, 'file:///etc/passwd']) {
      storage.handler = redirectTo(location, 307);
      const err = await refusal(connect.download(`${filesUrl()}/a.png`));
      expect(['host-not-allowed', 'address-not-allowed', 'not-http']).toContain(err.reason);
    }
  });

  it('follows at most 5 redirects', async () => {
    storage.handler = (req, res) => redirectTo(`${filesUrl()}/hop${Number(/\d+/.exec(req.url ?? '')?.[0] ?? 0) + 1}`)(req, res);
    expect(await refusal(connect.download(`${filesUrl()}/hop0`))).toMatchObject({ reason: 'too-many-redirects' });
    expect(storage.hits).toHaveLength(6);
  });

  it('the white-label bearer key and the Zendesk credentials follow the same rule', async () => {
    const whitelabel = new WhitelabelAttachments({ baseUrl: `${apiUrl()}/v1`, apiKey: 'wl-key', downloads: { allowedAddresses: ['127.0.0.1'], resolve, extraHosts: [`files.test:${storage.port}`] } });
    storage.handler = redirectTo(`${apiUrl()}/v1/tickets`);
    await body(await whitelabel.download(`${filesUrl()}/asset.png`));
    await body(await whitelabel.download(`${apiUrl()}/v1/assets/a.png`));
    expect(api.hits.map((h) => h.authorization)).toEqual([undefined, 'Bearer wl-key']);

    const zendesk = new ZendeskAttachments({ baseUrl: `${apiUrl()}/api/v2`, email: 'e@x.test', apiToken: 't', downloads: { allowedAddresses: ['127.0.0.1'], resolve } });
    // Off the account's /attachments/ paths, even on its own host: no credentials.
    await body(await zendesk.download(`${apiUrl()}/api/v2/users/me.json`));
    api.handler = (req, res) => (req.url!.startsWith('/attachments/') ? redirectTo(`${apiUrl()}/api/v2/tickets.json`)(req, res) : png(req, res));
    await body(await zendesk.download(`${apiUrl()}/attachments/token/abc/?name=a.png`));
    expect(api.hits.slice(2).map((h) => [h.path, h.authorization?.slice(0, 6)])).toEqual([
      ['/api/v2/users/me.json', undefined],
      ['/attachments/token/abc/?name=a.png', 'Basic '],
      ['/api/v2/tickets.json', undefined],
    ]);
  });

  it('never goes from https to http', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbound-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=secure.test', '-addext', 'subjectAltName=DNS:secure.test'], { cwd: dir, stdio: 'pipe' });
      const tls = { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
      const secure = await serve('127.0.0.1', png, tls);
      dns['secure.test'] = ['127.0.0.1'];
      const client = connectWith({ extraHosts: [`secure.test:${secure.port}`, `files.test:${storage.port}`], ca: tls.cert });
      const secureUrl = `https://secure.test:${secure.port}`;
      expect((await body(await client.download(`${secureUrl}/a.png`))).equals(PNG)).toBe(true);
      secure.handler = redirectTo(`${filesUrl()}/a.png`);
      expect(await refusal(client.download(`${secureUrl}/a.png`))).toMatchObject({ reason: 'https-to-http' });
      expect(storage.hits).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a body that trickles', () => {
  it('is cut by the per-file limit although every byte comes before the idle timeout, and is not retried', async () => {
    let sent = 0;
    let closedEarly = false;
    storage.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '1000' });
      res.write(PNG.subarray(0, 8));
      const timer = setInterval(() => {
        sent++;
        res.write('x');
      }, 50);
      res.on('close', () => {
        clearInterval(timer);
        closedEarly = sent < 992;
      });
    };
    // Idle timeout far above the gap between bytes: only the file's own limit can end this.
    const slow = connectWith({ extraHosts: [`files.test:${storage.port}`] }, 600, 30_000);
    const download = await slow.download(`${filesUrl()}/a.png`);
    const err = await body(download).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect(err).toMatchObject({ reason: 'too-slow', retryable: false, kind: 'forbidden' });
    await new Promise((r) => setImmediate(r));
    expect(closedEarly).toBe(true);
    expect(sent).toBeGreaterThan(0);
  });

  it('a server that never answers is a retryable stall (the idle clock), not a policy refusal', async () => {
    storage.handler = () => {};
    const stalled = connectWith({ extraHosts: [`files.test:${storage.port}`] }, 60_000, 300);
    const err = await stalled.download(`${filesUrl()}/a.png`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IntegrationError);
    expect(err).not.toBeInstanceOf(OutboundRefusedError);
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
  });
});
