/**
 * Streaming HTTP for file transfers: downloads as Node `Readable`s and uploads from them, over
 * the global (undici) fetch with `duplex: 'half'`, never holding a whole file. `HttpClient` is
 * for JSON and times a whole exchange; a file of tens of MB needs a timeout on *stalls* instead:
 * here the clock runs only while the remote owes us something (headers, the next chunk of a
 * download, taking the next chunk of an upload), not while our own side is slow.
 */
import { Readable } from 'node:stream';
import { IntegrationError, type IntegrationErrorKind } from '../../ports/errors';
import { classifyFetchError, kindForStatus, remoteErrorCode } from './classify';
import { parseRetryAfter } from './retry-after';

export interface StreamingHttpOptions {
  /** Names the remote in errors ('connect', 'zendesk'). */
  service: string;
  /** How long the remote may stall (no headers, no chunk taken or given). Default 30 s. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

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

export class StreamingHttp {
  readonly service: string;
  private readonly fetchImpl: typeof fetch;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(options: StreamingHttpOptions) {
    this.service = options.service;
    this.fetchImpl = options.fetch ?? fetch;
    this.idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * GET `url`; resolves at the headers with the body as a stream. A non-2xx is thrown as an
   * `IntegrationError` (its body read and dropped). `operation` names the call in errors
   * (never the URL: it can carry signatures and file names). `credentials` (auth headers) go
   * only to `credentialsOrigin`: redirects are followed here, and one to storage elsewhere is
   * followed without them.
   */
  async download(
    operation: string,
    url: string,
    credentials: Record<string, string>,
    credentialsOrigin: string,
  ): Promise<{ stream: Readable; size: number | null; contentType: string | null }> {
    const stall = new StallTimer(this.idleMs);
    stall.arm();
    let response: Response;
    try {
      let target = new URL(url);
      for (let hop = 0; ; hop++) {
        const headers = target.origin === credentialsOrigin ? credentials : {};
        response = await this.fetchImpl(target, { method: 'GET', headers, redirect: 'manual', signal: stall.signal });
        const location = response.headers.get('location');
        if (response.status < 300 || response.status >= 400 || location === null) break;
        await response.body?.cancel();
        if (hop >= 5) throw this.error('invalid-response', operation, 'too many redirects');
        target = new URL(location, target);
        if (target.protocol !== 'https:' && target.protocol !== 'http:') throw this.error('invalid-response', operation, 'redirect to a non-http URL');
      }
    } catch (err) {
      stall.disarm();
      throw this.fetchError(operation, err);
    }
    stall.disarm();
    if (!response.ok) throw await this.statusError(operation, response);
    const length = Number(response.headers.get('content-length'));
    const size = response.headers.has('content-length') && Number.isSafeInteger(length) && length >= 0 ? length : null;
    const stream = response.body ? this.bodyStream(operation, response.body, stall) : Readable.from([]);
    return { stream, size, contentType: response.headers.get('content-type') };
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
      const response = await this.fetchImpl(url, {
        method,
        headers,
        body: pulled as unknown as RequestInit['body'],
        signal: stall.signal,
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
    const { kind, detail } = classifyFetchError(err);
    return this.error(kind, operation, detail);
  }

  private async statusError(operation: string, response: Response, text?: string): Promise<IntegrationError> {
    let body: unknown = null;
    try {
      body = JSON.parse(text ?? (await response.text()));
    } catch {
      // Error bodies are optional (and storage answers XML); the status classifies.
    }
    const code = remoteErrorCode(body);
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.now());
    const detail = `HTTP ${response.status}${code ? ` (remote code ${code})` : ''}`;
    return this.error(kindForStatus(response.status), operation, detail, response.status, retryAfterMs);
  }

  /** The response body as a Node stream; the stall clock runs while a chunk is awaited. */
  private bodyStream(operation: string, body: ReadableStream<Uint8Array>, stall: StallTimer): Readable {
    const reader = body.getReader();
    const toError = (err: unknown) => this.fetchError(operation, err);
    return new Readable({
      async read() {
        stall.arm();
        try {
          const { done, value } = await reader.read();
          stall.disarm();
          if (done) this.push(null);
          else this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        } catch (err) {
          stall.disarm();
          this.destroy(toError(err));
        }
      },
      destroy(err, callback) {
        stall.disarm();
        reader.cancel().then(
          () => callback(err),
          () => callback(err),
        );
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
