/**
 * The options every Temporal connection of the bridge starts from: `Connection.connect` and
 * `Connection.lazy` (@temporalio/client: the API, the reconciler's client, the CLI's
 * `--temporal`) and `NativeConnection.connect` (@temporalio/worker). One object for both, so the
 * worker and the clients cannot drift apart on TLS or credentials.
 *
 * No `metadata`: the SDK adds the `temporal-namespace` header Temporal Cloud routes by to each
 * call that names a namespace, and a static one would also go on `GetSystemInfo`, which Temporal
 * Cloud refuses (sdk-typescript#1712).
 */
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConnection, TemporalTlsConfig } from '../config/temporal-connection';

export interface TemporalConnectionOptions {
  /** TEMPORAL_ADDRESS; absent without it (`npm start` adds the address of the server it started). */
  address?: string;
  /** `false`: plaintext, said explicitly (the SDK would otherwise turn TLS on for an API key). */
  tls: TemporalTlsConfig | false;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
}

/**
 * Without TEMPORAL_ADDRESS this is `{ tls: false }`: the configuration refuses TLS and a key for
 * the local server the runner starts, which speaks plaintext.
 */
export function temporalConnectionOptions(temporal: TemporalConnection & { address: string | null }): TemporalConnectionOptions {
  return {
    ...(temporal.address !== null && { address: temporal.address }),
    tls: temporal.tls ?? false,
    ...(temporal.apiKey !== null && { apiKey: temporal.apiKey }),
  } satisfies ConnectionOptions & NativeConnectionOptions;
}
