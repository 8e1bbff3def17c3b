/**
 * Structured JSON logs (pino), one object per line on stdout; on a terminal, the same entries
 * as readable lines (./pretty.ts).
 *
 * Tickets carry personal data (names, emails, messages) and the process holds secrets, so
 * redaction is a property of the logger, not a discipline of each call site: any field whose
 * name says "content", "person" or "credential" is censored wherever it appears, at any depth
 * (up to MAX_DEPTH), in a line's fields and in a child logger's bindings. Call sites must still
 * prefer ids and counts over objects, and never log request bodies or URLs with query strings.
 */
import pino, { type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';
import { prettyDestination } from './pretty';

export type { Logger } from 'pino';

/** `LOG_FORMAT` (src/config/logging.ts reads it): JSON lines, or readable lines for a terminal (./pretty.ts). */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Field names whose values are never written, at any of the first three levels. */
export const SENSITIVE_KEYS = [
  // Personal data and ticket content.
  'email',
  'name',
  'body',
  'message',
  'text',
  'description',
  'title',
  'subject',
  'requester',
  'client',
  'comment',
  'comments',
  'replies',
  'reply',
  'snapshot',
  // Credentials.
  'authorization',
  'cookie',
  'password',
  'token',
  'secret',
  'auth_token',
  'apiKey',
  'apiToken',
  'connectWebhookToken',
  'zendeskWebhookSecret',
  'whitelabelWebhookSecret',
  'opsApiToken',
  'codecAuthToken',
  'metricsToken',
  'x-zendesk-webhook-signature',
  // The white-label signature header under its default name (WHITELABEL_SIGNATURE_HEADER).
  'x-whitelabel-signature',
  'clevergy-api-key',
] as const;

const SENSITIVE = new Set<string>(SENSITIVE_KEYS);
const CENSORED = '[redacted]';
/** Deeper than any line the bridge writes; a cycle stops here (pino's stringify marks it). */
const MAX_DEPTH = 12;

/**
 * `value` with every sensitive field censored, copied only where something is: a line without
 * one is returned as it came. Errors are left to their serializer (`serializeError`), which keeps
 * no field but type, code and stack; a value with its own `toJSON` (a Date, a Buffer) says itself
 * what it writes.
 *
 * One walk of the line, rather than pino's `redact` paths: those are 114 (`key`, `*.key`,
 * `*.*.key` for each key), each looked up anew on every line, which cost about 150 µs a line
 * against 5 µs for this walk (measured with pino 10.4; see docs/performance.md, P1).
 */
export function censorSensitive<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || value instanceof Error) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const censored = censorSensitive(item, depth + 1);
      if (censored !== item) (copy ??= [...value])[i] = censored;
    });
    return (copy ?? value) as T;
  }
  const fields = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const field = fields[key];
    const censored = SENSITIVE.has(key) && field !== undefined ? CENSORED : censorSensitive(field, depth + 1);
    if (censored !== field) (copy ??= { ...fields })[key] = censored;
  }
  return (copy ?? value) as T;
}

/**
 * Errors: keep what tells an operator where it broke (type, code, stack frames) but not the
 * message, which often quotes input (JSON.parse quotes the body it failed on, HTTP clients quote
 * response bodies). Causes are followed a few levels for their type and code.
 */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown; status?: unknown; kind?: unknown; type?: unknown };
  const out: Record<string, unknown> = { type: e.name };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.status === 'number') out.status = e.status;
  // IntegrationError.kind and body-parser's `type` are fixed vocabularies, safe to keep.
  if (typeof e.kind === 'string') out.kind = e.kind;
  if (typeof e.type === 'string') out.errorType = e.type;
  // Drop the first stack line: it repeats the message.
  if (e.stack) out.stack = e.stack.split('\n').slice(1).join('\n');
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

export interface CreateLoggerOptions {
  level?: Level | 'silent';
  /** Where lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
  /** Extra fields on every line, e.g. `{ service: 'api' }`. */
  base?: Record<string, string>;
  /** `json` (default) or `pretty`; see `logFormatFor`. */
  format?: LogFormat;
}

/** `LOG_FORMAT` when set; else pretty for a person at a terminal, JSON lines for everything else. */
export function logFormatFor(configured: LogFormat | null, stdout: { isTTY?: boolean } = process.stdout): LogFormat {
  return configured ?? (stdout.isTTY ? 'pretty' : 'json');
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // `level: "info"` rather than 30: readable without a pretty-printer.
    formatters: { level: (label) => ({ level: label }), log: censorSensitive },
    serializers: { err: serializeError, error: serializeError },
  };
  // Written synchronously, as the pretty lines are: pino's default stdout is asynchronous, so a
  // warning logged just before a refused start reached the terminal after its fatal line (written
  // to stderr at exit), and log lines could trail the banner `npm start` writes itself.
  const logger =
    options.format === 'pretty'
      ? pino(pinoOptions, prettyDestination(options.destination ?? 1))
      : pino(pinoOptions, options.destination ?? pino.destination({ dest: 1, sync: true }));
  return censoringChildren(logger);
}

/**
 * pino passes a child's bindings through no formatter (only the root's), so they are censored
 * here: every child, and every child's child, inherits this `child` through its prototype.
 */
function censoringChildren(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, censorSensitive(bindings), options);
  } as Logger['child'];
  return logger;
}

/** A logger for one component (`{ component: 'api' }`); bindings go through the same redaction. */
export function childLogger(parent: Logger, component: string, bindings: Record<string, unknown> = {}): Logger {
  return parent.child({ component, ...bindings });
}
