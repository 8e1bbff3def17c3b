/** Fixed test keys for the payload codec tests (never used outside tests). */
import { createHash } from 'node:crypto';
import { PayloadKeyring } from '../../src/security/codec/keyring';
import type { PayloadEncryption } from '../../src/security/codec/data-converter';

/** A deterministic 32-byte key per name, so failures are reproducible. */
export function testKey(name: string): Buffer {
  return createHash('sha256').update(`ticket-bridge test key ${name}`).digest();
}

export function keyring(...ids: string[]): PayloadKeyring {
  return new PayloadKeyring(ids.map((id) => ({ id, key: testKey(id) })));
}

/** `PAYLOAD_KEYS` text for these ids, current first. */
export function payloadKeysEnv(...ids: string[]): string {
  return ids.map((id) => `${id}:${testKey(id).toString('base64')}`).join(',');
}

export function encryptionWith(...ids: string[]): PayloadEncryption {
  return { mode: 'required', keyring: keyring(...ids) };
}
