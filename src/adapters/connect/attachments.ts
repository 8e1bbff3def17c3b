/**
 * Connect files (connect-tickets-api.md): a `Comment`'s `attachments` is an array of strings,
 * taken to be the files' download URLs (the API says no more; a URL is the only reading that
 * lets an integrator fetch a file, and the white-label events carry URLs too). A file is
 * attached by `POST /comments/{commentId}/attachment-upload-url` `{ fileName }` → `{ url }`, a
 * signed URL valid 15 minutes, then `PUT` of the bytes to it. Bytes stream through.
 */
import { z } from 'zod';
import {
  UploadUrlExpiredError,
  type AttachmentDownload,
  type DownloadLimits,
  type AttachmentSink,
  type AttachmentSource,
  type AttachmentUpload,
  type UploadedAttachment,
} from '../../ports/attachments';
import { IntegrationError } from '../../ports/errors';
import { HttpClient } from '../http';
import { downloadPolicyFor, OutboundGuard, type DownloadPolicyOptions } from '../http/outbound-policy';
import { StreamingHttp } from '../http/streaming';
import { safeFileName } from '../../domain/file-names';

export interface ConnectAttachmentsOptions {
  /** e.g. 'https://connect.clever.gy' (the simulator: its `url`). */
  baseUrl: string;
  apiKey: string;
  /** For the JSON call (the upload URL). Default 10 s. */
  timeoutMs?: number;
  /** How long a download or upload may stall mid-file. Default 30 s. */
  idleTimeoutMs?: number;
  /** The most one download may take. Default 2 minutes. */
  fileTimeoutMs?: number;
  /** Hosts and internal ranges downloads may reach beyond the API's own host. */
  downloads?: DownloadPolicyOptions;
  fetch?: typeof fetch;
}

/** Connect documents no storage host: its files come from its own host unless configured. */
export const CONNECT_STORAGE_HOSTS: readonly string[] = [];

const uploadUrlResponse = z.object({ url: z.string().url() });

/** The file name a Connect attachment URL names: its last path segment, decoded, made safe (see `safeFileName`). */
export function connectAttachmentName(url: string): string {
  return safeFileName(lastSegment(url));
}

function lastSegment(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split(/[?#]/)[0] ?? url;
  }
  const last = path.split('/').filter((s) => s !== '').at(-1) ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

export class ConnectAttachments implements AttachmentSource {
  readonly service = 'connect';
  private readonly json: HttpClient;
  private readonly http: StreamingHttp;
  private readonly base: URL;
  private readonly apiKey: string;
  private readonly guard: OutboundGuard;

  constructor(options: ConnectAttachmentsOptions) {
    this.base = new URL(options.baseUrl.replace(/\/+$/, ''));
    this.apiKey = options.apiKey;
    this.guard = new OutboundGuard(downloadPolicyFor(options.baseUrl, CONNECT_STORAGE_HOSTS, options.downloads));
    this.json = new HttpClient({
      service: 'connect',
      baseUrl: options.baseUrl,
      headers: { 'clevergy-api-key': options.apiKey },
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
    });
    this.http = new StreamingHttp({ service: 'connect', idleTimeoutMs: options.idleTimeoutMs, fileTimeoutMs: options.fileTimeoutMs, fetch: options.fetch });
  }

  /**
   * One of a comment's attachment URLs, under the download policy. The API key goes only to the
   * API's own paths, on the first hop: never to storage, never after a redirect.
   */
  async download(url: string, limits: DownloadLimits = {}): Promise<AttachmentDownload> {
    const credentials = { headers: { 'clevergy-api-key': this.apiKey }, scope: (u: URL) => isUnder(u, this.base) };
    return this.http.download('GET attachment', url, { guard: this.guard, credentials, timeoutMs: limits.timeoutMs });
  }

  /** `POST /comments/{commentId}/attachment-upload-url`: a signed URL to PUT one file to. */
  async uploadUrl(commentId: string, fileName: string): Promise<string> {
    const res = await this.json.request('POST /comments/{commentId}/attachment-upload-url', uploadUrlResponse, {
      params: { commentId },
      body: { fileName },
    });
    return res.data.url;
  }

  /**
   * Attaches a file to a comment: a fresh signed URL, then the bytes PUT to it. A 403 from the
   * signed URL is an `UploadUrlExpiredError` (the body is spent by then: the caller starts over
   * with a new download and a new URL). `id` is `{commentId}/{fileName}`.
   */
  async upload(commentId: string, file: AttachmentUpload): Promise<UploadedAttachment> {
    let url: string;
    try {
      url = await this.uploadUrl(commentId, file.name);
    } catch (err) {
      file.body.destroy();
      throw err;
    }
    const operation = 'PUT upload-url';
    const headers: Record<string, string> = { 'content-type': file.contentType };
    if (file.size !== null) headers['content-length'] = String(file.size);
    try {
      await this.http.upload(operation, url, 'PUT', headers, file.body);
    } catch (err) {
      if (err instanceof IntegrationError && err.service === 'connect' && err.status === 403) {
        throw new UploadUrlExpiredError('connect', operation, 403);
      }
      throw err;
    }
    return { id: `${commentId}/${file.name}`, size: null };
  }

  /** The sink for one comment's files. */
  sink(commentId: string): AttachmentSink {
    return { service: this.service, maxBytes: null, upload: (file) => this.upload(commentId, file) };
  }
}

/** Whether `url` is on `base`'s origin, at or under its path (the API's own paths). */
export function isUnder(url: URL, base: URL): boolean {
  const basePath = base.pathname.replace(/\/+$/, '') + '/';
  return url.origin === base.origin && (url.pathname + '/').startsWith(basePath);
}
