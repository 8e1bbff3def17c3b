/**
 * Environment configuration, validated once at start-up.
 *
 * Every variable is checked on its own and all problems are reported together (one line each,
 * `NAME: what is wrong`), so a deployment is fixed in one round trip. Messages never include the
 * value: several variables are secrets, and a misplaced secret is still a secret.
 *
 * The three remotes (Connect, Zendesk, the white-label platform) are each configured completely
 * or not at all: once a side's URL is set, its credentials are required, and a credential
 * without its URL is an error too (a half-configured side must not pass for an unconfigured one).
 * Every side that is configured is used. Without any, `npm start` runs a sandbox of in-process
 * simulators (inbound secrets are then generated, see `generatedSecrets`); with some, the
 * configuration must make a working deployment: Zendesk and at least one ticket source (Connect,
 * the white-label platform, or both). A partial one is refused, naming the missing variables,
 * never silently turned into a sandbox. `SANDBOX=true` asks for simulators of the sides left
 * unconfigured anyway (see `Config.sandbox`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import { whitelabelAssigneesSchema, type AssigneeMap } from './adapters/whitelabel/assignees';
import { ZENDESK_MAX_ATTACHMENT_BYTES } from './adapters/zendesk/attachments';
import { parseFreshdeskStatusMap, type FreshdeskStatusMap } from './adapters/freshdesk/statuses';
import { isLoopbackUrl, normaliseHostPattern } from './adapters/http/outbound-policy';
import { parseCidr } from './adapters/http/ip-ranges';
import { DEFAULT_ALLOWED_TYPES, DEFAULT_ATTACHMENT_SETTINGS, type AttachmentSettings } from './domain/attachments';
import {
  DEFAULT_WHITELABEL_SIGNATURE_HEADER,
  SIGNED_PAYLOAD_RECIPES,
  type SignedPayloadRecipe,
} from './api/webhooks/whitelabel-signature';
import { LOG_FORMATS, type LogFormat } from './observability/logger';
import type { PayloadEncryption } from './security/codec/data-converter';
import { GENERATE_KEY_HINT, payloadKeysSchema } from './security/codec/keyring';
import { loadMappingFile, type TicketMapping } from './mapping';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object per line (machines); `pretty`: one readable line per entry (a terminal). */

/** The remotes the bridge connects; each is real (configured), simulated (sandbox) or absent. */
export const SIDES = ['connect', 'zendesk', 'whitelabel'] as const;
export type Side = (typeof SIDES)[number];

/** The source status a "not resolved" reply from SOLVED leads to (the guide says PENDING). */
export const REOPEN_SOURCE_STATUSES = ['PENDING', 'OPEN'] as const;
export type ReopenSourceStatus = (typeof REOPEN_SOURCE_STATUSES)[number];

export interface ConnectConfig {
  apiUrl: string;
  apiKey: string;
}

export interface ZendeskConfig {
  /** `https://{subdomain}.zendesk.com/api/v2`, without a trailing slash. */
  apiUrl: string;
  email: string;
  apiToken: string;
}

/** The helpdesks the bridge can write tickets to (`CRM`). */
export const CRM_KINDS = ['zendesk', 'freshdesk'] as const;
export type CrmKind = (typeof CRM_KINDS)[number];
/** Each helpdesk's name as people read it (the workflow's `crmName`, the CLI, the banner). */
export const CRM_NAMES: Readonly<Record<CrmKind, string>> = { zendesk: 'Zendesk', freshdesk: 'Freshdesk' };

export interface FreshdeskConfig {
  /** `https://{domain}.freshdesk.com/api/v2`, without a trailing slash. */
  apiUrl: string;
  apiKey: string;
  /** `FRESHDESK_EXTERNAL_ID_FIELD`: the custom ticket field (`cf_…`) holding the bridge's id. */
  externalIdField: string;
  /** `FRESHDESK_STATUS_MAP` over the built-in statuses; null: the built-in ones (2 to 5). */
  statuses: FreshdeskStatusMap | null;
  /** `FRESHDESK_ATTACHMENT_HOSTS`: hosts files may come from besides the account's and Freshdesk's storage. */
  attachmentHosts: readonly string[];
}

export interface WhitelabelConfig {
  /** The platform's REST API (write-back), without a trailing slash. */
  apiUrl: string;
  apiKey: string;
  /** `WHITELABEL_ASSIGNEES`: teammate id → Zendesk user id. */
  assignees: AssigneeMap;
}

/** How the white-label platform signs its events (`POST /webhooks/whitelabel`). */
export interface WhitelabelWebhookConfig {
  signatureHeader: string;
  signedPayload: SignedPayloadRecipe;
  bodyLimitBytes: number;
}

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

export interface InboxConfig {
  /** `INBOX_DIR` (default `$DATA_DIR/inbox`): one per API instance, on persistent storage. */
  dir: string;
  /** `INBOX_MAX_ENTRIES`: past this many queued webhooks the API answers 503 again. */
  maxEntries: number;
}

export interface TemporalConfig {
  /** `host:port`; null: `npm start` runs the official dev server (see src/runtime/temporal.ts). */
  address: string | null;
  namespace: string;
  taskQueue: string;
  /** `TEMPORAL_DEV_PORT`: the dev server's frontend port when `address` is null; its UI is on port + 1000. */
  devServerPort: number;
  /** null: plaintext (a server on a private network, or the local one). */
  tls: TemporalTlsConfig | null;
  /** `TEMPORAL_API_KEY` (Temporal Cloud): sent as `Authorization: Bearer`; never logged. */
  apiKey: string | null;
}

/** How to reach a remote server, beyond its address (the CLI's `--temporal` takes these alone). */
export type TemporalConnection = Pick<TemporalConfig, 'tls' | 'apiKey'>;

export interface Config {
  port: number;
  /** `DATA_DIR`: where `npm start` keeps the dev server's SQLite file and the sandbox's state. */
  dataDir: string;
  /** The API's durable inbox of webhooks Temporal could not take (see src/api/inbox). */
  inbox: InboxConfig;
  temporal: TemporalConfig;
  /**
   * `npm start` runs simulators for every side left null below: when no side is configured, or
   * `SANDBOX=true`. False means a production configuration (Zendesk and at least one source),
   * validated as such.
   */
  sandbox: boolean;
  /** null: not configured (simulated when `sandbox`, else absent). */
  connect: ConnectConfig | null;
  /** null: not configured; never null unless `sandbox`. */
  zendesk: ZendeskConfig | null;
  /** null: not configured (simulated when `sandbox`, else no such source). */
  whitelabel: WhitelabelConfig | null;
  /**
   * `CRM`: the helpdesk tickets go to. Default: Freshdesk when only `FRESHDESK_URL` is set, else
   * Zendesk. Only one is used; the other's variables must be unset.
   */
  crm: CrmKind;
  /** null unless `crm` is freshdesk (the sandbox simulates Zendesk only). */
  freshdesk: FreshdeskConfig | null;
  /** `FRESHDESK_WEBHOOK_TOKEN`: the secret in the automation webhook's URL; null without Freshdesk. */
  freshdeskWebhookToken: string | null;
  /** Inbound secrets: the Connect `auth_token`, the Zendesk and white-label signing secrets, the ops bearer token. */
  connectWebhookToken: string;
  zendeskWebhookSecret: string;
  whitelabelWebhookSecret: string;
  whitelabelWebhook: WhitelabelWebhookConfig;
  opsApiToken: string;
  /** Names of inbound secrets generated because the sandbox runs without them (print them to play). */
  generatedSecrets: SecretVariable[];
  solvedAutoCloseAfterMs: number;
  solvedReopenSourceStatus: ReopenSourceStatus;
  /** `RECONCILE_INTERVAL`: how often every open ticket is checked for lost webhooks. */
  reconcileIntervalMs: number;
  /**
   * Files copied between the sides (issue 13): `ATTACHMENT_MAX_BYTES` (default 20 MB, at most
   * Zendesk's 50 MB) and `ATTACHMENT_ALLOWED_TYPES` (content types; default images, PDF, plain
   * text, office documents). A file over the size or of another type is a line in the mirrored
   * comment instead.
   */
  attachments: Required<AttachmentSettings>;
  /** Where attachment downloads may go (see "Outbound requests" below). */
  outbound: OutboundConfig;
  /**
   * `MAPPING_FILE`: source fields → Zendesk fields of new tickets (docs/mapping.md), checked at
   * start-up; null: none (tickets are created exactly as without the feature).
   */
  mapping: TicketMapping | null;
  logLevel: LogLevel;
  /** `LOG_FORMAT`; null: pretty on a terminal, JSON lines otherwise (see src/observability/logger.ts). */
  logFormat: LogFormat | null;
  bodyLimitBytes: number;
  /** `PAYLOAD_ENCRYPTION` / `PAYLOAD_KEYS`: how Temporal payloads are protected (see src/security/codec). */
  payloadEncryption: PayloadEncryption;
  /**
   * `CODEC_AUTH_TOKEN`: the codec server's own bearer token (required with payload encryption
   * wherever real tickets flow); null: the codec server is not served. Never the ops token.
   */
  codecAuthToken: string | null;
  /**
   * `CODEC_LISTEN`: host:port of a listener of the codec server's own (an internal interface,
   * next to the Temporal UI); null: served on the API's port.
   */
  codecListen: string | null;
  /** `CODEC_CORS_ORIGIN`: the Temporal UI origin(s) allowed to call the codec server from a browser. */
  codecCorsOrigins: string[];
  /** `METRICS_TOKEN`: a bearer token for `GET /metrics` only (the ops token is accepted too); null: none. */
  metricsToken: string | null;
  /**
   * `WORKER_METRICS_ADDRESS`: host:port where the worker serves the Temporal SDK's Prometheus
   * metrics (default 127.0.0.1:9464; `off` disables them).
   */
  workerMetricsAddress: string | null;
  /**
   * `WORKER_MAX_CACHED_WORKFLOWS`: ticket workflows a worker keeps in memory between their tasks
   * (default 1000, about 350 KiB each). A ticket not in the cache is replayed from its history
   * when its next notification comes: slower (hundreds of ms), never wrong.
   */
  workerMaxCachedWorkflows: number;
  /** The API's HTTP server: timeouts, connection cap, body bytes in flight (see `readHttpDoors`). */
  http: HttpLimits;
  /** Which webhook routes the API mounts: those of the sides that are configured or simulated. */
  webhookRoutes: WebhookRoutes;
}

export type SecretVariable = 'CONNECT_WEBHOOK_TOKEN' | 'ZENDESK_WEBHOOK_SECRET' | 'WHITELABEL_WEBHOOK_SECRET' | 'OPS_API_TOKEN';

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Variable schemas. Each carries its own message: zod's defaults are fine for developers but
// some of them quote the input, which must never happen for a secret.

const MIN_SECRET_LENGTH = 16;

const port = z
  .string()
  .regex(/^\d+$/, { error: 'must be an integer port number' })
  .transform(Number)
  .refine((n) => n <= 65535, { error: 'must be between 0 and 65535' });

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/, {
  error: 'must be host:port',
});

/** A directory path: created at start if missing. */
const directory = z.string().min(1).refine((v) => !v.includes('\0'), { error: 'must be a directory path' });
/** A count of at least 1 (bounded so a typo cannot mean "unbounded"). */
/** A whole number from 1 to `max`. */
const countUpTo = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, { error: `must be between 1 and ${max}` });
const inboxMaxEntries = countUpTo(10_000_000);
const cachedWorkflows = countUpTo(1_000_000);
export const DEFAULT_WORKER_MAX_CACHED_WORKFLOWS = 1000;
const devServerPort = port.refine((n) => n >= 1 && n <= 64_535, {
  error: 'must be between 1 and 64535 (the Temporal UI takes port + 1000)',
});
const name = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, { error: 'must be a name of letters, digits, ".", "_", "-"' });

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be a URL' })
  // The API key crosses the network with every call: in clear only to this very machine.
  .refine((u) => !URL.canParse(u) || new URL(u).protocol === 'https:' || isLoopbackUrl(new URL(u)), {
    error: 'must be an https URL (http is accepted only for loopback: localhost, 127.0.0.1, [::1])',
  })
  // Adapters append paths (`/tickets/{id}`); a trailing slash would double them.
  .transform((u) => u.replace(/\/+$/, ''));

const zendeskUrl = httpUrl.refine((u) => u.endsWith('/api/v2'), {
  error: 'must end with /api/v2 (e.g. https://acme.zendesk.com/api/v2)',
});

const credential = z.string().min(1, { error: 'must not be empty' });

const freshdeskUrl = httpUrl.refine((u) => u.endsWith('/api/v2'), {
  error: 'must end with /api/v2 (e.g. https://acme.freshdesk.com/api/v2)',
});

/** A custom ticket field's API name: `cf_` and lower-case letters, digits, underscores. */
const customFieldName = z.string().regex(/^cf_[a-z0-9_]{1,60}$/, { error: 'must be a custom field name like cf_ticket_bridge_id (as the Freshdesk API names it)' });

const freshdeskStatusMap = z.string().transform((text, ctx) => {
  const map = parseFreshdeskStatusMap(text);
  if (map === null) {
    ctx.addIssue({ code: 'custom', message: 'must be number=status pairs like 6=hold,7=pending (status one of new, open, pending, hold, solved, closed), comma-separated' });
    return z.NEVER;
  }
  return map;
});

const crmKind = z.enum(CRM_KINDS, { error: `must be one of ${CRM_KINDS.join(', ')}` });

const inboundSecret = z
  .string()
  .min(MIN_SECRET_LENGTH, { error: `must be at least ${MIN_SECRET_LENGTH} characters (it authenticates callers)` });

const email = z.email({ error: 'must be an email address' });

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `72h`, `30m`, `2d`, `45s`, `1500ms` or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * DURATION_UNITS_MS[(match[2] ?? 'ms') as keyof typeof DURATION_UNITS_MS];
  return Number.isSafeInteger(ms) && ms > 0 ? ms : null;
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDurationMs(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive duration like 72h, 30m, 2d, 45s or milliseconds' });
    return z.NEVER;
  }
  return ms;
});

const BYTE_UNITS = { b: 1, kb: 1024, mb: 1024 ** 2 } as const;

/** `100kb`, `1mb`, `512b` or a bare number of bytes (the units express/body-parser understand). */
export function parseByteSize(text: string): number | null {
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(text.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * BYTE_UNITS[(match[2]?.toLowerCase() ?? 'b') as keyof typeof BYTE_UNITS];
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

const byteSize = z.string().transform((text, ctx) => {
  const bytes = parseByteSize(text);
  if (bytes === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a size like 100kb, 1mb or a number of bytes' });
    return z.NEVER;
  }
  return bytes;
});

/** An HTTP header name (RFC 9110 token characters). */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, { error: 'must be an HTTP header name' });

const signedPayload = z.enum(SIGNED_PAYLOAD_RECIPES, { error: `must be one of ${SIGNED_PAYLOAD_RECIPES.join(', ')}` });

const logLevel = z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` });
const logFormat = z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` });

const boolean = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

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

export const DEFAULT_WORKER_METRICS_ADDRESS = '127.0.0.1:9464';
/** host:port to bind a metrics endpoint on, or `off`. */
const metricsAddress = z.string().transform((text, ctx) => {
  if (text === 'off') return null;
  if (hostPort.safeParse(text).success) return text;
  ctx.addIssue({ code: 'custom', message: 'must be host:port (e.g. 0.0.0.0:9464) or off' });
  return z.NEVER;
});
/** At most the target's limit: Zendesk takes files of up to 50 MB (the app says none). */
const attachmentMaxBytes = byteSize.refine((n) => n <= ZENDESK_MAX_ATTACHMENT_BYTES, {
  error: `must be at most ${ZENDESK_MAX_ATTACHMENT_BYTES / 1024 ** 2}mb (Zendesk's limit per file)`,
});

/** `image/png,application/pdf,image/*`: exact content types, or a prefix ending in `*`. */
const contentTypeList = z.string().transform((text, ctx) => {
  const entries = text.split(',').map((e) => e.trim().toLowerCase());
  const valid = /^(?:\*|[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+\*?))$/;
  if (entries.some((e) => !valid.test(e))) {
    ctx.addIssue({ code: 'custom', message: 'must be content types like image/png, application/pdf or image/*, comma-separated' });
    return z.NEVER;
  }
  return entries;
});

const reopenStatus = z.enum(REOPEN_SOURCE_STATUSES, { error: `must be one of ${REOPEN_SOURCE_STATUSES.join(', ')}` });

export const PAYLOAD_ENCRYPTION_MODES = ['required', 'off'] as const;
const encryptionMode = z.enum(PAYLOAD_ENCRYPTION_MODES, { error: `must be one of ${PAYLOAD_ENCRYPTION_MODES.join(', ')}` });

/** Comma-separated browser origins (`https://temporal.example.com`): scheme, host, port, nothing else. */
const corsOrigins = z.string().transform((text, ctx) => {
  const origins = text.split(',').map((o) => o.trim().replace(/\/+$/, ''));
  for (const origin of origins) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      ctx.addIssue({ code: 'custom', message: 'must be origins like https://temporal-ui.example.com:8080 (scheme, host, port; no path, no *), comma-separated' });
      return z.NEVER;
    }
  }
  return origins;
});

// ---------------------------------------------------------------------------------------------
// The codec server's token and unencrypted payloads (issue 23): one job per token.

/**
 * The codec server decrypts every payload, which the ops token (documented as seeing no personal
 * data) must not be able to do: with encryption on and real tickets, `CODEC_AUTH_TOKEN` is
 * required and must differ from `OPS_API_TOKEN`. Unset elsewhere, the codec server is not served.
 *
 * `CODEC_LISTEN` moves the codec server off the API's public port onto a listener of its own.
 *
 * `PAYLOAD_ACCEPT_UNENCRYPTED=true` lets plain payloads through decode (histories written before
 * encryption was switched on); by default a plain payload is refused, since only a holder of the
 * key can have written an encrypted one.
 */
function readCodecSettings(
  r: EnvReader,
  encryption: PayloadEncryption,
  opsApiToken: string | undefined,
  realTickets: boolean,
): Pick<Config, 'payloadEncryption' | 'codecAuthToken' | 'codecListen'> {
  const encrypting = encryption.mode === 'required' || r.isSet('PAYLOAD_KEYS');
  const token = r.requiredIf(
    encrypting && realTickets,
    'CODEC_AUTH_TOKEN',
    inboundSecret,
    'when payload encryption is on: the codec server (/codec) decrypts every payload, so it takes a token of its own, not OPS_API_TOKEN',
  );
  if (token !== undefined && token === opsApiToken) {
    r.issues.push({ variable: 'CODEC_AUTH_TOKEN', message: 'must differ from OPS_API_TOKEN (the ops token must not decrypt payloads)' });
  }
  const codecListen = r.optional('CODEC_LISTEN', hostPort) ?? null;
  if (codecListen !== null && token === undefined && !r.issues.some((i) => i.variable === 'CODEC_AUTH_TOKEN')) {
    r.issues.push({ variable: 'CODEC_AUTH_TOKEN', message: 'is required when CODEC_LISTEN is set (the codec server takes a token of its own)' });
  }
  const acceptUnencrypted = r.optional('PAYLOAD_ACCEPT_UNENCRYPTED', boolean);
  if (acceptUnencrypted !== undefined && !encrypting) {
    r.issues.push({ variable: 'PAYLOAD_ACCEPT_UNENCRYPTED', message: 'only applies with payload encryption on (PAYLOAD_KEYS); unset it' });
  }
  return {
    payloadEncryption: encryption.mode === 'required' && acceptUnencrypted ? { ...encryption, acceptUnencrypted } : encryption,
    codecAuthToken: token ?? null,
    codecListen,
  };
}

// ---------------------------------------------------------------------------------------------

type Env = Readonly<Record<string, string | undefined>>;

/** Reads variables one by one, collecting every problem instead of stopping at the first. */
class EnvReader {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly env: Env) {}

  /** Empty counts as unset: `FOO=` in an env file means "not configured", not "configured empty". */
  isSet(variable: string): boolean {
    return (this.env[variable] ?? '').trim() !== '';
  }

  optional<T>(variable: string, schema: z.ZodType<T, string>): T | undefined {
    if (!this.isSet(variable)) return undefined;
    const result = schema.safeParse(this.env[variable]!.trim());
    if (result.success) return result.data;
    // One line per variable: the first message is the most specific one.
    this.issues.push({ variable, message: result.error.issues[0]?.message ?? 'is invalid' });
    return undefined;
  }

  withDefault<T>(variable: string, schema: z.ZodType<T, string>, fallback: string): T | undefined {
    return this.isSet(variable) ? this.optional(variable, schema) : schema.parse(fallback);
  }

  /** Required when `condition` holds (e.g. its group's URL is set), otherwise optional. */
  requiredIf<T>(condition: boolean, variable: string, schema: z.ZodType<T, string>, why: string): T | undefined {
    if (condition && !this.isSet(variable)) {
      this.issues.push({ variable, message: `is required ${why}` });
      return undefined;
    }
    return this.optional(variable, schema);
  }
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
 * TLS and the API key. They only make sense towards a remote server: without one (`remote`
 * false) the runner starts a local server that speaks plaintext, so a variable set anyway is a
 * mistake worth reporting (a forgotten `TEMPORAL_ADDRESS` would otherwise go unnoticed).
 */
function readTemporalConnection(r: EnvReader, remote: boolean): TemporalConnection {
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

/** Each side's variables, in documented order: the URL, the credentials, the inbound secret. */
export const SIDE_VARIABLES = {
  connect: { url: 'CONNECT_API_URL', credentials: ['CONNECT_API_KEY'], secret: 'CONNECT_WEBHOOK_TOKEN' },
  zendesk: { url: 'ZENDESK_API_URL', credentials: ['ZENDESK_EMAIL', 'ZENDESK_API_TOKEN'], secret: 'ZENDESK_WEBHOOK_SECRET' },
  whitelabel: { url: 'WHITELABEL_API_URL', credentials: ['WHITELABEL_API_KEY'], secret: 'WHITELABEL_WEBHOOK_SECRET' },
} as const satisfies Record<Side, { url: string; credentials: readonly string[]; secret: SecretVariable }>;

/** Freshdesk's variables, in documented order (the CRM when `CRM=freshdesk`). */
export const FRESHDESK_VARIABLES = ['FRESHDESK_URL', 'FRESHDESK_API_KEY', 'FRESHDESK_WEBHOOK_TOKEN', 'FRESHDESK_EXTERNAL_ID_FIELD'] as const;

const sideVariables = (side: Side): string[] => {
  const v = SIDE_VARIABLES[side];
  return [v.url, ...v.credentials, v.secret];
};

/** `SANDBOX=1`, `true`, `0`, `false`. */
const flag = z.enum(['1', '0', 'true', 'false'], { error: 'must be 1 or 0 (true or false)' }).transform((v) => v === '1' || v === 'true');

export interface LoadConfigOptions {
  /**
   * Inbound secrets an earlier start generated (see src/sandbox/secrets.ts), used instead
   * of fresh random ones, so a restarted sandbox keeps its ops token and webhook secrets.
   */
  savedSecrets?: Partial<Record<SecretVariable, string>>;
}

/**
 * Validate the environment and return the configuration, or throw a `ConfigError` naming every
 * bad variable. The returned object keeps the secrets (adapters need them) but redacts them
 * whenever it is serialised or inspected; see `redactedConfig`.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const r = new EnvReader(env);
  const configured = SIDES.filter((side) => r.isSet(SIDE_VARIABLES[side].url));
  const connectSet = configured.includes('connect');
  const zendeskSet = configured.includes('zendesk');
  const whitelabelSet = configured.includes('whitelabel');
  const whenConnect = 'when CONNECT_API_URL is set';
  const whenZendesk = 'when ZENDESK_API_URL is set';
  const whenWhitelabel = 'when WHITELABEL_API_URL is set';

  const generatedSecrets: SecretVariable[] = [];
  const inbound = (variable: SecretVariable, requiredWhen: boolean, why: string): string | undefined => {
    if (requiredWhen || r.isSet(variable)) return r.requiredIf(requiredWhen, variable, inboundSecret, why);
    // Sandbox: the simulators sign with whatever we pick, so a random secret keeps the
    // endpoints authenticated even on a laptop without anyone having to invent one.
    generatedSecrets.push(variable);
    const saved = options.savedSecrets?.[variable];
    return saved !== undefined && inboundSecret.safeParse(saved).success ? saved : randomBytes(24).toString('base64url');
  };
  /** A side's credential without its URL would be ignored: say so at the URL. */
  const url = <T>(side: Side, schema: z.ZodType<T, string>): T | undefined => {
    const { url: variable, credentials } = SIDE_VARIABLES[side];
    const orphans = credentials.filter((c) => r.isSet(c));
    if (!r.isSet(variable) && orphans.length > 0) {
      r.issues.push({ variable, message: `is required when ${orphans.join(' or ')} is set (a side is configured completely or not at all)` });
    }
    return r.optional(variable, schema);
  };

  // Read in the documented order, so the error lists the variables in that order too.
  const portNumber = r.withDefault('PORT', port, '3000');
  const dataDir = r.withDefault('DATA_DIR', directory, '.ticket-bridge');
  const inbox = {
    dir: r.withDefault('INBOX_DIR', directory, join(dataDir ?? '.ticket-bridge', 'inbox')),
    maxEntries: r.withDefault('INBOX_MAX_ENTRIES', inboxMaxEntries, '100000'),
  };
  const temporal = {
    address: r.optional('TEMPORAL_ADDRESS', hostPort) ?? null,
    namespace: r.withDefault('TEMPORAL_NAMESPACE', name, 'default'),
    taskQueue: r.withDefault('TEMPORAL_TASK_QUEUE', name, 'ticket-bridge'),
    // Its UI listens on port + 1000, so the port must leave room for that.
    devServerPort: r.withDefault('TEMPORAL_DEV_PORT', devServerPort, '7233'),
    // isSet, not the parsed address: a malformed one is reported once, not once per TLS variable.
    ...readTemporalConnection(r, r.isSet('TEMPORAL_ADDRESS')),
  };
  const freshdeskSet = r.isSet('FRESHDESK_URL');
  // Real tickets flow as soon as any remote is real.
  const realTickets = configured.length > 0 || freshdeskSet;
  const sandboxFlag = r.optional('SANDBOX', flag);
  const sandbox = sandboxFlag ?? !realTickets;
  const connectUrl = url('connect', httpUrl);
  const connectApiKey = r.requiredIf(connectSet, 'CONNECT_API_KEY', credential, whenConnect);
  const connectWebhookToken = inbound('CONNECT_WEBHOOK_TOKEN', connectSet, whenConnect);
  const zendeskApiUrl = url('zendesk', zendeskUrl);
  const zendeskEmail = r.requiredIf(zendeskSet, 'ZENDESK_EMAIL', email, whenZendesk);
  const zendeskToken = r.requiredIf(zendeskSet, 'ZENDESK_API_TOKEN', credential, whenZendesk);
  const zendeskWebhookSecret = inbound('ZENDESK_WEBHOOK_SECRET', zendeskSet, whenZendesk);
  const whitelabelUrl = url('whitelabel', httpUrl);
  const whitelabelApiKey = r.requiredIf(whitelabelSet, 'WHITELABEL_API_KEY', credential, whenWhitelabel);
  const whitelabelWebhookSecret = inbound('WHITELABEL_WEBHOOK_SECRET', whitelabelSet, whenWhitelabel);
  const crmSide = readCrmChoice(r, zendeskSet, sandbox);
  if (!sandbox) requireWorkingDeployment(r, configured, sandboxFlag === false, crmSide.crm, freshdeskSet);
  const whitelabelSignatureHeader = r.withDefault('WHITELABEL_SIGNATURE_HEADER', headerName, DEFAULT_WHITELABEL_SIGNATURE_HEADER);
  const whitelabelSignedPayload = r.withDefault('WHITELABEL_SIGNED_PAYLOAD', signedPayload, 'timestamp.body');
  const whitelabelAssignees = r.withDefault('WHITELABEL_ASSIGNEES', whitelabelAssigneesSchema, '{}');
  const whitelabelWebhook = {
    signatureHeader: whitelabelSignatureHeader,
    signedPayload: whitelabelSignedPayload,
    // Events carry the whole ticket (every reply), so they get their own, larger limit. Only a
    // notification goes on to Temporal (the workflow reads the ticket back), so 1 MB is plenty.
    bodyLimitBytes: r.withDefault('WHITELABEL_BODY_LIMIT', byteSize, '1mb'),
  };
  // Real tickets reach the ops API as soon as any remote is real.
  const opsApiToken = inbound('OPS_API_TOKEN', realTickets, 'when CONNECT_API_URL, ZENDESK_API_URL, FRESHDESK_URL or WHITELABEL_API_URL is set');

  // Payload encryption: required by default wherever real tickets flow; the sandbox may run
  // without keys (with a warning at start). Keys set always mean encryption. Read last (in the
  // literal below), after BODY_LIMIT, as documented.
  const readPayloadEncryption = (): PayloadEncryption => {
    const keysSet = r.isSet('PAYLOAD_KEYS');
    const mode = r.withDefault('PAYLOAD_ENCRYPTION', encryptionMode, realTickets || keysSet ? 'required' : 'off');
    const keyring = r.optional('PAYLOAD_KEYS', payloadKeysSchema);
    if (mode === 'required' && !keysSet) {
      const why = r.isSet('PAYLOAD_ENCRYPTION') ? '' : ' (the default when CONNECT_API_URL, ZENDESK_API_URL, FRESHDESK_URL or WHITELABEL_API_URL is set)';
      r.issues.push({
        variable: 'PAYLOAD_KEYS',
        message: `is required when PAYLOAD_ENCRYPTION is required${why}: <key id>:<base64 32-byte key>[,<older id>:<key>...]; ${GENERATE_KEY_HINT}`,
      });
    }
    if (mode === 'off' && keysSet) {
      r.issues.push({ variable: 'PAYLOAD_ENCRYPTION', message: 'is off but PAYLOAD_KEYS is set; unset one of them' });
    }
    return keyring ? { mode: 'required', keyring } : { mode: 'off' };
  };

  const config = {
    port: portNumber,
    dataDir,
    inbox,
    temporal,
    sandbox,
    connect: connectUrl !== undefined && connectApiKey !== undefined ? { apiUrl: connectUrl, apiKey: connectApiKey } : null,
    zendesk:
      zendeskApiUrl !== undefined && zendeskEmail !== undefined && zendeskToken !== undefined
        ? { apiUrl: zendeskApiUrl, email: zendeskEmail, apiToken: zendeskToken }
        : null,
    whitelabel:
      whitelabelUrl !== undefined && whitelabelApiKey !== undefined && whitelabelAssignees !== undefined
        ? { apiUrl: whitelabelUrl, apiKey: whitelabelApiKey, assignees: whitelabelAssignees }
        : null,
    ...crmSide,
    connectWebhookToken,
    zendeskWebhookSecret,
    whitelabelWebhookSecret,
    whitelabelWebhook,
    opsApiToken,
    generatedSecrets,
    solvedAutoCloseAfterMs: r.withDefault('SOLVED_AUTO_CLOSE_AFTER', duration, '72h'),
    solvedReopenSourceStatus: r.withDefault('SOLVED_REOPEN_SOURCE_STATUS', reopenStatus, 'PENDING'),
    reconcileIntervalMs: r.withDefault('RECONCILE_INTERVAL', duration, '5m'),
    attachments: {
      maxBytes: r.withDefault('ATTACHMENT_MAX_BYTES', attachmentMaxBytes, '20mb'),
      allowedTypes: r.optional('ATTACHMENT_ALLOWED_TYPES', contentTypeList) ?? DEFAULT_ALLOWED_TYPES,
      ...readAttachmentCaps(r),
    },
    outbound: readOutbound(r),
    mapping: readMapping(r),
    logLevel: r.withDefault('LOG_LEVEL', logLevel, 'info'),
    logFormat: r.optional('LOG_FORMAT', logFormat) ?? null,
    bodyLimitBytes: r.withDefault('BODY_LIMIT', byteSize, '100kb'),
    ...readCodecSettings(r, readPayloadEncryption(), opsApiToken, realTickets),
    codecCorsOrigins: r.optional('CODEC_CORS_ORIGIN', corsOrigins) ?? [],
    metricsToken: r.optional('METRICS_TOKEN', inboundSecret) ?? null,
    workerMetricsAddress: r.withDefault('WORKER_METRICS_ADDRESS', metricsAddress, DEFAULT_WORKER_METRICS_ADDRESS),
    workerMaxCachedWorkflows: r.withDefault('WORKER_MAX_CACHED_WORKFLOWS', cachedWorkflows, String(DEFAULT_WORKER_MAX_CACHED_WORKFLOWS)),
    ...readHttpDoors(r, configured, sandbox, crmSide.crm),
  };
  requireBodiesFitBudget(r, config);

  if (r.issues.length > 0) throw new ConfigError(r.issues);
  // No issues means every field above was parsed (undefined only ever comes with an issue).
  return protect(config as Config);
}

/** `MAPPING_FILE`: one issue per problem in the file, each naming its path in the file (never the file's own path). */
function readMapping(r: EnvReader): TicketMapping | null {
  const path = r.optional('MAPPING_FILE', z.string());
  if (path === undefined) return null;
  const loaded = loadMappingFile(path);
  if (loaded.ok) return loaded.mapping;
  for (const issue of loaded.issues) r.issues.push({ variable: 'MAPPING_FILE', message: `${issue.path}: ${issue.message}` });
  return null;
}

// ---------------------------------------------------------------------------------------------
// Outbound requests (issue 23): where attachment downloads may go, and what one comment's files
// may cost. Attachment URLs are written by whoever writes a comment, so they are fetched only
// from allow-listed hosts and never from internal addresses unless allowed here.

export interface OutboundConfig {
  /**
   * `CONNECT_ATTACHMENT_HOSTS`, `WHITELABEL_ATTACHMENT_HOSTS`, `ZENDESK_ATTACHMENT_HOSTS`: hosts
   * files may come from besides the side's API host (and, for Zendesk, `*.zdusercontent.com`).
   */
  attachmentHosts: Record<Side, readonly string[]>;
  /**
   * `OUTBOUND_ALLOWED_ADDRESSES`: internal ranges (CIDR) downloads may reach anyway. An API URL
   * on loopback (the sandbox, a simulator) allows loopback for its own host without this.
   */
  allowedAddresses: readonly string[];
}

/** `files.example.com,*.cdn.example.com,10.0.0.5:8443`: hosts as a URL spells them. */
const hostPatternList = z.string().transform((text, ctx) => {
  const patterns = text.split(',').filter((e) => e.trim() !== '').map(normaliseHostPattern);
  if (patterns.some((p) => p === null)) {
    ctx.addIssue({ code: 'custom', message: 'must be host names like files.example.com, *.example.com or host:port, comma-separated' });
    return z.NEVER;
  }
  return patterns as string[];
});

/** `127.0.0.0/8,10.1.0.0/16,::1`: address ranges. */
const cidrList = z.string().transform((text, ctx) => {
  const ranges = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (ranges.some((range) => parseCidr(range) === null)) {
    ctx.addIssue({ code: 'custom', message: 'must be address ranges like 10.0.0.0/8, 127.0.0.1 or fd00::/8, comma-separated' });
    return z.NEVER;
  }
  return ranges;
});

const durationAtMost = (max: number, maxText: string) => duration.refine((ms) => ms <= max, { error: `must be at most ${maxText}` });

function readOutbound(r: EnvReader): OutboundConfig {
  return {
    attachmentHosts: {
      connect: r.optional('CONNECT_ATTACHMENT_HOSTS', hostPatternList) ?? [],
      zendesk: r.optional('ZENDESK_ATTACHMENT_HOSTS', hostPatternList) ?? [],
      whitelabel: r.optional('WHITELABEL_ATTACHMENT_HOSTS', hostPatternList) ?? [],
    },
    allowedAddresses: r.optional('OUTBOUND_ALLOWED_ADDRESSES', cidrList) ?? [],
  };
}

/** `ATTACHMENT_MAX_FILES`, `ATTACHMENT_MAX_COMMENT_BYTES`, `ATTACHMENT_FILE_TIMEOUT`, `ATTACHMENT_COMMENT_TIMEOUT`. */
function readAttachmentCaps(r: EnvReader): Omit<Required<AttachmentSettings>, 'maxBytes' | 'allowedTypes'> {
  const d = DEFAULT_ATTACHMENT_SETTINGS;
  // A comment's files share one activity attempt, which may run 10 minutes (retry-policy.ts).
  const commentTimeout = durationAtMost(8 * 60_000, '8m (a comment-writing activity runs at most 10 minutes)');
  return {
    maxFiles: r.withDefault('ATTACHMENT_MAX_FILES', countUpTo(100), String(d.maxFiles)),
    maxCommentBytes: r.withDefault('ATTACHMENT_MAX_COMMENT_BYTES', byteSize, `${d.maxCommentBytes / 1024 ** 2}mb`),
    fileTimeoutMs: r.withDefault('ATTACHMENT_FILE_TIMEOUT', commentTimeout, `${d.fileTimeoutMs}ms`),
    commentTimeoutMs: r.withDefault('ATTACHMENT_COMMENT_TIMEOUT', commentTimeout, `${d.commentTimeoutMs}ms`),
  } as Omit<Required<AttachmentSettings>, 'maxBytes' | 'allowedTypes'>;
}

// ---------------------------------------------------------------------------------------------
// The helpdesk (issue 20): Zendesk or Freshdesk, one of them.

/**
 * `CRM` and, when it is Freshdesk, its variables: all or nothing, like every side. The other
 * helpdesk's variables set anyway are an error (they would be silently ignored). The sandbox
 * simulates Zendesk only, so `CRM=freshdesk` needs a real (or separately run) Freshdesk.
 */
function readCrmChoice(r: EnvReader, zendeskSet: boolean, sandbox: boolean): Pick<Config, 'crm' | 'freshdesk' | 'freshdeskWebhookToken'> {
  const freshdeskSet = r.isSet('FRESHDESK_URL');
  const chosen = r.optional('CRM', crmKind);
  const crm: CrmKind = chosen ?? (freshdeskSet && !zendeskSet ? 'freshdesk' : 'zendesk');
  const freshdeskVars = FRESHDESK_VARIABLES.filter((v) => r.isSet(v));
  if (crm === 'zendesk') {
    if (freshdeskVars.length > 0) {
      const why = chosen ? 'CRM is zendesk' : 'ZENDESK_API_URL is set too';
      r.issues.push({ variable: freshdeskVars[0]!, message: `is set but ${why}: the bridge writes to one helpdesk; set CRM=freshdesk (and unset the ZENDESK_ variables) or unset ${freshdeskVars.join(', ')}` });
    }
    return { crm, freshdesk: null, freshdeskWebhookToken: null };
  }
  const zendeskVars = sideVariables('zendesk').filter((v) => r.isSet(v));
  if (zendeskVars.length > 0) r.issues.push({ variable: zendeskVars[0]!, message: `is set but CRM is freshdesk: unset ${zendeskVars.join(', ')}` });
  const when = 'when FRESHDESK_URL is set';
  if (!freshdeskSet && freshdeskVars.length > 0) {
    r.issues.push({ variable: 'FRESHDESK_URL', message: `is required when ${freshdeskVars.join(' or ')} is set (a side is configured completely or not at all)` });
  } else if (!freshdeskSet && sandbox) {
    r.issues.push({ variable: 'FRESHDESK_URL', message: 'is required when CRM=freshdesk: the sandbox simulates Zendesk only' });
  }
  const apiUrl = r.optional('FRESHDESK_URL', freshdeskUrl);
  const apiKey = r.requiredIf(freshdeskSet, 'FRESHDESK_API_KEY', credential, when);
  const token = r.requiredIf(freshdeskSet, 'FRESHDESK_WEBHOOK_TOKEN', inboundSecret, when);
  const externalIdField = r.requiredIf(freshdeskSet, 'FRESHDESK_EXTERNAL_ID_FIELD', customFieldName, `${when} (the custom ticket field the bridge's id goes in)`);
  const statuses = r.optional('FRESHDESK_STATUS_MAP', freshdeskStatusMap) ?? null;
  const attachmentHosts = r.optional('FRESHDESK_ATTACHMENT_HOSTS', hostPatternList) ?? [];
  const freshdesk = apiUrl !== undefined && apiKey !== undefined && externalIdField !== undefined ? { apiUrl, apiKey, externalIdField, statuses, attachmentHosts } : null;
  return { crm, freshdesk, freshdeskWebhookToken: token ?? null };
}

const SIMULATE_HINT = 'SANDBOX=1 simulates the sides not configured';

/**
 * Without simulators, the configured sides must make a bridge: Zendesk, and a source feeding it.
 * Each missing variable is named (one already reported, e.g. a URL missing beside its
 * credentials, only once).
 */
function requireWorkingDeployment(r: EnvReader, configured: readonly Side[], sandboxOff: boolean, crm: CrmKind, freshdeskSet: boolean): void {
  const report = (variable: string, message: string) => {
    if (!r.issues.some((i) => i.variable === variable)) r.issues.push({ variable, message });
  };
  const crmSet = crm === 'zendesk' ? configured.includes('zendesk') : freshdeskSet;
  if (configured.length === 0 && !freshdeskSet) {
    if (sandboxOff) {
      report(
        'SANDBOX',
        'is off but no remote is configured: set ZENDESK_API_URL (or FRESHDESK_URL) and CONNECT_API_URL or WHITELABEL_API_URL (with their credentials), or unset SANDBOX',
      );
    }
    return;
  }
  const sources = configured.filter((side) => side !== 'zendesk');
  if (sources.length > 0 && !crmSet) {
    const when = `when ${sources.map((s) => SIDE_VARIABLES[s].url).join(' or ')} is set`;
    const variables = crm === 'zendesk' ? sideVariables('zendesk') : FRESHDESK_VARIABLES;
    const name = crm === 'zendesk' ? 'Zendesk' : 'Freshdesk (CRM=freshdesk)';
    for (const variable of variables) {
      if (!r.isSet(variable)) report(variable, `is required ${when}: tickets go to ${name} (${SIMULATE_HINT})`);
    }
  }
  if (sources.length === 0) {
    const missing = (side: Side) => sideVariables(side).filter((v) => !r.isSet(v)).join(', ');
    const crmUrl = crm === 'zendesk' ? 'ZENDESK_API_URL' : 'FRESHDESK_URL';
    report(
      'CONNECT_API_URL or WHITELABEL_API_URL',
      `a ticket source is required when ${crmUrl} is set: Connect (${missing('connect')}) or the white-label platform (${missing('whitelabel')}) (${SIMULATE_HINT})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP doors (issue 23): what an unauthenticated caller can hold of the API's server. Node's
// defaults (60 s for headers, 5 minutes per request, no connection cap) let a slow client hold
// a connection for minutes; a body is buffered before its signature can be checked, so the
// bytes buffered at once across all requests are capped too.

export interface HttpLimits {
  /** `HTTP_HEADERS_TIMEOUT`: the whole request head must arrive within this (default 10 s). */
  headersTimeoutMs: number;
  /** `HTTP_REQUEST_TIMEOUT`: the whole request, body included (default 30 s; at least the headers timeout). */
  requestTimeoutMs: number;
  /** `HTTP_KEEP_ALIVE_TIMEOUT`: how long an idle kept-alive connection stays open (default 5 s). */
  keepAliveTimeoutMs: number;
  /** `HTTP_MAX_CONNECTIONS`: connections beyond this are closed at once (default 1000). */
  maxConnections: number;
  /**
   * `BODY_BYTES_IN_FLIGHT`: webhook body bytes buffered at once across all requests (default
   * 8 MB); a body that does not fit is refused with 503 and `Retry-After` before it is read.
   */
  bodyBytesInFlight: number;
}

/** `freshdesk`: mounted only with a configured Freshdesk (absent: not mounted). */
export type WebhookRoutes = Record<Side, boolean> & { freshdesk?: boolean };

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1000,
  bodyBytesInFlight: 8 * 1024 ** 2,
};

const maxConnections = countUpTo(1_000_000);

/** Each field undefined when its variable is invalid (then reported; see the end of `loadConfig`). */
type Unchecked<T> = { [K in keyof T]: T[K] | undefined };

function readHttpDoors(r: EnvReader, configured: readonly Side[], sandbox: boolean, crm: CrmKind): { http: Unchecked<HttpLimits>; webhookRoutes: WebhookRoutes } {
  const d = DEFAULT_HTTP_LIMITS;
  const headersTimeoutMs = r.withDefault('HTTP_HEADERS_TIMEOUT', duration, `${d.headersTimeoutMs}ms`);
  const requestTimeoutMs = r.withDefault('HTTP_REQUEST_TIMEOUT', duration, `${d.requestTimeoutMs}ms`);
  const keepAliveTimeoutMs = r.withDefault('HTTP_KEEP_ALIVE_TIMEOUT', duration, `${d.keepAliveTimeoutMs}ms`);
  const connections = r.withDefault('HTTP_MAX_CONNECTIONS', maxConnections, String(d.maxConnections));
  const bodyBytesInFlight = r.withDefault('BODY_BYTES_IN_FLIGHT', byteSize, String(d.bodyBytesInFlight));
  // Node refuses a headers timeout longer than the request's: say so here, naming the variable.
  if (headersTimeoutMs !== undefined && requestTimeoutMs !== undefined && headersTimeoutMs > requestTimeoutMs) {
    r.issues.push({ variable: 'HTTP_HEADERS_TIMEOUT', message: 'must not be longer than HTTP_REQUEST_TIMEOUT (the headers are part of the request)' });
  }
  const mounted = (side: Side) => sandbox || configured.includes(side);
  const http = { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections: connections, bodyBytesInFlight };
  const webhookRoutes = { connect: mounted('connect'), zendesk: crm === 'zendesk' && mounted('zendesk'), whitelabel: mounted('whitelabel'), freshdesk: crm === 'freshdesk' && r.isSet('FRESHDESK_URL') };
  return { http, webhookRoutes };
}

/** A body of the largest accepted size must fit in the budget, or it would be refused for ever. */
function requireBodiesFitBudget(
  r: EnvReader,
  config: { bodyLimitBytes: number | undefined; whitelabelWebhook: { bodyLimitBytes: number | undefined }; http: Unchecked<HttpLimits> },
): void {
  const budget = config.http.bodyBytesInFlight;
  if (budget === undefined) return;
  const limits = { BODY_LIMIT: config.bodyLimitBytes, WHITELABEL_BODY_LIMIT: config.whitelabelWebhook.bodyLimitBytes };
  for (const [variable, bytes] of Object.entries(limits)) {
    if (bytes !== undefined && bytes > budget) r.issues.push({ variable: 'BODY_BYTES_IN_FLIGHT', message: `must be at least ${variable} (a body of that size must fit)` });
  }
}

// ---------------------------------------------------------------------------------------------
// Redaction

const REDACTED = '[redacted]';

/** What the redacted copy shows of TLS: which files were given (and their size), never their bytes. */
export interface RedactedTemporalTls {
  clientCertPair?: { crt: string; key: string };
  serverRootCACertificate?: string;
  serverNameOverride?: string;
}

export type RedactedTemporalConfig = Omit<TemporalConfig, 'tls'> & { tls: RedactedTemporalTls | null };
export type RedactedConfig = Omit<Config, 'temporal'> & { temporal: RedactedTemporalConfig };

const fileSize = (contents: Buffer): string => `[${contents.length} bytes]`;

type RedactedConnection<T extends TemporalConnection> = Omit<T, 'tls' | 'apiKey'> & Pick<RedactedTemporalConfig, 'tls' | 'apiKey'>;

/**
 * The API key is a secret. A certificate is public, but a Buffer prints as bytes (and `inspect`
 * shows the first 50 of a private key): sizes instead, enough to see which files were read.
 */
function redactedConnection<T extends TemporalConnection>(temporal: T): RedactedConnection<T> {
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

/** A plain copy of the configuration with every secret replaced, safe to log or print. */
export function redactedConfig(config: Config): RedactedConfig {
  return {
    ...config,
    inbox: { ...config.inbox },
    temporal: redactedConnection(config.temporal),
    connect: config.connect && { ...config.connect, apiKey: REDACTED },
    zendesk: config.zendesk && { ...config.zendesk, apiToken: REDACTED },
    whitelabel: config.whitelabel && { ...config.whitelabel, apiKey: REDACTED },
    freshdesk: config.freshdesk && { ...config.freshdesk, apiKey: REDACTED },
    freshdeskWebhookToken: config.freshdeskWebhookToken && REDACTED,
    connectWebhookToken: REDACTED,
    zendeskWebhookSecret: REDACTED,
    whitelabelWebhookSecret: REDACTED,
    whitelabelWebhook: { ...config.whitelabelWebhook },
    opsApiToken: REDACTED,
    codecAuthToken: config.codecAuthToken && REDACTED,
    codecCorsOrigins: [...config.codecCorsOrigins],
    attachments: { ...config.attachments, allowedTypes: [...config.attachments.allowedTypes] },
    outbound: { attachmentHosts: { ...config.outbound.attachmentHosts }, allowedAddresses: [...config.outbound.allowedAddresses] },
    metricsToken: config.metricsToken && REDACTED,
    // The keyring serialises as its key ids only (see PayloadKeyring.toJSON).
    payloadEncryption: config.payloadEncryption,
    generatedSecrets: [...config.generatedSecrets],
  };
}

const hide = <T extends object>(target: T, redacted: () => unknown): T => {
  Object.defineProperty(target, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(target, inspect.custom, { value: () => redacted(), enumerable: false });
  return target;
};

/**
 * The Temporal group travels further than the rest (into connection options, the CLI), so it
 * redacts itself too, down to its TLS part.
 */
function protectConnection<T extends TemporalConnection>(temporal: T): T {
  const { tls } = temporal;
  if (tls) hide(tls, () => redactedConnection(temporal).tls);
  if (tls?.clientCertPair) hide(tls.clientCertPair, () => redactedConnection(temporal).tls?.clientCertPair);
  return hide(temporal, () => redactedConnection(temporal));
}

/**
 * Make `JSON.stringify`, pino and `console.log` show the redacted form, for the whole object and
 * for the groups holding credentials (someone will log `config.zendesk` one day). The hooks are
 * non-enumerable, so they do not show up in the data itself; a spread copy loses them.
 */
function protect(config: Config): Config {
  protectConnection(config.temporal);
  if (config.connect) hide(config.connect, () => ({ ...config.connect, apiKey: REDACTED }));
  if (config.zendesk) hide(config.zendesk, () => ({ ...config.zendesk, apiToken: REDACTED }));
  if (config.whitelabel) hide(config.whitelabel, () => ({ ...config.whitelabel, apiKey: REDACTED }));
  if (config.freshdesk) hide(config.freshdesk, () => ({ ...config.freshdesk, apiKey: REDACTED }));
  return hide(config, () => redactedConfig(config));
}
