/** The Temporal server the bridge's workflows run on: a remote one, or the local dev server `npm start` runs. */
import { z } from 'zod';
import type { EnvReader } from './env-reader';
import { readTemporalConnection, type RedactedConnection, type TemporalConnection } from './temporal-connection';
import { hostPort, port } from './values';

export interface TemporalConfig extends TemporalConnection {
  /** `host:port`; null: `npm start` runs the official dev server (see src/runtime/temporal.ts). */
  address: string | null;
  namespace: string;
  taskQueue: string;
  /** `TEMPORAL_DEV_PORT`: the dev server's frontend port when `address` is null; its UI is on port + 1000. */
  devServerPort: number;
}

export type RedactedTemporalConfig = RedactedConnection<TemporalConfig>;

const name = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, { error: 'must be a name of letters, digits, ".", "_", "-"' });

// Its UI listens on port + 1000, so the port must leave room for that.
const devServerPort = port.refine((n) => n >= 1 && n <= 64_535, {
  error: 'must be between 1 and 64535 (the Temporal UI takes port + 1000)',
});

/** `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_TASK_QUEUE`, `TEMPORAL_DEV_PORT`, then the connection's variables. */
export function readTemporal(r: EnvReader) {
  return {
    address: r.optional('TEMPORAL_ADDRESS', hostPort) ?? null,
    namespace: r.withDefault('TEMPORAL_NAMESPACE', name, 'default'),
    taskQueue: r.withDefault('TEMPORAL_TASK_QUEUE', name, 'ticket-bridge'),
    devServerPort: r.withDefault('TEMPORAL_DEV_PORT', devServerPort, '7233'),
    // isSet, not the parsed address: a malformed one is reported once, not once per TLS variable.
    ...readTemporalConnection(r, r.isSet('TEMPORAL_ADDRESS')),
  };
}
