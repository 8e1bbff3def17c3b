/**
 * Moving files between the remotes: a side a file is downloaded from, and a place it is uploaded
 * to. Bytes stream through; nothing here holds a whole file. Failures are `IntegrationError`s
 * (ports/errors.ts), classified as everywhere else: 5xx, 429 and dropped connections retryable,
 * other 4xx (413 included) for good.
 */
import type { Readable } from 'node:stream';
import { IntegrationError } from './errors';

/** A download in progress: the body, unread, and what the response headers said of it. */
export interface AttachmentDownload {
  /** Errors (an `IntegrationError`) if the connection fails or stalls mid-file. */
  stream: Readable;
  /** `Content-Length`; null when the remote sent none. */
  size: number | null;
  /** `Content-Type` as sent (parameters and all); null when none. */
  contentType: string | null;
}

/** What one download may take. */
export interface DownloadLimits {
  timeoutMs?: number;
}

/** Where files are downloaded from: the URLs a side lists on its comments. */
export interface AttachmentSource {
  /** 'connect', 'zendesk': names the remote in errors and logs. */
  readonly service: string;
  /**
   * Starts the download: resolves once the headers are in. Throws `IntegrationError`. `timeoutMs`
   * bounds the whole file (headers to last byte); default the adapter's own limit.
   */
  download(url: string, options?: DownloadLimits): Promise<AttachmentDownload>;
}

/** A file to upload. `body` is consumed exactly once. */
export interface AttachmentUpload {
  name: string;
  contentType: string;
  /** Sent as `Content-Length` when known (signed storage URLs want it); else the body is chunked. */
  size: number | null;
  body: Readable;
}

/** What the target made of an upload. */
export interface UploadedAttachment {
  /**
   * What the caller binds or records: Zendesk, the upload token for `comment.uploads`; Connect,
   * `{commentId}/{fileName}` (the file is on the comment already).
   */
  id: string;
  /** Bytes the target says it stored, when it says (Zendesk does). */
  size: number | null;
}

/** One place files go to: Zendesk's uploads, or one Connect comment. */
export interface AttachmentSink {
  readonly service: string;
  /** The largest file the target takes (Zendesk: 50 MB); null when it does not say. */
  readonly maxBytes: number | null;
  /**
   * Why `maxBytes` is what it is, when that is not a plain per-file limit: the line of a file
   * over it says this instead of "over the N MB limit" (Freshdesk: what is left of the ticket's 20 MB).
   */
  readonly limitNote?: string;
  /** Throws `IntegrationError`; `UploadUrlExpiredError` when a signed URL had expired. */
  upload(file: AttachmentUpload): Promise<UploadedAttachment>;
}

/**
 * A signed upload URL refused as expired (or otherwise no longer valid). Not retryable as such:
 * the body stream is spent, so the whole transfer is redone with a fresh URL, once.
 */
export class UploadUrlExpiredError extends IntegrationError {
  constructor(service: string, operation: string, status: number) {
    super('forbidden', service, operation, `${service} ${operation}: HTTP ${status} (the signed upload URL was refused, likely expired)`, status);
  }
}

/** Why a download was refused without a remote's say: by the outbound policy, or cut as too slow. */
export type DownloadRefusal = 'not-http' | 'host-not-allowed' | 'address-not-allowed' | 'https-to-http' | 'too-many-redirects' | 'too-slow';

/**
 * A download the outbound policy refused (a host or address not allowed, https → http, too
 * many redirects) or cut (too slow as a whole). Never retried: the same URL gets the same answer.
 */
export class OutboundRefusedError extends IntegrationError {
  constructor(
    readonly reason: DownloadRefusal,
    /** The internal range an address was in ('loopback', 'metadata'...), never the address. */
    readonly range: string | null,
    service: string,
    operation: string,
  ) {
    super('forbidden', service, operation, `${service} ${operation}: refused by the outbound policy (${reason}${range ? `, ${range}` : ''})`);
  }
}

/**
 * A ticket source's files: where its comments' attachment URLs are downloaded, and, when the
 * source takes files from the bridge, where a comment's files are uploaded (Connect: one sink
 * per comment, as its upload URLs are per comment). A source without `sinkFor` takes none: an
 * agent's files become "not transferred" lines there.
 */
export interface SourceFiles {
  readonly from: AttachmentSource;
  sinkFor?(commentId: string): AttachmentSink;
  /** The file name one of its attachment URLs stands for. */
  nameOf(url: string): string;
}

/** The CRM's files: downloads of its comments' attachments, uploads for a comment to bind. */
export type CrmFiles = AttachmentSource & AttachmentSink;
