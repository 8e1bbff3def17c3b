/**
 * AES-256-GCM payload encryption for Temporal: every payload the client and the worker send
 * (workflow input, signal arguments, activity arguments and results, memo, failure messages) is
 * stored by the Temporal server as ciphertext, so histories, the database and the Temporal UI
 * (without the codec server) hold no readable personal data.
 *
 * Wire format (compatible with Temporal's Go and Python encryption samples):
 *   metadata: encoding = "binary/encrypted", encryption-key-id = <key id>, encryption-cipher = "AES-256-GCM"
 *   data:     IV (12 random bytes) ‖ ciphertext ‖ GCM tag (16 bytes)
 * The plaintext is the whole original Payload protobuf (metadata and data), so the original
 * encoding is restored exactly on decode.
 *
 * A payload that is not `binary/encrypted` is refused by `decode`: once encryption is on, only a
 * holder of the key can put a payload before the worker (GCM authenticates every one), so a
 * signal or workflow input sent to Temporal by anyone else (the UI, the CLI, a stolen client
 * certificate) fails instead of being acted on. `acceptUnencrypted` lets plain payloads through,
 * for as long as histories written before encryption was switched on are still open
 * (`PAYLOAD_ACCEPT_UNENCRYPTED=true`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ApplicationFailure, METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKeyring } from './keyring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const METADATA_CIPHER = 'encryption-cipher';
export const CIPHER_NAME = 'AES-256-GCM';

const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const fromUtf8 = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : undefined;

/**
 * A payload that cannot be decrypted. Non-retryable: retrying with the same keyring cannot
 * succeed; an operator has to add the missing key (PAYLOAD_KEYS) or the data was tampered with.
 */
export class PayloadDecryptionError extends ApplicationFailure {
  constructor(message: string, type: 'UnknownEncryptionKey' | 'PayloadDecryptionFailed' | 'UnencryptedPayload') {
    // `name` stays ApplicationFailure (read-only in the SDK); `type` tells the two apart.
    super(message, type, true);
  }
}

/** The payload names a key this process does not hold. */
export class UnknownEncryptionKeyError extends PayloadDecryptionError {
  constructor(readonly keyId: string) {
    super(
      `payload is encrypted with key "${keyId}", which is not in PAYLOAD_KEYS; ` +
        'add that key (after the current one) to every worker and API process',
      'UnknownEncryptionKey',
    );
  }
}

/** A plain payload where encryption is required: it did not come from a holder of the key. */
export class UnencryptedPayloadError extends PayloadDecryptionError {
  constructor() {
    super(
      'payload is not encrypted, and this deployment requires encryption: it was not written by the bridge ' +
        '(set PAYLOAD_ACCEPT_UNENCRYPTED=true only while histories from before encryption are still open)',
      'UnencryptedPayload',
    );
  }
}

export interface EncryptionCodecOptions {
  /** Decode plain payloads as they are (histories from before encryption); default false: refuse them. */
  acceptUnencrypted?: boolean;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly keyring: PayloadKeyring,
    private readonly options: EncryptionCodecOptions = {},
  ) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encryptOne(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decryptOne(payload));
  }

  encryptOne(payload: Payload): Payload {
    const keyId = this.keyring.currentKeyId;
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.currentKey(), iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING),
        [METADATA_KEY_ID]: utf8.encode(keyId),
        [METADATA_CIPHER]: utf8.encode(CIPHER_NAME),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  decryptOne(payload: Payload): Payload {
    if (fromUtf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) {
      if (this.options.acceptUnencrypted) return payload;
      throw new UnencryptedPayloadError();
    }
    const keyId = fromUtf8(payload.metadata?.[METADATA_KEY_ID]);
    if (!keyId) throw new PayloadDecryptionError(`encrypted payload has no ${METADATA_KEY_ID} metadata`, 'PayloadDecryptionFailed');
    const key = this.keyring.key(keyId);
    if (!key) throw new UnknownEncryptionKeyError(keyId);
    const data = payload.data ?? new Uint8Array(0);
    if (data.byteLength < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError('encrypted payload is too short to hold an IV and a tag', 'PayloadDecryptionFailed');
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      // GCM says only "unable to authenticate": the ciphertext, IV or tag was altered, or the
      // key with this id is not the key that encrypted it.
      throw new PayloadDecryptionError(
        `encrypted payload failed authentication with key "${keyId}" (tampered with, or a different key under that id)`,
        'PayloadDecryptionFailed',
      );
    }
    try {
      const decoded = temporal.api.common.v1.Payload.decode(plaintext);
      return { metadata: decoded.metadata, data: decoded.data };
    } catch {
      throw new PayloadDecryptionError('decrypted payload is not a Payload protobuf', 'PayloadDecryptionFailed');
    }
  }
}
