/**
 * Copies one file from one remote to the other: download, then upload, streamed, never held
 * whole in memory. The bytes pass through a transform that hashes (sha256) and counts them, and
 * stops the copy the moment it goes over the size limit. What comes back is what the bridge
 * records: ids, the name, the size, the type and the hash, never bytes.
 *
 * Not an activity by itself: the comment-writing activities call it once per file (see
 * ./comment-files.ts). Its contract with that caller:
 * - A file that cannot be copied for good (too large, a type not allowed or not what its bytes
 *   are, a URL the outbound policy refuses, refused by either side) is a result,
 *   `transferred: false`, with the line to put in the mirrored comment. The line says what
 *   the bridge decided, never what a remote answered (no status, no type it sent): a URL can
 *   point anywhere, and the line is read by whoever wrote it.
 * - The bytes are checked before the upload starts: the first ones against the declared type
 *   (../domain/file-signatures.ts), all of a text file for NUL bytes while it streams. The
 *   name is reduced to a safe basename with the extension of the type it travels as.
 * - A failure that may pass (5xx, 429, a dropped connection, a stall) is thrown as a retryable
 *   `IntegrationError`: the caller lets Temporal retry, and on the last attempt turns it into
 *   `notTransferredLine(..., { reason: 'failed' })` rather than leaving the ticket stuck.
 * - A retry must not attach a file twice: the caller passes what the target already has
 *   (`existing`), and a file with the same name and size there is not copied again.
 * - An expired signed upload URL (Connect) is handled here: the copy starts over once, with a
 *   new download and a new URL.
 *
 * File names are personal data: logs get sizes, types, hashes and services only.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { nameForType, safeFileName } from '../domain/file-names';
import { isTextType, SIGNATURE_BYTES, verifiedType } from '../domain/file-signatures';
import {
  DEFAULT_ALLOWED_TYPES,
  DEFAULT_ATTACHMENT_MAX_BYTES,
  effectiveContentType,
  findAttached,
  formatBytes,
  isTypeAllowed,
  notTransferredLine,
  type AttachedFile,
  type NotTransferredReason,
} from '../domain/attachments';
import { OutboundRefusedError, UploadUrlExpiredError, type AttachmentDownload, type AttachmentSink, type AttachmentSource } from '../ports/attachments';
import { IntegrationError } from '../ports/errors';

/** A file as the source's comment lists it. */
export interface TransferFile {
  /** Where `from` downloads it (Zendesk `content_url`; a Connect attachment string). */
  url: string;
  name: string;
  /** As the source lists it (Zendesk does): a file over the limit is then refused before any byte moves. */
  size?: number | null;
  /** As the source lists it; else the download's `Content-Type` (or the name's extension when generic). */
  contentType?: string | null;
}

/** Only fields that are safe to log: no names, no URLs. */
export interface TransferLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface TransferAttachmentInput {
  from: AttachmentSource;
  to: AttachmentSink;
  file: TransferFile;
  /**
   * What the target already has: the mirrored comment's files when it was written before (a
   * retry), else nothing. A file with the same name and size there is not copied again.
   */
  existing?: readonly AttachedFile[];
  /** `ATTACHMENT_MAX_BYTES` (default 20 MB); the target's own limit applies when lower. */
  maxBytes?: number;
  /** What is left of the comment's `ATTACHMENT_MAX_COMMENT_BYTES`, and that limit itself (for the line). */
  commentBytes?: { left: number; limit: number };
  /** The most the download may take (`ATTACHMENT_FILE_TIMEOUT`, or less when the comment's time runs out). */
  timeoutMs?: number;
  /** Content types copied (default: images, PDF, plain text, office documents). */
  allowedTypes?: readonly string[];
  logger?: TransferLogger;
}

export type TransferResult =
  | {
      transferred: true;
      /** false: copied now. true: the target had it already (a retry); nothing was downloaded. */
      duplicate: false;
      name: string;
      size: number;
      contentType: string;
      /** Hex sha256 of the bytes that went through. */
      sha256: string;
      /** Zendesk: the upload token for `comment.uploads`. Connect: `{commentId}/{fileName}`. */
      targetId: string;
    }
  | {
      transferred: true;
      duplicate: true;
      name: string;
      size: number | null;
      contentType: string | null;
      sha256: null;
      targetId: null;
    }
  | {
      transferred: false;
      reason: NotTransferredReason;
      name: string;
      size: number | null;
      contentType: string | null;
      /** For the mirrored comment and the timeline, e.g. "attachment invoice.pdf (31 MB) not transferred: over the 20 MB limit". */
      line: string;
    };

/** Streams `file` from `from` to `to`; see the module comment for what is returned and what is thrown. */
export async function transferAttachment(input: TransferAttachmentInput): Promise<TransferResult> {
  const { from, to, file, existing = [], allowedTypes = DEFAULT_ALLOWED_TYPES, logger, commentBytes } = input;
  const fileLimit = Math.min(input.maxBytes ?? DEFAULT_ATTACHMENT_MAX_BYTES, to.maxBytes ?? Number.POSITIVE_INFINITY);
  // The target's own limit binds, and it says why (Freshdesk: what is left of a ticket's 20 MB).
  const sinkLimitNote = to.maxBytes !== null && to.maxBytes < (input.maxBytes ?? DEFAULT_ATTACHMENT_MAX_BYTES) ? (to.limitNote ?? null) : null;
  const limit = Math.min(fileLimit, commentBytes?.left ?? Number.POSITIVE_INFINITY);
  let name = safeFileName(file.name);
  const listedSize = file.size ?? null;
  const log = { from: from.service, to: to.service };

  const refuse = (reason: 'too-large' | 'type-not-allowed', size: number | null, contentType: string | null, why?: string): TransferResult => {
    logger?.info({ ...log, outcome: reason, size, contentType, maxBytes: limit, ...(why && { why }) }, 'attachment not transferred');
    const facts = { name, size, contentType };
    const line =
      reason === 'type-not-allowed'
        ? notTransferredLine(facts, { reason })
        : size !== null && size <= fileLimit && commentBytes
          ? notTransferredLine(facts, { reason: 'failed', detail: `the message's files are over the ${formatBytes(commentBytes.limit)} limit together` })
          : sinkLimitNote !== null
            ? notTransferredLine(facts, { reason: 'failed', detail: sinkLimitNote })
            : notTransferredLine(facts, { reason, maxBytes: fileLimit });
    return { transferred: false, reason, name, size, contentType, line };
  };
  const duplicate = (size: number | null, contentType: string | null): TransferResult => {
    logger?.info({ ...log, outcome: 'already-attached', size, contentType }, 'attachment already on the target');
    return { transferred: true, duplicate: true, name, size, contentType, sha256: null, targetId: null };
  };

  // What the source's listing already tells: refused or found without moving a byte.
  const listedType = file.contentType ? effectiveContentType(file.contentType, name) : null;
  // What is known of the file so far (the download's headers add to the listing).
  const known = { size: listedSize, contentType: listedType };
  if (listedSize !== null && listedSize > limit) return refuse('too-large', listedSize, listedType);
  if (listedType !== null && !isTypeAllowed(listedType, allowedTypes)) return refuse('type-not-allowed', listedSize, listedType);
  if (listedSize !== null && listedType !== null && findAttached(existing, nameForType(name, listedType), listedSize)) {
    name = nameForType(name, listedType);
    return duplicate(listedSize, listedType);
  }

  for (let attempt = 1; ; attempt++) {
    try {
      return await copyOnce();
    } catch (err) {
      if (err instanceof UploadUrlExpiredError && attempt === 1) {
        logger?.warn({ ...log, status: err.status }, 'attachment upload URL refused as expired; starting over with a new one');
        continue;
      }
      if (err instanceof IntegrationError && !err.retryable) {
        const refusal = err instanceof OutboundRefusedError ? { refusal: err.reason, range: err.range } : {};
        logger?.warn({ ...log, outcome: 'failed', kind: err.kind, status: err.status, service: err.service, ...refusal }, 'attachment not transferred');
        const facts = { name, ...known };
        const line = notTransferredLine(facts, { reason: 'failed', detail: failedDetail(err, from, to) });
        return { transferred: false, reason: 'failed', ...facts, line };
      }
      const kind = err instanceof IntegrationError ? err.kind : 'unexpected';
      logger?.warn({ ...log, kind, retryable: true }, 'attachment transfer failed; to be retried');
      throw err;
    }
  }

  async function copyOnce(): Promise<TransferResult> {
    const download: AttachmentDownload = await from.download(file.url, { timeoutMs: input.timeoutMs });
    const size = listedSize ?? download.size;
    const declared = effectiveContentType(file.contentType ?? download.contentType, name);
    Object.assign(known, { size, contentType: declared });
    // Destroying the download ends its connection (and its clocks); `readHead`'s stream is over it.
    const drop = (result: TransferResult) => {
      download.stream.destroy();
      return result;
    };
    if (!isTypeAllowed(declared, allowedTypes)) return drop(refuse('type-not-allowed', size, declared));
    if (size !== null && size > limit) return drop(refuse('too-large', size, declared));

    // The bytes decide what the file is; its name then says so.
    const { head, stream } = await readHead(download.stream, SIGNATURE_BYTES);
    const contentType = verifiedType(declared, head);
    if (contentType === null) return drop(refuse('type-not-allowed', size, declared, 'content does not match the declared type'));
    if (!isTypeAllowed(contentType, allowedTypes)) return drop(refuse('type-not-allowed', size, contentType, 'content is of another type'));
    name = nameForType(name, contentType);
    Object.assign(known, { contentType });
    if (listedSize === null && size !== null && findAttached(existing, name, size)) return drop(duplicate(size, contentType));
    // Without a size from either side, a same-name file on the target is still this one.
    if (size === null && findAttached(existing, name, null)) return drop(duplicate(null, contentType));

    const meter = new HashingMeter(limit, isTextType(contentType));
    // Source errors (a dropped download) reach the upload through the meter.
    pipeline(stream, meter, () => {});
    let uploaded;
    try {
      uploaded = await to.upload({ name, contentType, size, body: meter });
    } catch (err) {
      stream.destroy();
      if (meter.overLimit) return refuse('too-large', meter.bytes, contentType);
      if (meter.notText) return refuse('type-not-allowed', size, contentType, 'a text file holds a NUL byte');
      throw err;
    }
    if ((size !== null && meter.bytes !== size) || (uploaded.size !== null && uploaded.size !== meter.bytes)) {
      // Not what was announced, or not what the target kept: copy again.
      throw new IntegrationError('invalid-response', to.service, 'upload', `${to.service} upload: size mismatch after the copy`);
    }
    const sha256 = meter.digest();
    logger?.info({ ...log, outcome: 'transferred', size: meter.bytes, contentType, sha256 }, 'attachment transferred');
    return { transferred: true, duplicate: false, name, size: meter.bytes, contentType, sha256, targetId: uploaded.id };
  }
}

/**
 * The first `max` bytes of `source` (fewer if it ends sooner), and a stream of all of it, those
 * bytes included. Destroying the stream destroys `source`; an error of `source` is the stream's.
 */
export async function readHead(source: Readable, max: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const read: Buffer[] = [];
  let bytes = 0;
  let ended = false;
  try {
    while (bytes < max) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      read.push(next.value);
      bytes += next.value.length;
    }
  } catch (err) {
    source.destroy();
    throw err;
  }
  const all = Buffer.concat(read);
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (all.length > 0) yield all;
      while (!ended) {
        const next = await chunks.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      source.destroy();
    }
  }
  return { head: all.subarray(0, max), stream: Readable.from(rest(), { objectMode: false }) };
}

/**
 * Counts and hashes what passes; errors (and says `overLimit`) past `limit` bytes, and, for a
 * text file (`textOnly`), at a NUL byte (and says `notText`).
 */
export class HashingMeter extends Transform {
  bytes = 0;
  overLimit = false;
  notText = false;
  private readonly hash = createHash('sha256');

  constructor(
    private readonly limit: number,
    private readonly textOnly = false,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      this.overLimit = true;
      return done(new Error(`over the ${this.limit}-byte limit`));
    }
    if (this.textOnly && chunk.includes(0)) {
      this.notText = true;
      return done(new Error('a NUL byte in a text file'));
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Hex sha256 of everything that passed. Call once, after the end. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

const PEOPLE_NAMES: Readonly<Record<string, string>> = { zendesk: 'Zendesk', freshdesk: 'Freshdesk', connect: 'the app', whitelabel: 'the app' };

/**
 * Why, in words for the ticket's people. Never a status, a remote's type or a URL: a download
 * URL can point at anything, and what that answered must not be read back in a comment.
 */
function failedDetail(err: IntegrationError, from: AttachmentSource, to: AttachmentSink): string {
  const side = (service: string) => PEOPLE_NAMES[service] ?? service;
  if (err instanceof OutboundRefusedError) return err.reason === 'too-slow' ? 'it took too long to download' : 'its address is not allowed';
  if (err.service === from.service && err.service !== to.service) return `it could not be downloaded from ${side(from.service)}`;
  if (err.status === 413) return `${side(to.service)} refused it as too large`;
  return `${side(to.service)} refused it`;
}
