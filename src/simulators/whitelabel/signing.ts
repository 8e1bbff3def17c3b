/**
 * How the platform signs its events, written independently of the bridge's verifier
 * (src/api/webhooks/whitelabel-signature.ts) so that tests compare two implementations.
 */
import { createHmac } from 'node:crypto';

export type SigningRecipe = 'timestamp.body' | 'body';

export interface SigningOptions {
  secret: string;
  /** Default `X-Whitelabel-Signature`. */
  header?: string;
  /** What is signed: `"<t>.<raw body>"` (default) or the raw body alone. */
  recipe?: SigningRecipe;
}

/** The header value `t=<unix seconds>,s=<hex HMAC-SHA256>`. */
export function signatureHeaderValue(secret: string, rawBody: string, unixSeconds: number, recipe: SigningRecipe = 'timestamp.body'): string {
  const signed = recipe === 'timestamp.body' ? `${unixSeconds}.${rawBody}` : rawBody;
  const s = createHmac('sha256', secret).update(signed, 'utf8').digest('hex');
  return `t=${unixSeconds},s=${s}`;
}

/** The headers for one delivery of `rawBody`. */
export function signedHeaders(options: SigningOptions, rawBody: string, unixSeconds: number): Record<string, string> {
  const header = options.header ?? 'X-Whitelabel-Signature';
  return { [header]: signatureHeaderValue(options.secret, rawBody, unixSeconds, options.recipe) };
}
