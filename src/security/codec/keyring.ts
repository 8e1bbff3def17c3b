/**
 * The payload encryption keyring, from `PAYLOAD_KEYS`:
 *
 *     PAYLOAD_KEYS=2025-06:<base64 of 32 bytes>,2024-11:<base64 of 32 bytes>
 *
 * The first key is the current one (everything new is encrypted with it); the others only
 * decrypt what they encrypted before. Rotation is: prepend a new key, deploy the worker and the
 * API, and drop an old key only once no retained history refers to it (see SECURITY.md).
 *
 * Key material never leaves this object: `toJSON` and `util.inspect` show the key ids only,
 * so logging the configuration (or an error quoting it) cannot leak a key.
 */
import { inspect } from 'node:util';
import { z } from 'zod';

export const AES_256_KEY_BYTES = 32;

/** Key ids travel in every payload's metadata: short, printable, no separators. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Standard or URL-safe base64, padded or not. */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

export const GENERATE_KEY_HINT =
  `generate one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`;

export class PayloadKeyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** The id new payloads are encrypted with. */
  readonly currentKeyId: string;

  constructor(entries: ReadonlyArray<{ id: string; key: Uint8Array }>) {
    if (entries.length === 0) throw new TypeError('a keyring needs at least one key');
    const keys = new Map<string, Buffer>();
    for (const { id, key } of entries) {
      if (!KEY_ID.test(id)) throw new TypeError(`invalid key id ${JSON.stringify(id)}`);
      if (key.length !== AES_256_KEY_BYTES) throw new TypeError(`key ${id} must be ${AES_256_KEY_BYTES} bytes`);
      if (keys.has(id)) throw new TypeError(`duplicate key id ${id}`);
      keys.set(id, Buffer.from(key));
    }
    this.#keys = keys;
    this.currentKeyId = entries[0]!.id;
  }

  /** Every key id, current first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /** The key for `id`, or undefined when this keyring does not hold it. */
  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  currentKey(): Buffer {
    return this.#keys.get(this.currentKeyId)!;
  }

  toJSON(): { currentKeyId: string; keyIds: string[] } {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `PayloadKeyring { current: ${this.currentKeyId}, keys: [${this.keyIds.join(', ')}] }`;
  }
}

export type KeyringParseResult = { ok: true; keyring: PayloadKeyring } | { ok: false; message: string };

/**
 * Parse `id:base64key[,id:base64key...]`. Messages name the offending entry by position and id
 * but never quote key material.
 */
export function parsePayloadKeys(text: string): KeyringParseResult {
  const entries: Array<{ id: string; key: Buffer }> = [];
  const parts = text.split(',').map((p) => p.trim());
  for (const [index, part] of parts.entries()) {
    const where = `entry ${index + 1}`;
    const colon = part.indexOf(':');
    if (colon < 0) return { ok: false, message: `${where} must be <key id>:<base64 key> (entries separated by commas)` };
    const id = part.slice(0, colon).trim();
    const encoded = part.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) return { ok: false, message: `${where}: the key id must be 1-64 letters, digits, ".", "_" or "-"` };
    if (entries.some((e) => e.id === id)) return { ok: false, message: `${where}: key id "${id}" appears twice` };
    if (!BASE64.test(encoded)) return { ok: false, message: `key "${id}" must be base64; ${GENERATE_KEY_HINT}` };
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== AES_256_KEY_BYTES) {
      return { ok: false, message: `key "${id}" must decode to ${AES_256_KEY_BYTES} bytes (AES-256), got ${key.length}; ${GENERATE_KEY_HINT}` };
    }
    entries.push({ id, key });
  }
  return { ok: true, keyring: new PayloadKeyring(entries) };
}

/** `PAYLOAD_KEYS` as a zod schema (string in, keyring out), for the configuration reader. */
export const payloadKeysSchema = z.string().transform((text, ctx) => {
  const parsed = parsePayloadKeys(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  }
  return parsed.keyring;
});
