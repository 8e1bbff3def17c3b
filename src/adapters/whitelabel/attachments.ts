/**
 * White-label files: a reply's `assets` are taken to be download URLs (strings, or objects with a
 * `url`; see docs/whitelabel.md), fetched under the download policy (the platform's own host
 * plus what `WHITELABEL_ATTACHMENT_HOSTS` adds). The API key goes only to the platform's own API
 * paths, on the first hop: an asset elsewhere (a CDN, signed storage), or any redirect, gets
 * none. The platform documents no way to attach a file to a reply, so the bridge uploads none:
 * an agent's files become lines.
 */
import type { AttachmentDownload, AttachmentSource, DownloadLimits, SourceFiles } from '../../ports/attachments';
import { connectAttachmentName, isUnder } from '../connect/attachments';
import { downloadPolicyFor, OutboundGuard, type DownloadPolicyOptions } from '../http/outbound-policy';
import { StreamingHttp } from '../http/streaming';

/** The platform documents no storage host: assets come from its own host unless configured. */
export const WHITELABEL_STORAGE_HOSTS: readonly string[] = [];

export interface WhitelabelAttachmentsOptions {
  baseUrl: string;
  apiKey: string;
  idleTimeoutMs?: number;
  fileTimeoutMs?: number;
  downloads?: DownloadPolicyOptions;
  fetch?: typeof fetch;
}

export class WhitelabelAttachments implements AttachmentSource {
  readonly service = 'whitelabel';
  private readonly http: StreamingHttp;
  private readonly base: URL;
  private readonly guard: OutboundGuard;

  constructor(private readonly options: WhitelabelAttachmentsOptions) {
    this.http = new StreamingHttp({ service: 'whitelabel', idleTimeoutMs: options.idleTimeoutMs, fileTimeoutMs: options.fileTimeoutMs, fetch: options.fetch });
    this.base = new URL(options.baseUrl.replace(/\/+$/, ''));
    this.guard = new OutboundGuard(downloadPolicyFor(options.baseUrl, WHITELABEL_STORAGE_HOSTS, options.downloads));
  }

  async download(url: string, limits: DownloadLimits = {}): Promise<AttachmentDownload> {
    const credentials = { headers: { authorization: `Bearer ${this.options.apiKey}` }, scope: (u: URL) => isUnder(u, this.base) };
    return this.http.download('GET asset', url, { guard: this.guard, credentials, timeoutMs: limits.timeoutMs });
  }
}

/** The platform's files: downloads only (no `sinkFor`). A name is the URL's last path segment. */
export function whitelabelFiles(options: WhitelabelAttachmentsOptions): SourceFiles {
  return { from: new WhitelabelAttachments(options), nameOf: connectAttachmentName };
}
