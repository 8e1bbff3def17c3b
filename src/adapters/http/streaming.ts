/**
 * Streaming HTTP for file transfers: downloads as Node `Readable`s and uploads from them, never
 * holding a whole file. Downloads go through node:http(s) with the outbound policy's agent (see
 * ./outbound-policy.ts: the URLs come from comments, i.e. from anyone); uploads go to the
 * remotes' own APIs over the global (undici) fetch with `duplex: 'half'`. `HttpClient` is for
 * JSON and times a whole exchange; a file of tens of MB needs a timeout on *stalls* instead: here
 * that clock runs only while the remote owes us something (headers, the next chunk of a
 * download, taking the next chunk of an upload), not while our own side is slow. A download has
 * a second clock for the whole file.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { OutboundRefusedError } from '../../ports/attachments';
import { IntegrationError, type IntegrationErrorKind } from '../../ports/errors';
import { slotFor } from './budgeted-fetch';
import { classifyFetchError, kindForStatus, remoteErrorCode } from './classify';
import { PolicyRefusal, type OutboundGuard } from './outbound-policy';
import { reportRateLimited } from './rate-limit-hits';
import { parseRetryAfter } from './retry-after';

export interface StreamingHttpOptions {
  /** Names the remote in errors ('connect', 'zendesk'). */
  service: string;
  /** How long the remote may stall (no headers, no chunk taken or given). Default 30 s. */
  idleTimeoutMs?: number;
  /** The most one download may take, headers to last byte. Default 2 minutes. */
  fileTimeoutMs?: number;
  /** For uploads; injectable for tests. */
  fetch?: typeof fetch;
  now?: () => number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** 20 MB (the default size limit) takes about 1 minute at 3 Mbit/s: twice that. */
export const DEFAULT_FILE_TIMEOUT_MS = 120_000;
/** Storage and CDNs redirect once or twice; more is a loop, or someone walking us around. */
export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** An error answer is read for its code only: a few KB, never a body of any size. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

export interface DownloadOptions {
  /** Where this side's downloads may go. */
  guard: OutboundGuard;
  /** Auth headers, sent on the first hop only, and only when `scope` accepts its URL. */
  credentials?: { headers: Record<string, string>; scope: (url: URL) => boolean };
  /** The most this file may take (a comment's remaining time can make it shorter). */
  timeoutMs?: number;
}


/** A timer that aborts a request when the remote makes no progress for `ms`; runs only while armed. */
export class StallTimer {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The remote owes us progress from now. */
  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new DOMException('the remote made no progress', 'TimeoutError')), this.ms);
    this.timer.unref();
  }

  /** Waiting on our own side: not the remote's stall. */
  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * The two clocks of one download and the request they cut: `expired` says which fired, so the
 * error the cut causes (a reset socket) is reported as what it is.
 */
class TransferClock {
  expired: 'stall' | 'file' | null = null;
  private request: http.ClientRequest | null = null;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly fileTimer: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number,
    fileMs: number,
  ) {
    this.fileTimer = setTimeout(() => this.expire('file'), fileMs);
    this.fileTimer.unref();
  }

  /** One hop: resolves at the response's headers. */
  get(url: URL, headers: Record<string, string>, agent: http.Agent): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (this.expired) return reject(new Error('timed out'));
      const request = (url.protocol === 'https:' ? https : http).request(url, { method: 'GET', headers, agent });
      this.request = request;
      this.arm();
      request.once('response', (response) => {
        this.disarm();
        resolve(response);
      });
      request.once('error', (err) => {
        this.disarm();
        reject(err);
      });
      request.end();
    });
  }

  /** The remote owes us progress from now. */
  arm(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.expire('stall'), this.idleMs);
    this.stallTimer.unref();
  }

  disarm(): void {
    clearTimeout(this.stallTimer);
  }

  /** The download is over (done, failed or dropped): no clock runs any more. */
  stop(): void {
    this.disarm();
    clearTimeout(this.fileTimer);
  }

  private expire(which: 'stall' | 'file'): void {
    this.expired ??= which;
    this.stop();
    this.request?.destroy(new Error(`download cut: ${which}`));
  }
}

/** At most `max` bytes of `response` as text; the rest is not read. */
async function readCapped(response: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes >= max) break;
  }
  response.destroy();
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

export class StreamingHttp {
  readonly service: string;
  private readonly fetchImpl: typeof fetch;
  private readonly idleMs: number;
  private readonly fileTimeoutMs: number;
  private readonly now: () => number;

  constructor(options: StreamingHttpOptions) {
    this.service = options.service;
    this.fetchImpl = options.fetch ?? fetch;
    this.idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.fileTimeoutMs = options.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * GET `url` under the outbound policy (`guard`); resolves at the headers with the body as a
   * stream. A non-2xx is thrown as an `IntegrationError`; a URL (or redirect, or resolved
   * address) the policy refuses as an `OutboundRefusedError`, before a byte is sent there.
   * `operation` names the call in errors (never the URL: it can carry signatures and file names).
   *
   * Redirects are followed by hand, at most `MAX_REDIRECTS`, each hop checked like the first,
   * never from https to http. `credentials` go on the first hop only, and only when `scope`
   * accepts its URL (the API's own attachment paths): a redirect, even back to the API's own
   * origin, is followed without them, so a URL that bounces off an attacker's server cannot
   * make the bridge call its API with its key.
   *
   * Two clocks: `idleTimeoutMs` while the remote owes us progress (a retryable 'timeout'), and
   * `timeoutMs` (default `fileTimeoutMs`) for the whole file, headers to last byte, so a body
   * trickling one byte at a time is cut too (an `OutboundRefusedError` 'too-slow', not retried).
   */
  async download(operation: string, url: string, options: DownloadOptions): Promise<{ stream: Readable; size: number | null; contentType: string | null }> {
    const { guard, credentials } = options;
    const clock = new TransferClock(this.idleMs, options.timeoutMs ?? this.fileTimeoutMs);
    const fail = (err: unknown) => {
      clock.stop();
      return this.downloadError(operation, err, clock);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw fail(new PolicyRefusal('not-http'));
    }
    for (let hop = 0; ; hop++) {
      let response: IncomingMessage;
      try {
        guard.check(target);
        const headers = hop === 0 && credentials?.scope(target) ? credentials.headers : {};
        response = await clock.get(target, headers, guard.agentFor(target));
      } catch (err) {
        throw fail(err);
      }
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECTS.has(status) && location !== undefined) {
        response.destroy();
        if (hop >= MAX_REDIRECTS) throw fail(new PolicyRefusal('too-many-redirects'));
        let next: URL;
        try {
          next = new URL(location, target);
        } catch {
          throw fail(new PolicyRefusal('not-http'));
        }
        if (target.protocol === 'https:' && next.protocol !== 'https:') throw fail(new PolicyRefusal('https-to-http'));
        target = next;
        continue;
      }
      if (status < 200 || status >= 300) {
        const text = await readCapped(response, MAX_ERROR_BODY_BYTES).catch(() => '');
        clock.stop();
        throw this.statusErrorOf(operation, status, response.headers['retry-after'] ?? null, text);
      }
      const length = Number(response.headers['content-length']);
      const size = response.headers['content-length'] !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : null;
      return { stream: this.bodyOf(operation, response, clock), size, contentType: response.headers['content-type'] ?? null };
    }
  }

  /**
   * `method` `url` with `body` streamed as the request body (chunked unless `Content-Length` is
   * in `headers`). Resolves with the response, its body read as text; a non-2xx is thrown. If
   * `body` itself errors, that error is what is thrown.
   */
  async upload(
    operation: string,
    url: string,
    method: 'POST' | 'PUT',
    headers: Record<string, string>,
    body: Readable,
  ): Promise<{ status: number; text: string }> {
    const stall = new StallTimer(this.idleMs);
    const source = { error: null as unknown };
    const pulled = pullWithStallTimer(body, stall, source);
    try {
      // The remote's rate budget first (its wait is ours, not the remote's stall).
      await slotFor(this.fetchImpl, url);
      const response = await this.fetchImpl(url, {
        method,
        headers,
        body: pulled as unknown as RequestInit['body'],
        signal: stall.signal,
        // A redirect is not followed (it would carry the auth headers); as a 3xx it fails below.
        redirect: 'manual',
        // Node's fetch streams a request body only half-duplex; the type is missing from lib.dom.
        ...({ duplex: 'half' } as object),
      });
      stall.arm();
      const text = await response.text();
      if (!response.ok) throw await this.statusError(operation, response, text);
      return { status: response.status, text };
    } catch (err) {
      if (source.error) throw source.error;
      if (err instanceof IntegrationError) throw err;
      throw this.fetchError(operation, err);
    } finally {
      stall.disarm();
      if (!body.destroyed && !body.readableEnded) body.destroy();
    }
  }

  /** An `IntegrationError` of this service (e.g. a 2xx body that does not parse). */
  error(kind: IntegrationErrorKind, operation: string, detail: string, status: number | null = null, retryAfterMs: number | null = null): IntegrationError {
    return new IntegrationError(kind, this.service, operation, `${this.service} ${operation}: ${detail}`, status, retryAfterMs);
  }

  private fetchError(operation: string, err: unknown): IntegrationError {
    if (err instanceof IntegrationError) return err;
    const { kind, detail, retryAfterMs } = classifyFetchError(err);
    return this.error(kind, operation, detail, null, retryAfterMs);
  }

  private async statusError(operation: string, response: Response, text?: string): Promise<IntegrationError> {
    return this.statusErrorOf(operation, response.status, response.headers.get('retry-after'), text ?? (await response.text()));
  }

  private statusErrorOf(operation: string, status: number, retryAfter: string | null, text: string): IntegrationError {
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // Error bodies are optional (and storage answers XML); the status classifies.
    }
    const kind = kindForStatus(status);
    if (kind === 'rate-limited') reportRateLimited(this.service);
    const code = remoteErrorCode(body);
    const retryAfterMs = parseRetryAfter(retryAfter, this.now());
    const detail = `HTTP ${status}${code ? ` (remote code ${code})` : ''}`;
    return this.error(kind, operation, detail, status, retryAfterMs);
  }

  /** A failed download as an `IntegrationError`: the policy's refusals and the clocks first. */
  private downloadError(operation: string, err: unknown, clock: TransferClock): IntegrationError {
    if (clock.expired === 'file') return new OutboundRefusedError('too-slow', null, this.service, operation);
    if (clock.expired === 'stall') return this.error('timeout', operation, 'the remote made no progress within the idle timeout');
    if (err instanceof PolicyRefusal) return new OutboundRefusedError(err.reason, err.range, this.service, operation);
    return this.fetchError(operation, err);
  }

  /** The response body as a Node stream; the idle clock runs while a chunk is awaited, the file's clock throughout. */
  private bodyOf(operation: string, response: IncomingMessage, clock: TransferClock): Readable {
    const chunks = response[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const toError = (err: unknown) => this.downloadError(operation, err, clock);
    return new Readable({
      async read() {
        clock.arm();
        try {
          const { done, value } = await chunks.next();
          clock.disarm();
          if (done) {
            clock.stop();
            this.push(null);
          } else {
            this.push(value);
          }
        } catch (err) {
          clock.disarm();
          this.destroy(toError(err));
        }
      },
      destroy(err, callback) {
        clock.stop();
        response.destroy();
        callback(err);
      },
    });
  }
}

/**
 * Yields `body`'s chunks to fetch. The clock runs from a chunk handed over until fetch asks for
 * the next (the remote not taking bytes), not while `body` itself is slow (that is the download's
 * own clock). An error of `body` is kept in `source` so the caller throws it, not fetch's wrapper.
 */
async function* pullWithStallTimer(body: Readable, stall: StallTimer, source: { error: unknown }): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) {
      stall.arm();
      yield chunk as Buffer;
      stall.disarm();
    }
  } catch (err) {
    source.error = err;
    throw err;
  }
  // Then the remote owes the response.
  stall.arm();
}
