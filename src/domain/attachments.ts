/**
 * Attachments: which files may be copied from one side to the other, and the line a person reads
 * when one is not. Pure: no I/O, safe to import from workflow code.
 *
 * File names are personal data (a photo's name can be a person's name): they go into the line a
 * ticket's people read, never into logs.
 */
import { extensionType, safeFileName } from './file-names';

/** 20 MB: the default `ATTACHMENT_MAX_BYTES`. */
export const DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024;

/**
 * The default content-type allow-list: images, PDF, plain text and office documents. `*` at the
 * end of an entry matches any rest (`application/vnd.openxmlformats-officedocument.*`). SVG is
 * left out on purpose: it is an image that can carry scripts.
 */
export const DEFAULT_ALLOWED_TYPES: readonly string[] = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/heic',
  'image/heif',
  'image/bmp',
  'image/tiff',
  'application/pdf',
  'text/plain',
  // Microsoft Office, old and new.
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.*',
  // OpenDocument (LibreOffice).
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
];

/** What one comment's files may cost: the `ATTACHMENT_*` settings (the caps default when left out). */
export interface AttachmentSettings {
  /** `ATTACHMENT_MAX_BYTES`: one file. */
  maxBytes: number;
  /** `ATTACHMENT_ALLOWED_TYPES`. */
  allowedTypes: readonly string[];
  /** `ATTACHMENT_MAX_FILES`: files copied per comment; the rest get a line. */
  maxFiles?: number;
  /** `ATTACHMENT_MAX_COMMENT_BYTES`: all of a comment's files together. */
  maxCommentBytes?: number;
  /** `ATTACHMENT_FILE_TIMEOUT`: the most one file's download may take, start to end. */
  fileTimeoutMs?: number;
  /** `ATTACHMENT_COMMENT_TIMEOUT`: the most a comment's files may take together (within one activity attempt). */
  commentTimeoutMs?: number;
}

export const DEFAULT_ATTACHMENT_MAX_FILES = 10;
/** 50 MB (the first helpdesk's per-file limit); each adapter enforces its own limits as well. */
export const DEFAULT_ATTACHMENT_MAX_COMMENT_BYTES = 50 * 1024 * 1024;
export const DEFAULT_ATTACHMENT_FILE_TIMEOUT_MS = 2 * 60_000;
/** Half the 10 minutes a comment-writing activity with files may run: room for the comment itself. */
export const DEFAULT_ATTACHMENT_COMMENT_TIMEOUT_MS = 5 * 60_000;

export const DEFAULT_ATTACHMENT_SETTINGS: Required<AttachmentSettings> = {
  maxBytes: DEFAULT_ATTACHMENT_MAX_BYTES,
  allowedTypes: DEFAULT_ALLOWED_TYPES,
  maxFiles: DEFAULT_ATTACHMENT_MAX_FILES,
  maxCommentBytes: DEFAULT_ATTACHMENT_MAX_COMMENT_BYTES,
  fileTimeoutMs: DEFAULT_ATTACHMENT_FILE_TIMEOUT_MS,
  commentTimeoutMs: DEFAULT_ATTACHMENT_COMMENT_TIMEOUT_MS,
};

/** Why a file was not copied. */
export type NotTransferredReason = 'too-large' | 'type-not-allowed' | 'failed';

/** What the bridge records of a file: never its bytes. */
export interface AttachmentFacts {
  name: string;
  /** Bytes; null when neither side said. */
  size: number | null;
  contentType: string | null;
}

/** A file already on the target (comment or upload), as the target lists it. */
export interface AttachedFile {
  name: string;
  /** null when the target does not say (Connect lists attachments as bare URLs). */
  size: number | null;
}

/**
 * The line for the mirrored comment (and the ticket's timeline) when a file is not copied, e.g.
 * `attachment invoice.pdf (31 MB) not transferred: over the 20 MB limit`.
 */
export function notTransferredLine(
  file: AttachmentFacts,
  why:
    | { reason: 'too-large'; maxBytes: number }
    | { reason: 'type-not-allowed' }
    | { reason: 'failed'; detail?: string },
): string {
  const name = file.name.trim() === '' ? 'unnamed file' : safeFileName(file.name);
  const size = file.size === null ? '' : ` (${formatBytes(file.size, why.reason === 'too-large' ? why.maxBytes : undefined)})`;
  const head = `attachment ${name}${size} not transferred`;
  switch (why.reason) {
    case 'too-large':
      return `${head}: over the ${formatBytes(why.maxBytes)} limit`;
    case 'type-not-allowed':
      // Neither the declared type nor what the bytes turned out to be: a refusal says no more
      // than "no" about what a remote answered.
      return `${head}: this type of file is not accepted`;
    case 'failed':
      return `${head}: ${why.detail ?? 'it could not be copied'}`;
  }
}

/**
 * A size as people read it, in binary units labelled as usual (1 MB = 1024 × 1024 bytes):
 * `512 bytes`, `4.2 KB`, `31 MB`, `1.5 MB`. With `unlike`, a size that would print the same as
 * `unlike` (a file just over a limit) gets more digits, so the line never reads "20 MB: over the
 * 20 MB limit".
 */
export function formatBytes(bytes: number, unlike?: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : bytes < 1024 ** 3 ? [bytes / 1024 ** 2, 'MB'] : [bytes / 1024 ** 3, 'GB'];
  const at = (digits: number) => `${Number(value.toFixed(digits))} ${unit}`;
  let text = at(1);
  if (unlike !== undefined && unlike !== bytes) {
    for (let digits = 2; digits <= 6 && text === formatBytes(unlike); digits++) text = at(digits);
  }
  return text;
}

/** `image/PNG; charset=x` → `image/png`; null for nothing usable. */
export function essence(contentType: string | null | undefined): string | null {
  const e = contentType?.split(';')[0]?.trim().toLowerCase();
  return e && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(e) ? e : null;
}

/** Types that say only "some bytes": the file name's extension tells more. */
const GENERIC = new Set(['application/octet-stream', 'binary/octet-stream', 'application/binary']);

/**
 * The type a file is judged and uploaded as: the declared one, or, when that is missing or
 * generic (apps and storage often say `application/octet-stream`), the one its extension names.
 */
export function effectiveContentType(declared: string | null | undefined, fileName: string): string {
  const given = essence(declared);
  if (given && !GENERIC.has(given)) return given;
  return extensionType(fileName) ?? given ?? 'application/octet-stream';
}

/** Whether `contentType` is on `allowed` (exact entries, or a prefix ending in `*`). */
export function isTypeAllowed(contentType: string | null, allowed: readonly string[] = DEFAULT_ALLOWED_TYPES): boolean {
  const type = essence(contentType);
  if (type === null) return false;
  return allowed.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === '*' || (e.endsWith('*') ? type.startsWith(e.slice(0, -1)) : type === e);
  });
}

/**
 * The file already on the target that this one would duplicate: the same name, and the same size
 * when both sides know it. A retried transfer finds its earlier copy this way and does not attach
 * the file twice.
 */
export function findAttached(existing: readonly AttachedFile[], name: string, size: number | null): AttachedFile | undefined {
  return existing.find((e) => e.name === name && (e.size === null || size === null || e.size === size));
}

/** Parses a configured allow-list (`ATTACHMENT_ALLOWED_TYPES`: comma-separated); empty means the default. */
export function parseAllowedTypes(value: string | undefined): readonly string[] {
  const entries = (value ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  return entries.length > 0 ? entries : DEFAULT_ALLOWED_TYPES;
}

/** A line `notTransferredLine` wrote. */
const NOT_TRANSFERRED_LINE = /^attachment .* not transferred(?:: .*)?$/;
/** The block `withAttachments` (sync v2) appended: the files' URLs as text. */
const PASTED_URLS = /\n\nAttachments:\n(?:- [^\n]*\n?)+$/;

/**
 * A mirrored comment's body: the message, then a blank line and one line per file that did not
 * travel. A message without text but with files gets a stand-in: a helpdesk may take no empty comment.
 */
export function mirroredBody(body: string, fileCount: number, lines: readonly string[]): string {
  const text = body.trim() === '' && fileCount > 0 ? `(${fileCount} attachment${fileCount === 1 ? '' : 's'})` : body;
  return lines.length === 0 ? text : `${text}\n\n${lines.join('\n')}`;
}

/**
 * The message a mirrored comment carries, without what the bridge added about its files (the
 * "not transferred" lines, or sync v2's pasted URLs): how a retried write, or an adoption, knows
 * its own copy whatever became of the files.
 */
export function messageOf(body: string): string {
  const text = body.replace(/\r\n?/g, '\n').replace(PASTED_URLS, '').trimEnd();
  const lines = text.split('\n');
  let start = lines.length;
  while (start > 0 && NOT_TRANSFERRED_LINE.test(lines[start - 1]!.trim())) start--;
  // The bridge's lines follow a blank line: a message that itself ends in such a line keeps it.
  if (start < lines.length && start > 0 && lines[start - 1]!.trim() === '') return lines.slice(0, start - 1).join('\n').trim();
  return text.trim();
}
