/**
 * What a file's first bytes say it is, checked against what its sender says it is. A declared
 * type is a claim by whoever attached the file: an SVG (scripts) or a Windows executable sent as
 * `image/png` would pass a type allow-list on the claim alone, so the bytes decide. Pure (no
 * Node APIs): safe to import from workflow code.
 */

/** How many leading bytes the check needs (all signatures here sit in the first few dozen). */
export const SIGNATURE_BYTES = 512;

/**
 * What the leading bytes show: a media type (`image/png`), a container family (`zip`, `ole`:
 * office documents), or a kind never let through unless declared as such (`executable`, `markup`).
 */
type Kind = string;

const ascii = (head: Uint8Array, at: number, text: string): boolean =>
  head.length >= at + text.length && [...text].every((c, i) => head[at + i] === c.charCodeAt(0));
const bytes = (head: Uint8Array, at: number, expected: readonly number[]): boolean =>
  head.length >= at + expected.length && expected.every((b, i) => head[at + i] === b);

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1', 'heif']);
const MARKUP = /^\s*<(?:\?xml|svg|!doctype\s+(?:html|svg)|html|script|!--)/i;

/** The kind `head` (a file's first `SIGNATURE_BYTES`) shows, or null when it shows none known. */
export function detectKind(head: Uint8Array): Kind | null {
  if (bytes(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (bytes(head, 0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'image/gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'image/webp';
  if (ascii(head, 0, '%PDF-')) return 'application/pdf';
  if (ascii(head, 0, 'BM') && head.length >= 26 && bytes(head, 6, [0, 0, 0, 0])) return 'image/bmp';
  if (bytes(head, 0, [0x49, 0x49, 0x2a, 0x00]) || bytes(head, 0, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (ascii(head, 4, 'ftyp') && HEIF_BRANDS.has(String.fromCharCode(...head.slice(8, 12)))) return 'image/heif';
  if (bytes(head, 0, [0x50, 0x4b, 0x03, 0x04]) || bytes(head, 0, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (bytes(head, 0, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'ole';
  if (ascii(head, 0, 'MZ') || bytes(head, 0, [0x7f, 0x45, 0x4c, 0x46]) || ascii(head, 0, '#!')) return 'executable';
  // Mach-O (32/64-bit, both byte orders) and fat binaries.
  for (const magic of [[0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe], [0xca, 0xfe, 0xba, 0xbe]]) {
    if (bytes(head, 0, magic)) return 'executable';
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.slice(0, 256)).replace(/^\ufeff/, '');
  if (MARKUP.test(text)) return 'markup';
  return null;
}

/** What a declared type's bytes must show: the type itself, its container, 'text', or null (no signature known). */
function expectedKind(declared: string): Kind | null {
  if (declared.startsWith('text/')) return 'text';
  if (declared === 'image/heic' || declared === 'image/heif') return 'image/heif';
  if (['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/tiff', 'application/pdf'].includes(declared)) return declared;
  if (declared === 'application/zip' || declared.startsWith('application/vnd.openxmlformats-officedocument.') || declared.startsWith('application/vnd.oasis.opendocument.')) {
    return 'zip';
  }
  if (['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'].includes(declared)) return 'ole';
  // Allowed only when an operator lists them (`image/*` takes SVG): then they must be what they say.
  if (declared === 'image/svg+xml' || declared.endsWith('/xml') || declared.endsWith('+xml') || declared === 'application/xhtml+xml') return 'markup';
  if (['application/x-msdownload', 'application/x-dosexec', 'application/x-executable', 'application/x-mach-binary', 'application/x-sh'].includes(declared)) return 'executable';
  return null;
}

/**
 * The type a file travels as, judged from its first bytes (`head`), or null when it must not
 * travel:
 * - a type with a signature (images, PDF, office containers, markup, executables) must show it; a file that shows
 *   another image or PDF signature instead (a JPEG sent as `image/png`) travels as what it is
 *   (the caller checks that type against the allow-list too);
 * - a text type must be text: no NUL byte (here in the head; the caller checks the rest);
 * - a type without a known signature travels as declared unless the bytes are an executable or
 *   markup (SVG, HTML, XML: scripts).
 */
export function verifiedType(declared: string, head: Uint8Array): string | null {
  const expected = expectedKind(declared);
  const found = detectKind(head);
  if (expected === 'text') return head.includes(0) ? null : declared;
  if (expected !== null) {
    if (found === expected) return declared;
    return found !== null && found.includes('/') ? found : null;
  }
  return found === 'executable' || found === 'markup' ? null : declared;
}

/** Whether a file of this type must be checked for NUL bytes all the way through. */
export function isTextType(contentType: string): boolean {
  return contentType.startsWith('text/');
}
