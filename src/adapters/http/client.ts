import type { z } from 'zod';
import { IntegrationError } from '../../ports/errors';
import { slotFor } from './budgeted-fetch';
import { classifyFetchError, kindForStatus, remoteErrorCode } from './classify';
import { reportRateLimited } from './rate-limit-hits';
import { parseRetryAfter } from './retry-after';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * An operation is a method plus a path *template*: 'GET /tickets/{id}'. The client fills the
 * `{placeholders}` from `params`, so the template itself is what ends up in errors — never a URL
 * with ids, tokens or query strings in it.
 */
export type Operation = `${HttpMethod} /${string}`;

export interface HttpClientOptions {
  /** Names the remote in errors ('connect', 'zendesk'). */
  service: string;
  /** Prefix for every path, e.g. 'https://acme.zendesk.com/api/v2'. */
  baseUrl: string;
  /** Sent with every request (auth). Never logged nor echoed in errors. */
  headers?: Record<string, string>;
  /** Per request, covering connect, headers and body. Default 10 s. */
  timeoutMs?: number;
  /** Defaults to the global (undici) fetch; a worker's is its rate budget's (./budgeted-fetch.ts). */
  fetch?: typeof fetch;
  /** Clock for `Retry-After` HTTP dates. */
  now?: () => number;
}

export interface RequestOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * A server-provided absolute link to request instead of the template path (pagination's
   * `next_page`). It must point under `baseUrl`: the auth headers go with it.
   */
  url?: string;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A small JSON-over-HTTP client shared by every adapter: one place that sets the timeout, parses
 * and validates responses, and turns every failure into a classified `IntegrationError`.
 */
export class HttpClient {
  private readonly base: URL;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HttpClientOptions) {
    this.base = new URL(options.baseUrl.replace(/\/+$/, ''));
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /** Perform `operation`, validate a 2xx body with `schema`; throws `IntegrationError` otherwise. */
  async request<S extends z.ZodType>(
    operation: Operation,
    schema: S,
    opts: RequestOptions = {},
  ): Promise<HttpResponse<z.output<S>>> {
    const method = operation.slice(0, operation.indexOf(' ')) as HttpMethod;
    const url = opts.url !== undefined ? this.checkedLink(operation, opts.url) : this.urlFor(operation, opts);
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    let text: string;
    try {
      // The remote's rate budget first: the timeout below is the remote's, not the wait's.
      await slotFor(this.fetchImpl, url);
      // One signal for the whole exchange: a server that sends headers and then stalls the body
      // must time out too.
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(this.timeoutMs),
        // Never followed: a redirect would carry the API key (Node drops `Authorization` on a
        // cross-origin hop, but not `clevergy-api-key`) wherever the answer points.
        redirect: 'manual',
      });
      text = await response.text();
    } catch (err) {
      const { kind, detail, retryAfterMs } = classifyFetchError(err);
      throw this.error(kind, operation, detail, null, retryAfterMs);
    }

    if (response.status >= 300 && response.status < 400) {
      // Not retryable: the same request gets the same answer; the configured URL needs fixing.
      const detail = `HTTP ${response.status}: the API answered with a redirect, which is not followed (check the configured API URL)`;
      throw this.error('bad-request', operation, detail, response.status);
    }
    if (!response.ok) throw this.statusError(operation, response, text);
    return { status: response.status, headers: response.headers, data: this.parse(operation, schema, text) };
  }

  private urlFor(operation: Operation, opts: RequestOptions): URL {
    const template = operation.slice(operation.indexOf(' ') + 1);
    if (template.includes('?')) throw new Error(`operation must be a path template without a query: ${operation}`);
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = opts.params?.[name];
      if (value === undefined) throw new Error(`missing path parameter '${name}' for ${operation}`);
      return encodeURIComponent(value);
    });
    const url = new URL(this.base.href.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(opts.query ?? {})) url.searchParams.set(key, value);
    return url;
  }

  private checkedLink(operation: Operation, link: string): URL {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      throw this.error('invalid-response', operation, 'unparsable pagination link', null);
    }
    const basePath = this.base.pathname.replace(/\/+$/, '') + '/';
    if (url.origin !== this.base.origin || !url.pathname.startsWith(basePath)) {
      throw this.error('invalid-response', operation, 'pagination link outside the API base URL', null);
    }
    return url;
  }

  private parse<S extends z.ZodType>(operation: Operation, schema: S, text: string): z.output<S> {
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw this.error('invalid-response', operation, 'response body is not JSON', null);
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      // Paths and issue codes only: the values are remote data (possibly personal).
      const where = result.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`)
        .join('; ');
      throw this.error('invalid-response', operation, `unexpected response shape (${where})`, null);
    }
    return result.data;
  }

  private statusError(operation: Operation, response: Response, text: string): IntegrationError {
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // Error bodies are optional; the status alone classifies the failure.
    }
    const kind = kindForStatus(response.status);
    if (kind === 'rate-limited') reportRateLimited(this.options.service);
    const code = remoteErrorCode(body);
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.now());
    const detail = `HTTP ${response.status}${code ? ` (remote code ${code})` : ''}`;
    return this.error(kind, operation, detail, response.status, retryAfterMs);
  }

  private error(
    kind: IntegrationError['kind'],
    operation: Operation,
    detail: string,
    status: number | null,
    retryAfterMs: number | null = null,
  ): IntegrationError {
    const { service } = this.options;
    return new IntegrationError(kind, service, operation, `${service} ${operation}: ${detail}`, status, retryAfterMs);
  }
}

/** `null` for a 404, so "the ticket does not exist" reads as a value, not a failure. */
export async function nullIfNotFound<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof IntegrationError && err.kind === 'not-found') return null;
    throw err;
  }
}
