/**
 * The one way the bridge builds a Temporal `Client`: with the data converter the configuration
 * calls for (payload encryption), so the API, the CLI helpers and the tests all send and read
 * payloads exactly as the worker does.
 */
import { Client, type ClientOptions, type ConnectionLike } from '@temporalio/client';
import { dataConverterFrom, type PayloadEncryptionConfig } from '../security/codec/data-converter';

export function createClient(
  connection: ConnectionLike,
  namespace: string,
  config: PayloadEncryptionConfig,
  /** Anything else a client may take (interceptors in tests); not the data converter. */
  extra: Omit<ClientOptions, 'connection' | 'namespace' | 'dataConverter'> = {},
): Client {
  return new Client({ ...extra, connection, namespace, dataConverter: dataConverterFrom(config) });
}
