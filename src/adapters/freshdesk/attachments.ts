/**
 * Freshdesk files (freshdesk-api.md, "Attachments").
 *
 * Downloads: a conversation lists `attachments[].attachment_url`, a pre-signed storage URL that
 * expires. The bridge never keeps one: what it hands out as a file's URL is a reference
 * (`freshdesk-attachment:{ticket}/{conversation}/{attachment}`), resolved to a fresh
 * `attachment_url` by a read right before the download. The storage URL is signed, so no
 * credential is ever sent with a download; the outbound policy allows the account's host,
 * Freshdesk's storage hosts and what `FRESHDESK_ATTACHMENT_HOSTS` adds.
 *
 * Uploads: files travel as parts of the write itself (multipart reply, note or create), so
 * `upload` spools each one to a temporary file (bytes stream to disk, never whole in memory) and
 * answers a staging id the write then sends (`staged`) and removes (`release`).
 *
 * Budget: "the total size of all the ticket's attachments may not exceed 20 MB". A write runs
 * its uploads inside `withinBudget(left)`, and `maxBytes` is what is left of it at that moment:
 * a file that does not fit is refused before it moves (a "not transferred" line in the comment).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentDownload, AttachmentSink, AttachmentSource, AttachmentUpload, DownloadLimits, UploadedAttachment } from '../../ports/attachments';
import { IntegrationError } from '../../ports/errors';
import { notTransferredLine } from '../../domain/attachments';
import { downloadPolicyFor, OutboundGuard, type DownloadPolicyOptions } from '../http/outbound-policy';
import { StreamingHttp } from '../http/streaming';
import type { FilePart } from './multipart';

/** All of a ticket's attachments together (Freshdesk's limit). */
export const FRESHDESK_TICKET_ATTACHMENT_BYTES = 20 * 1024 * 1024;

/** Where Freshdesk's pre-signed attachment URLs point (its storage is on S3). */
export const FRESHDESK_STORAGE_HOSTS: readonly string[] = ['s3.amazonaws.com', '*.s3.amazonaws.com', '*.freshdesk.com'];

const REFERENCE = /^freshdesk-attachment:(\d+)\/(description|\d+)\/(\d+)$/;

/** A file's stable reference (what the port's `CrmAttachment.url` holds). */
export function attachmentReference(ticketId: string, conversationId: string | 'description', attachmentId: string): string {
  return `freshdesk-attachment:${ticketId}/${conversationId}/${attachmentId}`;
}

export interface AttachmentRef {
  ticketId: string;
  conversationId: string | 'description';
  attachmentId: string;
}

/** Staged files older than this are removed by the next upload (a write that never came). */
const STAGE_TTL_MS = 30 * 60_000;

interface Staged extends FilePart {
  at: number;
}

export interface FreshdeskFilesOptions {
  baseUrl: string;
  /** The current `attachment_url` of a referenced file; null when it is gone. */
  resolve: (ref: AttachmentRef) => Promise<string | null>;
  downloads?: DownloadPolicyOptions;
  idleTimeoutMs?: number;
  fileTimeoutMs?: number;
  fetch?: typeof fetch;
}

export class FreshdeskFiles implements AttachmentSource, AttachmentSink {
  readonly service = 'freshdesk';
  private readonly http: StreamingHttp;
  private readonly guard: OutboundGuard;
  private readonly budget = new AsyncLocalStorage<{ left: number }>();
  private readonly stage = new Map<string, Staged>();
  private dir: string | null = null;

  constructor(private readonly options: FreshdeskFilesOptions) {
    this.http = new StreamingHttp({ service: 'freshdesk', idleTimeoutMs: options.idleTimeoutMs, fileTimeoutMs: options.fileTimeoutMs, fetch: options.fetch });
    this.guard = new OutboundGuard(downloadPolicyFor(options.baseUrl, FRESHDESK_STORAGE_HOSTS, options.downloads));
  }

  readonly limitNote = "Freshdesk keeps at most 20 MB of files per ticket, and this one would go over";

  /** What is left of the ticket's budget for the write in progress (a new ticket: all of it). */
  get maxBytes(): number {
    return this.budget.getStore()?.left ?? FRESHDESK_TICKET_ATTACHMENT_BYTES;
  }

  /** Runs a write's uploads with `left` bytes of the ticket's budget. */
  withinBudget<T>(left: number, fn: () => Promise<T>): Promise<T> {
    return this.budget.run({ left: Math.max(0, left) }, fn);
  }

  async download(url: string, limits: DownloadLimits = {}): Promise<AttachmentDownload> {
    const match = REFERENCE.exec(url);
    let target = url;
    if (match) {
      const fresh = await this.options.resolve({ ticketId: match[1]!, conversationId: match[2]!, attachmentId: match[3]! });
      if (fresh === null) throw new IntegrationError('not-found', 'freshdesk', 'GET attachment_url', 'freshdesk GET attachment_url: the attachment is gone', 404);
      target = fresh;
    }
    // Pre-signed: no credentials, on any hop.
    return this.http.download('GET attachment_url', target, { guard: this.guard, timeoutMs: limits.timeoutMs });
  }

  /** Spools the file to disk, within what is left of the ticket's budget. */
  async upload(file: AttachmentUpload): Promise<UploadedAttachment> {
    this.sweep();
    const store = this.budget.getStore();
    const limit = store?.left ?? FRESHDESK_TICKET_ATTACHMENT_BYTES;
    const tooLarge = () => new IntegrationError('unprocessable', 'freshdesk', 'POST attachments[]', "freshdesk POST attachments[]: over what is left of the ticket's 20 MB", 413);
    if (file.size !== null && file.size > limit) {
      file.body.destroy();
      throw tooLarge();
    }
    const id = randomBytes(12).toString('hex');
    const path = join(this.stagingDir(), id);
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(size > limit ? tooLarge() : null, chunk);
      },
    });
    try {
      await pipeline(file.body, counter, createWriteStream(path));
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    if (store) store.left -= size;
    this.stage.set(id, { field: 'attachments[]', name: file.name, contentType: file.contentType, path, size, at: Date.now() });
    return { id, size };
  }

  /**
   * Of these staged files, those that fit in `left` bytes taken in order, and the lines of those
   * that do not (released now). For a create, whose files were spooled outside `withinBudget`.
   */
  async fit(ids: readonly string[], left: number): Promise<{ ids: string[]; lines: string[] }> {
    const out = { ids: [] as string[], lines: [] as string[] };
    for (const id of ids) {
      const s = this.stage.get(id);
      if (!s) continue;
      if (s.size <= left) {
        left -= s.size;
        out.ids.push(id);
      } else {
        out.lines.push(notTransferredLine({ name: s.name, size: s.size, contentType: s.contentType }, { reason: 'failed', detail: this.limitNote }));
        await this.release([id]);
      }
    }
    return out;
  }

  /** The spooled files of these staging ids (unknown ids are skipped: a retry re-uploads). */
  staged(ids: readonly string[]): FilePart[] {
    return ids.flatMap((id) => {
      const s = this.stage.get(id);
      return s ? [{ field: s.field, name: s.name, contentType: s.contentType, path: s.path, size: s.size }] : [];
    });
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const s = this.stage.get(id);
      this.stage.delete(id);
      if (s) await rm(s.path, { force: true });
    }
  }

  private stagingDir(): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'ticket-bridge-freshdesk-'));
    return this.dir;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.stage) {
      if (now - s.at > STAGE_TTL_MS) {
        this.stage.delete(id);
        rmSync(s.path, { force: true });
      }
    }
  }
}
