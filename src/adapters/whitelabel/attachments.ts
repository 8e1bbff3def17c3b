/**
 * White-label files: a reply's `assets` are taken to be download URLs (strings, or objects with a
 * `url`; see docs/whitelabel.md). The API key goes only to the platform's own API host: an asset
 * elsewhere (a CDN, signed storage) is fetched without it. The platform documents no way to
 * attach a file to a reply, so the bridge uploads none: an agent's files become lines.
 */
import type { AttachmentDownload, AttachmentSource, SourceFiles } from '../../ports/attachments';
import { connectAttachmentName } from '../connect/attachments';
import { StreamingHttp } from '../http/streaming';

export class WhitelabelAttachments implements AttachmentSource {
  readonly service = 'whitelabel';
  private readonly http: StreamingHttp;
  private readonly origin: string;

  constructor(private readonly options: { baseUrl: string; apiKey: string; idleTimeoutMs?: number; fetch?: typeof fetch }) {
    this.http = new StreamingHttp({ service: 'whitelabel', idleTimeoutMs: options.idleTimeoutMs, fetch: options.fetch });
    this.origin = new URL(options.baseUrl).origin;
  }

  async download(url: string): Promise<AttachmentDownload> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw this.http.error('bad-request', 'GET asset', 'not a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw this.http.error('bad-request', 'GET asset', 'not an http(s) URL');
    return this.http.download('GET asset', parsed.href, { authorization: `Bearer ${this.options.apiKey}` }, this.origin);
  }
}

/** The platform's files: downloads only (no `sinkFor`). A name is the URL's last path segment. */
export function whitelabelFiles(options: { baseUrl: string; apiKey: string; fetch?: typeof fetch }): SourceFiles {
  return { from: new WhitelabelAttachments(options), nameOf: connectAttachmentName };
}
