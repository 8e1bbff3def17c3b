/**
 * A mirrored comment's files, for the activities that write comments (sync v3): the files travel
 * inside the same activity as their comment, streamed from one remote to the other
 * (`transferAttachment`), so the workflow sees only what this returns: per file an outcome, a
 * size, a type and a hash. Never a name, never a URL, never a byte.
 *
 * - To the CRM (Zendesk): each file is uploaded first, and the comment is written with the upload
 *   tokens and a line for each file that did not travel: one write, files and text together.
 * - To the source (Connect): the comment is written first (a file attaches to an existing
 *   comment, and a comment cannot be edited), with a line for each file the CRM's listing already
 *   rules out (too large, a type not accepted); then the files are uploaded to it. A file that
 *   fails only then gets its line in a follow-up comment.
 *
 * A failure that may pass (5xx, a dropped connection mid-file) fails the attempt: Temporal retries
 * the activity, whose landed-comment check and `existing` files keep every comment and file
 * single. From attempt `MAX_FILE_ATTEMPTS` on, such a file is given up on with a line instead,
 * so one broken file never holds its comment, or the ticket, back.
 */
import { Context } from '@temporalio/activity';
import {
  DEFAULT_ATTACHMENT_SETTINGS,
  effectiveContentType,
  isTypeAllowed,
  notTransferredLine,
  type AttachedFile,
  type AttachmentFacts,
  type AttachmentSettings,
} from '../domain/attachments';
import type { CrmAttachment } from '../domain/ticket';
import type { AttachmentSink, CrmFiles, SourceFiles } from '../ports/attachments';
import { IntegrationError } from '../ports/errors';
import { transferAttachment, type TransferLogger, type TransferResult } from './attachment-transfer';

export { DEFAULT_ATTACHMENT_SETTINGS, type AttachmentSettings } from '../domain/attachments';

/**
 * The attempt from which a file that keeps failing in a way that may pass is given up on (with its
 * line): attempts 1 to 4 take about 15 s of back-off, enough for a blip, not for an outage of the
 * file storage alone.
 */
export const MAX_FILE_ATTEMPTS = 5;

/** What the workflow records of one file: safe for the timeline (no name, no URL). */
export interface FileOutcome {
  outcome: 'transferred' | 'already-there' | 'too-large' | 'type-not-allowed' | 'failed' | 'not-accepted';
  size: number | null;
  contentType: string | null;
  /** Hex sha256 of the bytes that went through; null when none did now. */
  sha256: string | null;
}

interface Copy {
  attempt: number;
  settings: AttachmentSettings;
  logger?: TransferLogger;
}

/**
 * Source → CRM: uploads each file of a source comment, for the comment write to bind. Called by
 * the CRM adapter only when no copy of the comment landed before (see `CrmPort.addComment`).
 */
export async function uploadsForCrm(
  urls: readonly string[],
  from: SourceFiles | undefined,
  to: CrmFiles | undefined,
  copy: Copy,
): Promise<{ uploads: string[]; lines: string[]; files: FileOutcome[] }> {
  const out = { uploads: [] as string[], lines: [] as string[], files: [] as FileOutcome[] };
  const budget = new CommentBudget(copy.settings);
  for (const url of urls) {
    const name = from ? from.nameOf(url) : '';
    if (!from || !to) {
      const detail = to ? "the app's files cannot be fetched here" : 'the helpdesk takes no files from the bridge here';
      out.lines.push(notTransferredLine({ name, size: null, contentType: null }, { reason: 'failed', detail }));
      out.files.push({ outcome: 'not-accepted', size: null, contentType: null, sha256: null });
      continue;
    }
    const result = await transferWithin(budget, copy, { from: from.from, to, file: { url, name } });
    if (result.transferred && !result.duplicate) out.uploads.push(result.targetId);
    if (!result.transferred) out.lines.push(result.line);
    out.files.push(outcomeOf(result));
  }
  return out;
}

/** CRM → source, before the comment is written: the files the listing already rules out get their lines now. */
export function planForSource(
  files: readonly CrmAttachment[],
  to: SourceFiles | undefined,
  settings: AttachmentSettings,
  sideName: string,
): { lines: string[]; toCopy: CrmAttachment[]; files: FileOutcome[] } {
  const plan = { lines: [] as string[], toCopy: [] as CrmAttachment[], files: [] as FileOutcome[] };
  const maxFiles = settings.maxFiles ?? DEFAULT_ATTACHMENT_SETTINGS.maxFiles;
  for (const [index, file] of files.entries()) {
    const contentType = effectiveContentType(file.contentType, file.name);
    const facts = { name: file.name, size: file.size, contentType };
    if (index >= maxFiles && to?.sinkFor) {
      plan.lines.push(notTransferredLine(facts, { reason: 'failed', detail: tooManyFiles(maxFiles) }));
      plan.files.push({ outcome: 'failed', size: file.size, contentType, sha256: null });
    } else if (!to?.sinkFor) {
      plan.lines.push(notTransferredLine(facts, { reason: 'failed', detail: `${sideName} takes no files from the bridge` }));
      plan.files.push({ outcome: 'not-accepted', size: file.size, contentType, sha256: null });
    } else if (file.size > settings.maxBytes) {
      plan.lines.push(notTransferredLine(facts, { reason: 'too-large', maxBytes: settings.maxBytes }));
      plan.files.push({ outcome: 'too-large', size: file.size, contentType, sha256: null });
    } else if (!isTypeAllowed(contentType, settings.allowedTypes)) {
      plan.lines.push(notTransferredLine(facts, { reason: 'type-not-allowed' }));
      plan.files.push({ outcome: 'type-not-allowed', size: file.size, contentType, sha256: null });
    } else {
      plan.toCopy.push(file);
    }
  }
  return plan;
}

/**
 * CRM → source, after the comment is written: each file uploaded to it, unless the comment has it
 * already (a retry: `attached`, the comment's attachment URLs). Lines for those that failed.
 */
export async function copyToSourceComment(
  files: readonly CrmAttachment[],
  from: CrmFiles,
  to: SourceFiles & { sinkFor(commentId: string): AttachmentSink },
  commentId: string,
  attached: readonly string[],
  copy: Copy,
): Promise<{ lines: string[]; files: FileOutcome[] }> {
  const existing: AttachedFile[] = attached.map((url) => ({ name: to.nameOf(url), size: null }));
  const sink = to.sinkFor(commentId);
  const out = { lines: [] as string[], files: [] as FileOutcome[] };
  const budget = new CommentBudget(copy.settings);
  for (const file of files) {
    const result = await transferWithin(budget, copy, {
      from,
      to: sink,
      file: { url: file.url, name: file.name, size: file.size, contentType: file.contentType },
      existing,
    });
    if (!result.transferred) out.lines.push(result.line);
    out.files.push(outcomeOf(result));
  }
  return out;
}

/** Keeps the activity's heartbeat going while `fn` streams (an attempt with files may take minutes). */
export async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), 5_000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

type TransferInput = Pick<Parameters<typeof transferAttachment>[0], 'from' | 'to' | 'file' | 'existing'>;

const tooManyFiles = (max: number) => `only the first ${max} files of a message are copied`;

/**
 * One comment's share: at most `maxFiles` files, `maxCommentBytes` bytes together, and
 * `commentTimeoutMs` for all of them (each file at most `fileTimeoutMs`), so that no comment,
 * whatever its URLs, holds an activity slot for longer than that or moves more than that.
 */
class CommentBudget {
  private readonly limits: Required<AttachmentSettings>;
  private readonly deadline: number;
  private files = 0;
  private bytes = 0;

  constructor(settings: AttachmentSettings) {
    this.limits = { ...DEFAULT_ATTACHMENT_SETTINGS, ...settings };
    this.deadline = Date.now() + this.limits.commentTimeoutMs;
  }

  /** The limits of the next file, or why it is not copied at all. */
  take(): { timeoutMs: number; commentBytes: { left: number; limit: number } } | { refused: string } {
    if (this.files >= this.limits.maxFiles) return { refused: tooManyFiles(this.limits.maxFiles) };
    const timeLeft = this.deadline - Date.now();
    if (timeLeft <= 0) return { refused: 'there was no time left to copy it' };
    this.files++;
    const limit = this.limits.maxCommentBytes;
    return { timeoutMs: Math.min(this.limits.fileTimeoutMs, timeLeft), commentBytes: { left: Math.max(0, limit - this.bytes), limit } };
  }

  spend(result: TransferResult): void {
    if (result.transferred && !result.duplicate) this.bytes += result.size;
  }
}

async function transferWithin(budget: CommentBudget, copy: Copy, input: TransferInput): Promise<TransferResult> {
  const share = budget.take();
  if ('refused' in share) {
    copy.logger?.info({ from: input.from.service, to: input.to.service, outcome: 'failed', why: share.refused }, 'attachment not transferred');
    return givenUp(input.file, share.refused);
  }
  const result = await transferOrGiveUp(copy, input, share);
  budget.spend(result);
  return result;
}

async function transferOrGiveUp(copy: Copy, input: TransferInput, share: { timeoutMs: number; commentBytes: { left: number; limit: number } }): Promise<TransferResult> {
  try {
    return await transferAttachment({ ...input, ...share, maxBytes: copy.settings.maxBytes, allowedTypes: copy.settings.allowedTypes, logger: copy.logger });
  } catch (err) {
    if (copy.attempt < MAX_FILE_ATTEMPTS) throw err;
    const kind = err instanceof IntegrationError ? err.kind : 'unexpected';
    copy.logger?.warn({ from: input.from.service, to: input.to.service, outcome: 'failed', kind, attempt: copy.attempt }, 'attachment given up on');
    return givenUp(input.file, `it still failed after ${copy.attempt} tries`);
  }
}

function givenUp(file: TransferInput['file'], detail: string): TransferResult {
  const facts: AttachmentFacts = { name: file.name, size: file.size ?? null, contentType: file.contentType ?? null };
  return { transferred: false, reason: 'failed', ...facts, line: notTransferredLine(facts, { reason: 'failed', detail }) };
}

function outcomeOf(result: TransferResult): FileOutcome {
  if (!result.transferred) return { outcome: result.reason, size: result.size, contentType: result.contentType, sha256: null };
  if (result.duplicate) return { outcome: 'already-there', size: result.size, contentType: result.contentType, sha256: null };
  return { outcome: 'transferred', size: result.size, contentType: result.contentType, sha256: result.sha256 };
}
