/**
 * One data converter for every Temporal client and worker of the bridge, derived from the
 * configuration: with payload encryption on, the AES-256-GCM codec and the failure converter
 * that moves error messages into (encrypted) payloads; off, the SDK defaults.
 *
 * The client and the worker must agree: a worker without the codec cannot read what an
 * encrypting client sent (its workflow tasks fail until it is fixed), and the reverse.
 */
import type { DataConverter } from '@temporalio/common';
import type { Logger } from '../../observability/logger';
import { EncryptionCodec } from './encryption-codec';
import type { PayloadKeyring } from './keyring';

export type PayloadEncryption =
  /**
   * Every payload is encrypted with the keyring's current key, and a plain one is refused on
   * decode unless `acceptUnencrypted` (`PAYLOAD_ACCEPT_UNENCRYPTED`: histories from before
   * encryption, still open).
   */
  | { mode: 'required'; keyring: PayloadKeyring; acceptUnencrypted?: boolean }
  /** No codec: payloads are stored as plain JSON (sandbox / development only). */
  | { mode: 'off' };

export interface PayloadEncryptionConfig {
  payloadEncryption: PayloadEncryption;
}

/** Path of the failure converter module, for the worker and for `bundleWorkflowCode`. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The codec for this configuration, or null when encryption is off. */
export function payloadCodecFrom(config: PayloadEncryptionConfig): EncryptionCodec | null {
  const encryption = config.payloadEncryption;
  return encryption.mode === 'required' ? new EncryptionCodec(encryption.keyring, { acceptUnencrypted: encryption.acceptUnencrypted ?? false }) : null;
}

/**
 * The `dataConverter` option of `new Client(...)` and `Worker.create(...)`. A worker given a
 * prebuilt `workflowBundle` must have been bundled with `bundleOptionsFrom(config)` too.
 */
export function dataConverterFrom(config: PayloadEncryptionConfig): DataConverter {
  const codec = payloadCodecFrom(config);
  if (!codec) return {};
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/**
 * Options for `bundleWorkflowCode` matching `dataConverterFrom(config)`: only the mode matters
 * (the failure converter is workflow code; the keys are not), so a build can bundle both.
 */
export function bundleOptionsFrom(config: { payloadEncryption: Pick<PayloadEncryption, 'mode'> }): { failureConverterPath?: string } {
  return config.payloadEncryption.mode === 'required' ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {};
}

/** Say at start-up what protects the payloads; a loud warning when nothing does. */
export function logPayloadEncryption(logger: Logger, config: PayloadEncryptionConfig): void {
  const encryption = config.payloadEncryption;
  if (encryption.mode === 'required') {
    const acceptUnencrypted = encryption.acceptUnencrypted ?? false;
    logger.info(
      { currentKeyId: encryption.keyring.currentKeyId, keyIds: encryption.keyring.keyIds, acceptUnencrypted },
      acceptUnencrypted
        ? 'payload encryption on (AES-256-GCM); unencrypted payloads still accepted (PAYLOAD_ACCEPT_UNENCRYPTED)'
        : 'payload encryption on (AES-256-GCM); unencrypted payloads refused',
    );
  } else {
    logger.warn(
      '*** PAYLOAD ENCRYPTION OFF: ticket contents (names, e-mails, messages) are stored in plain text in Temporal ' +
        'histories. Fine for the sandbox; set PAYLOAD_KEYS for anything else. ***',
    );
  }
}
