/**
 * How to reach a remote Temporal server beyond its address: TLS and the API key (Temporal
 * Cloud). Shared by the bridge (./temporal.ts) and the CLI's `--temporal HOST:PORT`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EnvReader, type Env } from './env-reader';
import { ConfigError } from './errors';
import { hide, REDACTED } from './redact';
import { boolean } from './values';

/**
 * TLS towards a remote Temporal frontend, in the SDK's own `TLSConfig` shape (see
 * src/runtime/temporal-connection.ts). The files are read at start-up, so a wrong path stops the
 * process with the variable's name instead of failing every connection attempt later.
 */
export interface TemporalTlsConfig {
  /** `TEMPORAL_TLS_CERT_PATH` + `TEMPORAL_TLS_KEY_PATH`: the client certificate (mTLS). */
  clientCertPair?: { crt: Buffer; key: Buffer };
  /** `TEMPORAL_TLS_CA_PATH`: the CA of a private PKI; absent: the system's roots. */
  serverRootCACertificate?: Buffer;
  /** `TEMPORAL_TLS_SERVER_NAME`: the name the server's certificate is checked against (and SNI). */
  serverNameOverride?: string;
}

export interface TemporalConnection {
  /** null: plaintext (a server on a private network, or the local one). */
  tls: TemporalTlsConfig | null;
  /** `TEMPORAL_API_KEY` (Temporal Cloud): sent as `Authorization: Bearer`; never logged. */
  apiKey: string | null;
}

/** The variables of the connection to a remote Temporal server, in documented order. */
export const TEMPORAL_CONNECTION_VARIABLES = [
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CERT_PATH',
  'TEMPORAL_TLS_KEY_PATH',
  'TEMPORAL_TLS_CA_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_API_KEY',
] as const;

/**
 * A PEM file (certificate or key), read now. The message names the failure (ENOENT, EACCES…)
 * but neither the path nor the contents: a key file is a secret, and its path says where to find it.
 */
const pemFile = z.string().transform((path, ctx) => {
  let contents: Buffer;
  try {
    contents = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    ctx.addIssue({ code: 'custom', message: `must be the path of a readable file (${code})` });
    return z.NEVER;
  }
  // Both the gRPC client and the worker's Rust core take PEM only; say so now rather than at connect.
  if (!contents.includes('-----BEGIN ')) {
    ctx.addIssue({ code: 'custom', message: 'must be a PEM file (-----BEGIN …)' });
    return z.NEVER;
  }
  return contents;
});

const hostName = z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, { error: 'must be a host name' });

/** Sent as an HTTP/2 header value, so one token of printable characters. */
const apiKeyToken = z.string().regex(/^[\x21-\x7e]+$/, { error: 'must be one token without spaces or control characters' });

/**
 * TLS and the API key. They only make sense towards a remote server: without one (`remote`
 * false) the runner starts a local server that speaks plaintext, so a variable set anyway is a
 * mistake worth reporting (a forgotten `TEMPORAL_ADDRESS` would otherwise go unnoticed).
 */
export function readTemporalConnection(r: EnvReader, remote: boolean): TemporalConnection {
  if (!remote) {
    for (const variable of TEMPORAL_CONNECTION_VARIABLES) {
      if (r.isSet(variable)) r.issues.push({ variable, message: 'only applies to a remote server: set TEMPORAL_ADDRESS too, or unset it' });
    }
    return { tls: null, apiKey: null };
  }
  // Any TLS setting turns TLS on, and so does an API key: Temporal Cloud takes keys over TLS only,
  // and a bearer token must not cross the network in clear anyway.
  const implying = TEMPORAL_CONNECTION_VARIABLES.filter((v) => v !== 'TEMPORAL_TLS' && r.isSet(v));
  const tlsFlag = r.optional('TEMPORAL_TLS', boolean);
  if (tlsFlag === false && implying.length > 0) {
    r.issues.push({ variable: 'TEMPORAL_TLS', message: `is false but ${implying.join(', ')} ${implying.length > 1 ? 'need' : 'needs'} TLS; unset one or the other` });
  }
  const certSet = r.isSet('TEMPORAL_TLS_CERT_PATH');
  const keySet = r.isSet('TEMPORAL_TLS_KEY_PATH');
  const crt = r.requiredIf(keySet, 'TEMPORAL_TLS_CERT_PATH', pemFile, 'when TEMPORAL_TLS_KEY_PATH is set');
  const key = r.requiredIf(certSet, 'TEMPORAL_TLS_KEY_PATH', pemFile, 'when TEMPORAL_TLS_CERT_PATH is set');
  const ca = r.optional('TEMPORAL_TLS_CA_PATH', pemFile);
  const serverName = r.optional('TEMPORAL_TLS_SERVER_NAME', hostName);
  const apiKey = r.optional('TEMPORAL_API_KEY', apiKeyToken);
  const tls: TemporalTlsConfig | null =
    tlsFlag === true || implying.length > 0
      ? {
          ...(crt && key && { clientCertPair: { crt, key } }),
          ...(ca && { serverRootCACertificate: ca }),
          ...(serverName && { serverNameOverride: serverName }),
        }
      : null;
  return { tls, apiKey: apiKey ?? null };
}

/**
 * The connection settings alone, for the CLI's `--temporal HOST:PORT` (the address comes from
 * the command line, the rest from the same variables as the bridge's). Throws a `ConfigError`.
 */
export function loadTemporalConnection(env: Env = process.env): TemporalConnection {
  const r = new EnvReader(env);
  const connection = readTemporalConnection(r, true);
  if (r.issues.length > 0) throw new ConfigError(r.issues);
  return protectConnection(connection);
}

// ---------------------------------------------------------------------------------------------
// Redaction

/** What the redacted copy shows of TLS: which files were given (and their size), never their bytes. */
export interface RedactedTemporalTls {
  clientCertPair?: { crt: string; key: string };
  serverRootCACertificate?: string;
  serverNameOverride?: string;
}

export type RedactedConnection<T extends TemporalConnection> = Omit<T, 'tls' | 'apiKey'> & { tls: RedactedTemporalTls | null; apiKey: string | null };

const fileSize = (contents: Buffer): string => `[${contents.length} bytes]`;

/**
 * The API key is a secret. A certificate is public, but a Buffer prints as bytes (and `inspect`
 * shows the first 50 of a private key): sizes instead, enough to see which files were read.
 */
export function redactedConnection<T extends TemporalConnection>(temporal: T): RedactedConnection<T> {
  const { tls } = temporal;
  return {
    ...temporal,
    tls: tls && {
      ...(tls.clientCertPair && { clientCertPair: { crt: fileSize(tls.clientCertPair.crt), key: REDACTED } }),
      ...(tls.serverRootCACertificate && { serverRootCACertificate: fileSize(tls.serverRootCACertificate) }),
      ...(tls.serverNameOverride && { serverNameOverride: tls.serverNameOverride }),
    },
    apiKey: temporal.apiKey && REDACTED,
  };
}

/**
 * The Temporal group travels further than the rest (into connection options, the CLI), so it
 * redacts itself too, down to its TLS part.
 */
export function protectConnection<T extends TemporalConnection>(temporal: T): T {
  const { tls } = temporal;
  if (tls) hide(tls, () => redactedConnection(temporal).tls);
  if (tls?.clientCertPair) hide(tls.clientCertPair, () => redactedConnection(temporal).tls?.clientCertPair);
  return hide(temporal, () => redactedConnection(temporal));
}
