/**
 * A short, deterministic digest of a text (FNV-1a, 32 bits, plus the length), computed inside
 * workflow code where no crypto module exists. It recognises the bridge's own write when a read
 * brings it back; it is no protection against anyone forging a match (nothing needs it to be).
 */
export function textDigest(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${hash.toString(16).padStart(8, '0')}:${text.length}`;
}

/**
 * `text` is the text `digest` was taken of, or starts with it: a reply whose files did not all
 * travel is written with a line for each after the message itself.
 */
export function matchesDigest(text: string, digest: string): boolean {
  const length = Number(digest.slice(digest.indexOf(':') + 1));
  return textDigest(text) === digest || (Number.isInteger(length) && text.length > length && textDigest(text.slice(0, length)) === digest);
}
