/**
 * The connection to a remote Temporal server: TEMPORAL_TLS*, TEMPORAL_API_KEY (src/config/temporal-connection.ts) and
 * the options made of them (src/runtime/temporal-connection.ts), down to a real TLS handshake
 * with a throwaway CA on loopback. Certificates come from `openssl`, made once per run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { toNativeClientOptions } from '@temporalio/worker/lib/connection-options';
import { loadConfig } from '../../src/config';
import { redactedConfig } from '../../src/config/redacted-config';
import { loadTemporalConnection, TEMPORAL_CONNECTION_VARIABLES } from '../../src/config/temporal-connection';
import { temporalConnectionOptions } from '../../src/runtime/temporal-connection';
import { configError } from '../support/config-error';

const API_KEY = 'tmprl-api-key-0123456789abcdef';
const REMOTE = { TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'acme.a1b2c' };

let dir: string;
/** A CA, a server certificate it signed (temporal.test, 127.0.0.1) and a client one (mTLS). */
const pki = { caCert: '', serverCert: '', serverKey: '', clientCert: '', clientKey: '' };

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** Signed by the CA, so that both TLS stacks (Node's and the worker's rustls) accept it as a leaf. */
function issue(name: string, subject: string, extensions: string): void {
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=ticket-bridge test CA');
  issue('server', '/CN=temporal.test', 'subjectAltName=DNS:temporal.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', '/CN=ticket-bridge-worker', 'extendedKeyUsage=clientAuth\n');
  Object.assign(pki, {
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Temporal connection settings', () => {
  it('default to plaintext without a key, also towards a remote server', () => {
    expect(loadConfig({}).temporal).toMatchObject({ address: null, tls: null, apiKey: null });
    const { temporal } = loadConfig(REMOTE);
    expect(temporal).toMatchObject({ tls: null, apiKey: null });
    expect(temporalConnectionOptions(temporal)).toEqual({ address: REMOTE.TEMPORAL_ADDRESS, tls: false });
  });

  it('treat empty variables as unset (compose passes ${VAR:-})', () => {
    const empty = Object.fromEntries(TEMPORAL_CONNECTION_VARIABLES.map((v) => [v, '']));
    expect(loadConfig(empty).temporal).toMatchObject({ tls: null, apiKey: null });
    expect(loadConfig({ ...REMOTE, ...empty }).temporal).toMatchObject({ tls: null, apiKey: null });
  });

  it('TEMPORAL_TLS=true alone: TLS with the system roots', () => {
    expect(loadConfig({ ...REMOTE, TEMPORAL_TLS: 'true' }).temporal.tls).toEqual({});
    expect(loadConfig({ ...REMOTE, TEMPORAL_TLS: 'false' }).temporal.tls).toBeNull();
  });

  it('reads the mTLS pair, the CA and the server name at load time', () => {
    const { temporal } = loadConfig({
      ...REMOTE,
      TEMPORAL_TLS_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_CA_PATH: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    });
    expect(temporal.tls).toEqual({
      clientCertPair: { crt: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) },
      serverRootCACertificate: readFileSync(pki.caCert),
      serverNameOverride: 'temporal.test',
    });
    expect(temporal.apiKey).toBeNull();
  });

  it('wants the certificate and the key together, naming the missing one', () => {
    expect(configError({ ...REMOTE, TEMPORAL_TLS_CERT_PATH: pki.clientCert }).issues).toEqual([
      { variable: 'TEMPORAL_TLS_KEY_PATH', message: 'is required when TEMPORAL_TLS_CERT_PATH is set' },
    ]);
    expect(configError({ ...REMOTE, TEMPORAL_TLS_KEY_PATH: pki.clientKey }).issues).toEqual([
      { variable: 'TEMPORAL_TLS_CERT_PATH', message: 'is required when TEMPORAL_TLS_KEY_PATH is set' },
    ]);
  });

  it('names a file it cannot read (missing, a directory, not PEM) without the path or the contents', () => {
    const notPem = join(dir, 'key.der');
    writeFileSync(notPem, Buffer.from('30820122300d06092a864886f70d01010105000382010f00', 'hex'));
    const aDirectory = join(dir, 'certs');
    mkdirSync(aDirectory, { recursive: true });
    const missing = join(dir, 'missing', 'ca.pem');
    const err = configError({
      ...REMOTE,
      TEMPORAL_TLS_CERT_PATH: aDirectory,
      TEMPORAL_TLS_KEY_PATH: notPem,
      TEMPORAL_TLS_CA_PATH: missing,
    });
    expect(err.issues).toEqual([
      { variable: 'TEMPORAL_TLS_CERT_PATH', message: 'must be the path of a readable file (EISDIR)' },
      { variable: 'TEMPORAL_TLS_KEY_PATH', message: 'must be a PEM file (-----BEGIN …)' },
      { variable: 'TEMPORAL_TLS_CA_PATH', message: 'must be the path of a readable file (ENOENT)' },
    ]);
    expect(err.message).not.toContain(dir);
    expect(JSON.stringify(err.issues)).not.toContain(dir);
  });

  it('an API key implies TLS (Temporal Cloud takes keys over TLS only)', () => {
    const { temporal } = loadConfig({ ...REMOTE, TEMPORAL_API_KEY: API_KEY });
    expect(temporal.tls).toEqual({});
    expect(temporal.apiKey).toBe(API_KEY);
    expect(temporalConnectionOptions(temporal)).toEqual({ address: REMOTE.TEMPORAL_ADDRESS, tls: {}, apiKey: API_KEY });
  });

  it('refuses TEMPORAL_TLS=false together with what needs TLS', () => {
    expect(configError({ ...REMOTE, TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_CA_PATH: pki.caCert }).issues).toEqual([
      { variable: 'TEMPORAL_TLS', message: 'is false but TEMPORAL_TLS_CA_PATH, TEMPORAL_API_KEY need TLS; unset one or the other' },
    ]);
  });

  it('refuses each of them without TEMPORAL_ADDRESS: they only apply to a remote server', () => {
    const env = {
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_CA_PATH: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_API_KEY: API_KEY,
    };
    const err = configError(env);
    expect(err.issues).toEqual(
      TEMPORAL_CONNECTION_VARIABLES.map((variable) => ({ variable, message: 'only applies to a remote server: set TEMPORAL_ADDRESS too, or unset it' })),
    );
    expect(err.message).not.toContain(API_KEY);
  });

  it('never shows the API key or the key file, in errors or in the printed configuration', () => {
    const env = {
      ...REMOTE,
      TEMPORAL_TLS_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_CA_PATH: pki.caCert,
      TEMPORAL_API_KEY: API_KEY,
    };
    const config = loadConfig(env);
    const keyPem = readFileSync(pki.clientKey, 'utf8');
    const keyBody = keyPem.split('\n')[1]!;
    const renderings = [
      JSON.stringify(config),
      JSON.stringify(config.temporal),
      JSON.stringify(config.temporal.tls),
      JSON.stringify(redactedConfig(config)),
      inspect(config, { depth: 10 }),
      inspect(config.temporal, { depth: 10 }),
      inspect(config.temporal.tls, { depth: 10 }),
      inspect(config.temporal.tls?.clientCertPair, { depth: 10 }),
      configError({ ...env, PORT: 'eighty' }).message,
    ];
    for (const text of renderings) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(keyBody);
      // A Buffer would print its bytes: `<Buffer 2d 2d …>` or `{"type":"Buffer","data":[…]}`.
      expect(text).not.toMatch(/<Buffer|"type":"Buffer"/);
    }
    expect(redactedConfig(config).temporal).toEqual({
      address: REMOTE.TEMPORAL_ADDRESS,
      namespace: REMOTE.TEMPORAL_NAMESPACE,
      taskQueue: 'ticket-bridge',
      devServerPort: 7233,
      tls: {
        clientCertPair: { crt: `[${readFileSync(pki.clientCert).length} bytes]`, key: '[redacted]' },
        serverRootCACertificate: `[${readFileSync(pki.caCert).length} bytes]`,
      },
      apiKey: '[redacted]',
    });
    // The data itself is intact: the connection needs it.
    expect(config.temporal.tls?.clientCertPair?.key.toString('utf8')).toBe(keyPem);
  });

  it('the CLI (--temporal) reads the same variables, no TEMPORAL_ADDRESS needed', () => {
    expect(loadTemporalConnection({ TEMPORAL_API_KEY: API_KEY })).toEqual({ tls: {}, apiKey: API_KEY });
    expect(loadTemporalConnection({})).toEqual({ tls: null, apiKey: null });
    expect(() => loadTemporalConnection({ TEMPORAL_TLS_CERT_PATH: pki.clientCert })).toThrow(/TEMPORAL_TLS_KEY_PATH: is required when TEMPORAL_TLS_CERT_PATH is set/);
    expect(JSON.stringify(loadTemporalConnection({ TEMPORAL_API_KEY: API_KEY }))).not.toContain(API_KEY);
  });
});

describe('temporalConnectionOptions', () => {
  const mtls = () =>
    loadConfig({
      ...REMOTE,
      TEMPORAL_TLS_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_CA_PATH: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_API_KEY: API_KEY,
    }).temporal;

  it('is what NativeConnection (the worker) turns into its Rust client options', () => {
    const native = toNativeClientOptions(temporalConnectionOptions(mtls()));
    expect(native).toMatchObject({
      targetUrl: `https://${REMOTE.TEMPORAL_ADDRESS}`,
      apiKey: API_KEY,
      tls: {
        domain: 'temporal.test',
        serverRootCaCert: readFileSync(pki.caCert),
        clientTlsOptions: { clientCert: readFileSync(pki.clientCert), clientPrivateKey: readFileSync(pki.clientKey) },
      },
    });
    expect(toNativeClientOptions(temporalConnectionOptions(loadConfig(REMOTE).temporal))).toMatchObject({
      targetUrl: `http://${REMOTE.TEMPORAL_ADDRESS}`,
      tls: null,
      apiKey: null,
    });
  });

  it('is accepted by Connection.lazy (the API): TLS credentials, the server name', async () => {
    const connection = Connection.lazy(temporalConnectionOptions(mtls()));
    try {
      expect(connection.options.address).toBe(REMOTE.TEMPORAL_ADDRESS);
      expect(connection.options.credentials._isSecure()).toBe(true);
      expect(connection.options.channelArgs).toMatchObject({ 'grpc.ssl_target_name_override': 'temporal.test' });
    } finally {
      await connection.close();
    }
  });

  it('leaves the address to the runner without TEMPORAL_ADDRESS (npm start: its own plaintext server)', () => {
    expect(temporalConnectionOptions(loadConfig({}).temporal)).toEqual({ tls: false });
    expect({ ...temporalConnectionOptions(loadConfig({}).temporal), address: '127.0.0.1:7233' }).toEqual({ address: '127.0.0.1:7233', tls: false });
  });
});

describe('a TLS connection with the configured CA, server name, client certificate and API key', () => {
  /** What a fake frontend on loopback saw of each call: it completes TLS, reads the headers, answers UNIMPLEMENTED. */
  interface Seen {
    path: string;
    servername: string | false | null;
    clientCert: string | undefined;
    authorization: string | undefined;
    namespaceHeader: string | undefined;
  }
  let server: Http2SecureServer;
  let address: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createSecureServer({
      cert: readFileSync(pki.serverCert),
      key: readFileSync(pki.serverKey),
      requestCert: true,
      rejectUnauthorized: false,
    });
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      const socket = stream.session?.socket as TLSSocket;
      seen.push({
        path: String(headers[':path']),
        servername: socket.servername,
        clientCert: socket.getPeerCertificate().subject?.CN as string | undefined,
        authorization: headers.authorization,
        namespaceHeader: headers['temporal-namespace'] as string | undefined,
      });
      // A trailers-only gRPC answer; the SDKs take UNIMPLEMENTED from GetSystemInfo for an old server.
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'not Temporal' }, { endStream: true });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => void (seen.length = 0));

  const remote = () =>
    loadConfig({
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'acme.a1b2c',
      TEMPORAL_TLS_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_CA_PATH: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_API_KEY: API_KEY,
    }).temporal;
  const expected: Seen = {
    path: '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo',
    servername: 'temporal.test',
    clientCert: 'ticket-bridge-worker',
    authorization: `Bearer ${API_KEY}`,
    // Temporal Cloud refuses GetSystemInfo with this header (see src/runtime/temporal-connection.ts).
    namespaceHeader: undefined,
  };

  it('Connection.connect (the API, the CLI): verified server, client certificate, bearer key', async () => {
    const connection = await Connection.connect({ ...temporalConnectionOptions(remote()), connectTimeout: 5_000 });
    await connection.close();
    expect(seen).toEqual([expected]);
  });

  it('NativeConnection.connect (the worker, rustls): the same', async () => {
    // Core does not take UNIMPLEMENTED for an old server: the call went through, then it gives up.
    await expect(NativeConnection.connect(temporalConnectionOptions(remote()))).rejects.toThrow(/GetSystemInfo.*not Temporal/);
    expect(seen).toEqual([expected]);
  });

  it('no handshake without the CA: the server is not trusted', async () => {
    const { tls, ...rest } = remote();
    const untrusted = { ...rest, tls: { ...tls, serverRootCACertificate: undefined } };
    await expect(Connection.connect({ ...temporalConnectionOptions(untrusted), connectTimeout: 500 })).rejects.toThrow();
    expect(seen).toEqual([]);
  });
});
