/**
 * File names as the bridge passes them on: a name comes from a URL or a remote's listing, i.e.
 * from whoever attached the file, and ends up in the helpdesk's upload, the app's upload URL and the
 * line a ticket's people read. So it is reduced to a plain basename: no directories (also when
 * percent-encoded), no `..`, no control characters, no bidirectional overrides (U+202E turns
 * `photo\u202Egnp.exe` into what reads as `photoexe.png`), bounded in bytes, and with an
 * extension that says what the file is. Pure: safe to import from workflow code.
 */

/** Longest name in UTF-8 bytes (most file systems' limit), extension included. */
export const MAX_FILE_NAME_BYTES = 255;

const BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  zip: 'application/zip',
  exe: 'application/x-msdownload',
  html: 'text/html',
  htm: 'text/html',
};

/**
 * The extension a file of each type gets when its name has none (or a wrong one): the first
 * listed above for it (`jpg`, `tif`, `txt`). Reversed, so that in `fromEntries` the first wins.
 */
const CANONICAL_EXTENSION: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(BY_EXTENSION)
    .reverse()
    .map(([ext, type]) => [type, ext]),
);

const EXTENSION = /\.([A-Za-z0-9]{1,10})$/;

/** The type a name's extension stands for (`a.PDF` → `application/pdf`); null when unknown. */
export function extensionType(name: string): string | null {
  const ext = EXTENSION.exec(name)?.[1]?.toLowerCase();
  return (ext && BY_EXTENSION[ext]) ?? null;
}

/** Separators, also percent-encoded (a name decoded once may still hold `%2F`). */
const SEPARATORS = /[/\\]|%2f|%5c/gi;
/** C0 and C1 controls and DEL (a tab or a line break becomes a space). */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/**
 * The invisible marks that reorder or disguise text: LRM/RLM, the bidi embeddings and overrides
 * U+202A–U+202E, the isolates U+2066–U+2069, the Arabic letter mark, zero-width characters and
 * the BOM.
 */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\ufeff]/g;
/** Characters Windows refuses in names (agents download these files). */
const RESERVED = /[<>:"|?*]/g;

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/**
 * `name` as a safe basename: its last path segment, without invisible or reserved characters,
 * without leading or trailing dots and spaces, at most `MAX_FILE_NAME_BYTES` bytes (the stem is
 * shortened, the extension kept). Never empty: `file` when nothing is left. Idempotent.
 */
export function safeFileName(name: string): string {
  const base = name.normalize('NFC').split(SEPARATORS).at(-1) ?? '';
  const cleaned = base
    .replace(CONTROLS, ' ')
    .replace(INVISIBLE, '')
    .replace(RESERVED, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  return truncated(cleaned === '' ? 'file' : cleaned);
}

function truncated(name: string): string {
  if (utf8Length(name) <= MAX_FILE_NAME_BYTES) return name;
  const ext = EXTENSION.exec(name)?.[0] ?? '';
  let stem = [...name.slice(0, name.length - ext.length)];
  while (stem.length > 0 && utf8Length(stem.join('') + ext) > MAX_FILE_NAME_BYTES) stem = stem.slice(0, -1);
  // A stem cut to nothing (an absurd extension) leaves what fits of the whole name.
  return stem.length > 0 ? stem.join('').replace(/[\s.]+$/, '') + ext : [...name].slice(0, MAX_FILE_NAME_BYTES / 4).join('');
}

/**
 * `name` with an extension that matches `contentType` (the type the bytes were checked to be):
 * kept when it already does (`photo.jpeg` for image/jpeg), replaced when it names another type
 * (`setup.exe` sent as a PNG becomes `setup.png`), added when missing. A type without a known
 * extension keeps a name whose extension is unknown too, and loses one that names another type.
 */
export function nameForType(name: string, contentType: string): string {
  const safe = safeFileName(name);
  const ext = EXTENSION.exec(safe);
  const named = extensionType(safe);
  if (named === contentType) return safe;
  const stem = ext && named !== null ? safe.slice(0, ext.index) || 'file' : safe;
  const wanted = CANONICAL_EXTENSION[contentType];
  if (wanted === undefined) return named === null ? safe : safeFileName(stem);
  return safeFileName(`${stem}.${wanted}`);
}
