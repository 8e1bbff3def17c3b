/**
 * Zendesk files (zendesk-api.md, "Attachments"): a comment's `attachments[].content_url` is
 * downloaded with the API's own authentication; a file is attached by `POST /uploads.json
 * ?filename=` with the raw bytes, whose `token` then goes in `comment.uploads` of the ticket
 * create or update. Bytes stream through: nothing here holds a whole file.
 */
import { z } from 'zod';
import type { AttachmentDownload, AttachmentSink, AttachmentSource, AttachmentUpload, DownloadLimits, UploadedAttachment } from '../../ports/attachments';
import { downloadPolicyFor, OutboundGuard, type DownloadPolicyOptions } from '../http/outbound-policy';
import { StreamingHttp } from '../http/streaming';

/** Zendesk takes files of up to 50 MB. */
export const ZENDESK_MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024;

export interface ZendeskAttachmentsOptions {
  /** `https://{subdomain}.zendesk.com/api/v2` (the simulator: its `apiUrl`). */
  baseUrl: string;
  email: string;
  apiToken: string;
  /** How long Zendesk may stall mid-file. Default 30 s. */
  idleTimeoutMs?: number;
  /** The most one download may take. Default 2 minutes. */
  fileTimeoutMs?: number;
  /** Hosts and internal ranges downloads may reach beyond the account's own host and Zendesk's storage. */
  downloads?: DownloadPolicyOptions;
  fetch?: typeof fetch;
}

/**
 * Where Zendesk serves files from: `content_url` is on the account's own host and answers with a
 * 302 to a temporary URL on Zendesk's user-content domain ("Accessing end user uploaded
 * attachments", developer.zendesk.com); the reference warns it "may be hosted externally".
 */
export const ZENDESK_STORAGE_HOSTS: readonly string[] = ['*.zdusercontent.com'];

/** The path of a `content_url` on the account's own host: the only one the credentials go to. */
const CONTENT_PATH = '/attachments/';

const attachmentSchema = z.object({
  id: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String),
  file_name: z.string(),
  content_url: z.string(),
  content_type: z.string().nullish(),
  size: z.number().int().nonnegative(),
});

const uploadResponse = z.object({ upload: z.object({ token: z.string().min(1), attachment: attachmentSchema }) });

/** A file on a Zendesk comment, as the bridge needs it. */
export interface ZendeskAttachmentInfo {
  id: string;
  name: string;
  url: string;
  contentType: string | null;
  size: number;
}

/** An upload waiting for its comment: `token` goes in `comment.uploads`. */
export interface ZendeskUploaded extends UploadedAttachment {
  token: string;
  attachment: ZendeskAttachmentInfo;
}

/** Reads a comment's `attachments` array (unknown entries are skipped, never guessed at). */
export function zendeskAttachmentsOf(attachments: readonly unknown[] | undefined): ZendeskAttachmentInfo[] {
  const out: ZendeskAttachmentInfo[] = [];
  for (const a of attachments ?? []) {
    const parsed = attachmentSchema.safeParse(a);
    if (parsed.success) {
      const { id, file_name, content_url, content_type, size } = parsed.data;
      out.push({ id, name: file_name, url: content_url, contentType: content_type ?? null, size });
    }
  }
  return out;
}

export class ZendeskAttachments implements AttachmentSource, AttachmentSink {
  readonly service = 'zendesk';
  readonly maxBytes = ZENDESK_MAX_ATTACHMENT_BYTES;
  private readonly http: StreamingHttp;
  private readonly base: URL;
  private readonly authorization: string;
  private readonly guard: OutboundGuard;

  constructor(options: ZendeskAttachmentsOptions) {
    this.http = new StreamingHttp({ service: 'zendesk', idleTimeoutMs: options.idleTimeoutMs, fileTimeoutMs: options.fileTimeoutMs, fetch: options.fetch });
    this.guard = new OutboundGuard(downloadPolicyFor(options.baseUrl, ZENDESK_STORAGE_HOSTS, options.downloads));
    this.base = new URL(options.baseUrl.replace(/\/+$/, ''));
    this.authorization = `Basic ${Buffer.from(`${options.email}/token:${options.apiToken}`).toString('base64')}`;
  }

  /**
   * A comment attachment's `content_url`, under the download policy. The credentials go only to
   * the account's own `/attachments/` paths, on the first hop: the redirect to storage, or
   * anywhere else, gets none.
   */
  async download(contentUrl: string, limits: DownloadLimits = {}): Promise<AttachmentDownload> {
    const scope = (u: URL) => u.origin === this.base.origin && u.pathname.startsWith(CONTENT_PATH);
    const credentials = { headers: { authorization: this.authorization }, scope };
    return this.http.download('GET content_url', contentUrl, { guard: this.guard, credentials, timeoutMs: limits.timeoutMs });
  }

  /** `POST /uploads.json?filename=`: the token for `comment.uploads`, and the attachment it stands for. */
  async upload(file: AttachmentUpload): Promise<ZendeskUploaded> {
    const operation = 'POST /uploads.json';
    const url = new URL(`${this.base.href.replace(/\/+$/, '')}/uploads.json`);
    url.searchParams.set('filename', file.name);
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json', 'content-type': file.contentType };
    if (file.size !== null) headers['content-length'] = String(file.size);
    const { text } = await this.http.upload(operation, url.href, 'POST', headers, file.body);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.http.error('invalid-response', operation, 'response body is not JSON');
    }
    const parsed = uploadResponse.safeParse(json);
    if (!parsed.success) throw this.http.error('invalid-response', operation, 'unexpected response shape');
    const { token, attachment } = parsed.data.upload;
    const info = zendeskAttachmentsOf([attachment])[0]!;
    return { id: token, token, size: info.size, attachment: info };
  }
}
