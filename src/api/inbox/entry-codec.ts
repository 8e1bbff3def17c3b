/**
 * The bytes of one inbox entry file:
 *
 *     "TBINBOX1" ‖ uint32 BE length ‖ Payload protobuf (length bytes) ‖ SHA-256 of everything before
 *
 * The Payload is the notification as Temporal's own JSON payload converter writes it, and with
 * payload encryption configured it goes through the bridge's AES-256-GCM codec first
 * (`EncryptionCodec.encryptOne`, the same keyring and wire format as every Temporal payload):
 * white-label events carry names and message text, and the disk of an API host is no more
 * trusted with them than Temporal's database is.
 *
 * The checksum catches a torn or truncated file (the store's tmp + fsync + rename should make
 * those impossible, but a file system or a person may still leave one), so a damaged entry is
 * reported, never half-replayed. Authentication of encrypted entries is GCM's own tag.
 */
import { createHash } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ENCRYPTED_ENCODING, type EncryptionCodec, PayloadDecryptionError, UnknownEncryptionKeyError } from '../../security/codec/encryption-codec';
import { type InboxNotification, inboxNotificationSchema } from './notification';

const MAGIC = Buffer.from('TBINBOX1', 'ascii');
const LENGTH_BYTES = 4;
const CHECKSUM_BYTES = 32;
const { Payload: PayloadProto } = temporal.api.common.v1;

/** Why an entry cannot be replayed. Fixed words: they are logged (the error's `kind`). */
export type UnreadableReason =
  /** Truncated, altered or not an inbox entry at all. */
  | 'corrupt'
  /** Encrypted with a key id PAYLOAD_KEYS does not hold (a key dropped too early). */
  | 'unknown-key'
  /** GCM refused it: a different key under the same id, or altered ciphertext. */
  | 'decryption-failed'
  /** Encrypted, but this process runs without PAYLOAD_KEYS. */
  | 'encrypted-without-keys'
  /** Decoded, but not a notification this version understands. */
  | 'invalid';

export class InboxEntryUnreadableError extends Error {
  override readonly name = 'InboxEntryUnreadableError';
  constructor(
    /** Logged (serializeError keeps `kind`), unlike the message. */
    readonly kind: UnreadableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Encodes and decodes entries; `codec` null: plain JSON (payload encryption off). */
export class InboxEntryCodec {
  constructor(private readonly codec: EncryptionCodec | null) {}

  encode(item: InboxNotification): Buffer {
    const plain = defaultPayloadConverter.toPayload(item);
    const payload = this.codec ? this.codec.encryptOne(plain) : plain;
    const body = PayloadProto.encode(payload).finish();
    const length = Buffer.alloc(LENGTH_BYTES);
    length.writeUInt32BE(body.byteLength);
    const framed = Buffer.concat([MAGIC, length, body]);
    return Buffer.concat([framed, sha256(framed)]);
  }

  /** The notification, or `InboxEntryUnreadableError` saying why not. */
  decode(bytes: Buffer): InboxNotification {
    const payload = this.unframe(bytes);
    const encrypted = utf8(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
    let plain: Payload = payload;
    if (encrypted) {
      if (!this.codec) throw new InboxEntryUnreadableError('encrypted-without-keys', 'the entry is encrypted but PAYLOAD_KEYS is not configured');
      plain = this.decrypt(payload);
    }
    // Entries written before encryption was switched on stay readable, as histories do.
    let value: unknown;
    try {
      value = defaultPayloadConverter.fromPayload(plain);
    } catch (err) {
      throw new InboxEntryUnreadableError('invalid', 'the entry does not hold a JSON payload', { cause: err });
    }
    const parsed = inboxNotificationSchema.safeParse(value);
    if (!parsed.success) throw new InboxEntryUnreadableError('invalid', 'the entry is not a notification this version understands');
    return parsed.data;
  }

  private unframe(bytes: Buffer): Payload {
    const headerBytes = MAGIC.length + LENGTH_BYTES;
    if (bytes.length < headerBytes + CHECKSUM_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new InboxEntryUnreadableError('corrupt', 'not an inbox entry (bad header)');
    }
    const length = bytes.readUInt32BE(MAGIC.length);
    if (bytes.length !== headerBytes + length + CHECKSUM_BYTES) throw new InboxEntryUnreadableError('corrupt', 'truncated or overlong inbox entry');
    const framed = bytes.subarray(0, headerBytes + length);
    if (!sha256(framed).equals(bytes.subarray(headerBytes + length))) throw new InboxEntryUnreadableError('corrupt', 'inbox entry checksum mismatch');
    try {
      const decoded = PayloadProto.decode(framed.subarray(headerBytes));
      return { metadata: decoded.metadata, data: decoded.data };
    } catch (err) {
      throw new InboxEntryUnreadableError('corrupt', 'inbox entry is not a Payload', { cause: err });
    }
  }

  private decrypt(payload: Payload): Payload {
    try {
      return this.codec!.decryptOne(payload);
    } catch (err) {
      if (err instanceof UnknownEncryptionKeyError) {
        throw new InboxEntryUnreadableError('unknown-key', `the entry is encrypted with key "${err.keyId}", which is not in PAYLOAD_KEYS`, { cause: err });
      }
      if (err instanceof PayloadDecryptionError) throw new InboxEntryUnreadableError('decryption-failed', 'the entry failed decryption', { cause: err });
      throw err;
    }
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function utf8(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : undefined;
}
