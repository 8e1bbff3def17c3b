/** Payload encryption for Temporal: the codec, its keyring, the data converter, the codec server's JSON form. */
export {
  CIPHER_NAME,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_KEY_ID,
  type EncryptionCodecOptions,
  PayloadDecryptionError,
  UnencryptedPayloadError,
  UnknownEncryptionKeyError,
} from './encryption-codec';
export { AES_256_KEY_BYTES, PayloadKeyring, parsePayloadKeys, payloadKeysSchema } from './keyring';
export {
  bundleOptionsFrom,
  dataConverterFrom,
  FAILURE_CONVERTER_PATH,
  logPayloadEncryption,
  payloadCodecFrom,
  type PayloadEncryption,
  type PayloadEncryptionConfig,
} from './data-converter';
