/**
 * The start-up failures a person meets first, each said in one line with what to do, instead
 * of a stack trace: a bad configuration, a port in use, no Temporal CLI, a Temporal server that
 * does not answer or refuses the credentials. Anything else is a bug and keeps its stack.
 */
import { ConfigError } from '../config';
import { PortInUseError } from './dev-server';
import { TemporalCliNotFound } from './temporal-cli';

/** `TEMPORAL_ADDRESS` is set but that server cannot be used. */
export class TemporalUnreachableError extends Error {
  constructor(
    readonly address: string,
    readonly refusedCredentials: boolean,
    reason: string,
  ) {
    super(reason);
    this.name = 'TemporalUnreachableError';
  }
}

/** gRPC status codes: UNAUTHENTICATED, PERMISSION_DENIED. */
const CREDENTIAL_CODES = new Set([16, 7]);

/** What a failed connection to `address` means; the gRPC message is about the connection, never data. */
export function temporalUnreachable(address: string, err: unknown): TemporalUnreachableError {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: unknown } | null;
  const code = typeof e?.code === 'number' ? e.code : typeof e?.cause?.code === 'number' ? e.cause.code : null;
  const reason = String(e?.message ?? err).split('\n')[0]!.slice(0, 200);
  return new TemporalUnreachableError(address, code !== null && CREDENTIAL_CODES.has(code), reason);
}

export interface StartupFailure {
  message: string;
  exitCode: 1 | 2;
}

/** What the start knew when it failed, to say which instance is meant. */
export interface StartupContext {
  /** `npm start`'s DATA_DIR, once the configuration is read. */
  dataDir?: string;
}

/** The one-line (or, for a configuration, one line per variable) account of a known failure; null for anything else. */
export function describeStartupFailure(err: unknown, program = 'ticket-bridge', context: StartupContext = {}): StartupFailure | null {
  if (err instanceof ConfigError || err instanceof TemporalCliNotFound) return { message: err.message, exitCode: 2 };
  if (err instanceof PortInUseError) {
    // Other ports alone would run a second instance on the first one's data: say so.
    const ownData = context.dataDir ? ` and a DATA_DIR of its own (this one's: ${context.dataDir})` : '';
    return {
      message:
        `${program}: ${err.message}. Is another \`npm start\` running? Stop it, or choose other ports ` +
        `(PORT, TEMPORAL_DEV_PORT, WORKER_METRICS_ADDRESS)${ownData}, or use a running Temporal with TEMPORAL_ADDRESS.`,
      exitCode: 2,
    };
  }
  if (err instanceof TemporalUnreachableError) {
    return {
      message: err.refusedCredentials
        ? `${program}: Temporal at ${err.address} (TEMPORAL_ADDRESS) refused the credentials (${err.message}). ` +
          'Check TEMPORAL_API_KEY, or TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH, and TEMPORAL_NAMESPACE.'
        : `${program}: Temporal at ${err.address} (TEMPORAL_ADDRESS) cannot be reached (${err.message}). Is it running there? ` +
          'Check TEMPORAL_ADDRESS, and TEMPORAL_TLS / TEMPORAL_API_KEY if it takes TLS; or unset TEMPORAL_ADDRESS to run a local dev server.',
      exitCode: 1,
    };
  }
  if (err instanceof StartupError) return { message: `${program}: ${err.message}`, exitCode: err.exitCode };
  return null;
}

/** A failure whose message is already the whole story (an unreadable data file, ...). */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}
