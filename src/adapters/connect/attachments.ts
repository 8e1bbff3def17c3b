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
  type AttachmentSink,
  type AttachmentSource,
  type AttachmentUpload,
  type UploadedAttachment,
} from '../../ports/attachments';
import { IntegrationError } from '../../ports/errors';
import { HttpClient } from '../http';
import { StreamingHttp } from '../http/streaming';

export interface ConnectAttachmentsOptions {
  /** e.g. 'https://connect.clever.gy' (the simulator: its `url`). */
  baseUrl: string;
  apiKey: string;
  /** For the JSON call (the upload URL). Default 10 s. */
  timeoutMs?: number;
  /** How long a download or upload may stall mid-file. Default 30 s. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

const uploadUrlResponse = z.object({ url: z.string().url() });

/** The file name a Connect attachment URL names: its last path segment, decoded. */
export function connectAttachmentName(url: string): string {
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

  constructor(options: ConnectAttachmentsOptions) {
    this.base = new URL(options.baseUrl.replace(/\/+$/, ''));
    this.apiKey = options.apiKey;
    this.json = new HttpClient({
      service: 'connect',
      baseUrl: options.baseUrl,
      headers: { 'clevergy-api-key': options.apiKey },
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
    });
    this.http = new StreamingHttp({ service: 'connect', idleTimeoutMs: options.idleTimeoutMs, fetch: options.fetch });
  }

  /**
   * One of a comment's attachment URLs. The API key goes only to the API's own host: a URL
   * elsewhere (signed storage) is fetched without it.
   */
  async download(url: string): Promise<AttachmentDownload> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw this.http.error('bad-request', 'GET attachment', 'not a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw this.http.error('bad-request', 'GET attachment', 'not an http(s) URL');
    return this.http.download('GET attachment', parsed.href, { 'clevergy-api-key': this.apiKey }, this.base.origin);
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
