/**
 * Freshdesk bodies are HTML (`body`) with a text rendering (`body_text`). The bridge writes its
 * text as escaped HTML, one `<br>` per line break, and reads `body_text` back. Freshdesk may
 * re-flow whitespace in that rendering, so a landed copy is recognised by its words in order
 * (`sameWords`), not byte for byte.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function textToHtml(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    .replace(/\n/g, '<br>');
}

/** The same words in the same order, whatever the whitespace between them. */
export function sameWords(a: string, b: string): boolean {
  const words = (s: string) => s.trim().split(/\s+/).join(' ');
  return words(a) === words(b);
}
