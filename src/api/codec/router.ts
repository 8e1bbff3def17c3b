/**
 * The codec server: `POST /codec/encode` and `POST /codec/decode`, so authorised operators can
 * read (and, for signals sent from the UI, write) encrypted payloads in the Temporal UI and CLI.
 * Point the UI's "Codec Server" setting (or `TEMPORAL_CODEC_ENDPOINT`, or the CLI's
 * `--codec-endpoint`) at `https://<api host>/codec`.
 *
 * Protocol (Temporal's remote codec protocol): the body is a Payloads message in protobuf JSON,
 * `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`, and so is the answer.
 * Errors are JSON like everywhere else: 400 naming the payload that could not be decoded.
 *
 * Security:
 *  - `Authorization: Bearer <CODEC_AUTH_TOKEN>`, compared in constant time; the CLI sends it with
 *    `--codec-auth 'Bearer …'`. A token of its own, never the ops token: whoever holds it reads
 *    every payload (and can encrypt payloads the worker accepts). Without one the routes are not
 *    mounted at all (404), whatever else is configured.
 *  - With encryption required, decode refuses a payload that is not encrypted (see
 *    EncryptionCodec), exactly as the worker does.
 *  - CORS for the configured Temporal UI origin(s) only (`CODEC_CORS_ORIGIN`), with credentials:
 *    a browser page from any other origin gets a 403 and no CORS headers. Requests without an
 *    `Origin` (CLI, curl) are not browser requests and need only the token.
 *  - `CODEC_LISTEN` serves it on a listener of its own (`startCodecServer`) instead of the API's
 *    public port: an internal interface the Temporal UI (or its proxy) reaches and the internet
 *    does not.
 *  - Decoded payloads are personal data: the answer is `Cache-Control: no-store`, and neither
 *    bodies nor payloads are logged.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { ENCRYPTED_ENCODING, PayloadDecryptionError } from '../../security/codec/encryption-codec';
import { payloadCodecFrom } from '../../security/codec/data-converter';
import { requireBearer } from '../auth';
import { createApiServer, requireHostHeader } from '../client-error';
import type { ApiConfig, AppDeps } from '../deps';
import { errorHandler, notFoundHandler, sendError, sendValidationError } from '../errors';
import { methodNotAllowed } from '../method-not-allowed';
import { requestLogger, setLogFields } from '../request-log';

export const CODEC_ENCODE_PATH = '/codec/encode';
export const CODEC_DECODE_PATH = '/codec/decode';

/** What the Temporal UI sends: its own headers plus `Authorization-Extras` (an OIDC id token) when it forwards tokens. */
export const CODEC_ALLOWED_HEADERS = 'Content-Type, Authorization, X-Namespace, Authorization-Extras';

/**
 * The UI sends one event's payloads per request, each at most Temporal's 2 MiB payload limit;
 * base64 adds a third. Larger than the webhooks' limit on purpose.
 */
export const CODEC_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
const MAX_PAYLOADS = 1000;

/** Protobuf JSON `bytes`: standard or URL-safe base64, padded or not (empty is valid). */
const base64 = z.string({ error: 'must be a base64 string' }).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, { error: 'must be base64' });

const payloadJson = z.object(
  {
    metadata: z.record(z.string(), base64, { error: 'must be an object of base64 strings' }).nullish(),
    data: base64.nullish(),
  },
  { error: 'must be a payload object {"metadata": {...}, "data": "<base64>"}' },
);

export const payloadsBody = z.object(
  { payloads: z.array(payloadJson, { error: 'must be an array of payloads' }).max(MAX_PAYLOADS, { error: `at most ${MAX_PAYLOADS} payloads` }) },
  { error: 'must be a JSON object {"payloads": [...]}' },
);

type PayloadJson = z.infer<typeof payloadJson>;

function fromJson({ metadata, data }: PayloadJson): Payload {
  return {
    metadata: metadata ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : {},
    data: data ? Buffer.from(data, 'base64') : new Uint8Array(0),
  };
}

function toJson({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(data ?? new Uint8Array(0)).toString('base64'),
  };
}

/** CORS for the configured origins only; browsers from anywhere else are refused outright. */
export function codecCors(allowedOrigins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin === undefined) {
      // Not a browser (CLI, curl): no CORS involved. A bare OPTIONS just learns the methods.
      if (req.method === 'OPTIONS') {
        res.setHeader('Allow', 'POST, OPTIONS');
        res.status(204).end();
        return;
      }
      return next();
    }
    if (!allowedOrigins.includes(origin)) {
      setLogFields(res, { reason: 'origin not allowed' });
      return sendError(res, 403, 'forbidden', { message: 'this origin may not call the codec server (CODEC_CORS_ORIGIN)' });
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', CODEC_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/** On the API's port: only with a token of its own, and only when it has no listener of its own. */
export function codecRouter({ config }: AppDeps): Router {
  return config.codecAuthToken && !config.codecListen ? codecRoutes(config, config.codecAuthToken) : Router();
}

function codecRoutes(config: ApiConfig, token: string): Router {
  const router = Router();
  const codec = payloadCodecFrom({ payloadEncryption: config.payloadEncryption ?? { mode: 'off' } });
  const cors = codecCors(config.codecCorsOrigins ?? []);
  const auth = requireBearer(token);
  // Any media type: the UI and the CLI send JSON; a wrong or missing Content-Type is not worth a failure.
  const json = express.json({ limit: CODEC_BODY_LIMIT_BYTES, type: () => true });

  router.options([CODEC_ENCODE_PATH, CODEC_DECODE_PATH], cors);

  const handle = (operation: 'encode' | 'decode'): RequestHandler => async (req, res) => {
    if (req.body === undefined) {
      return sendError(res, 400, 'invalid_request', { issues: [{ path: '(body)', message: 'a JSON body {"payloads": [...]} is required' }] });
    }
    const parsed = payloadsBody.safeParse(req.body);
    if (!parsed.success) return sendValidationError(res, parsed.error);
    const payloads = parsed.data.payloads.map(fromJson);

    const out: Payload[] = [];
    for (const [index, payload] of payloads.entries()) {
      try {
        if (operation === 'encode') out.push(codec ? codec.encryptOne(payload) : payload);
        else if (codec) out.push(codec.decryptOne(payload));
        else if (isEncrypted(payload)) throw new PayloadDecryptionError('payload is encrypted but this deployment has no PAYLOAD_KEYS', 'PayloadDecryptionFailed');
        else out.push(payload);
      } catch (err) {
        if (!(err instanceof PayloadDecryptionError)) throw err;
        setLogFields(res, { reason: err.type ?? 'decode failed' });
        return sendError(res, 400, 'invalid_request', { issues: [{ path: `payloads.${index}`, message: err.message }] });
      }
    }
    setLogFields(res, { outcome: `${operation}d ${out.length}` });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ payloads: out.map(toJson) });
  };

  router.post(CODEC_ENCODE_PATH, cors, auth, json, handle('encode'));
  router.post(CODEC_DECODE_PATH, cors, auth, json, handle('decode'));
  return router;
}

/** The codec server alone, as an app: what `CODEC_LISTEN` serves. */
export function createCodecApp({ config, logger }: Pick<AppDeps, 'config' | 'logger'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger(logger));
  app.use(requireHostHeader);
  if (config.codecAuthToken) app.use(codecRoutes(config, config.codecAuthToken));
  app.use(methodNotAllowed(app));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}

export interface RunningCodecServer {
  server: Server;
  /** e.g. http://127.0.0.1:3001 */
  url: string;
  close(): Promise<void>;
}

/** Listens on `listen` (`CODEC_LISTEN`, host:port) with the codec server alone. */
export async function startCodecServer(deps: Pick<AppDeps, 'config' | 'logger'>, listen: string): Promise<RunningCodecServer> {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  // The API's own timeouts and connection cap (HTTP_*), on this listener too.
  const server = createApiServer(createCodecApp(deps), deps.config.http);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(listen.slice(colon + 1)), host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && Buffer.from(encoding).toString('utf8') === ENCRYPTED_ENCODING;
}
