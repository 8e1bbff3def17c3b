/**
 * Payload encryption (src/security/codec) and the codec server that decrypts payloads for the
 * Temporal UI (issue 23): one job per token.
 */
import { z } from 'zod';
import type { PayloadEncryption } from '../security/codec/data-converter';
import { GENERATE_KEY_HINT, payloadKeysSchema } from '../security/codec/keyring';
import type { EnvReader } from './env-reader';
import { inboundSecret } from './inbound-secrets';
import { WHEN_REAL_TICKETS } from './sandbox';
import { boolean, hostPort } from './values';

export const PAYLOAD_ENCRYPTION_MODES = ['required', 'off'] as const;
const encryptionMode = z.enum(PAYLOAD_ENCRYPTION_MODES, { error: `must be one of ${PAYLOAD_ENCRYPTION_MODES.join(', ')}` });

export interface CodecSettings {
  /** `PAYLOAD_ENCRYPTION` / `PAYLOAD_KEYS`: how Temporal payloads are protected. */
  payloadEncryption: PayloadEncryption;
  /**
   * `CODEC_AUTH_TOKEN`: the codec server's own bearer token (required with payload encryption
   * wherever real tickets flow); null: the codec server is not served. Never the ops token.
   */
  codecAuthToken: string | null;
  /**
   * `CODEC_LISTEN`: host:port of a listener of the codec server's own (an internal interface,
   * next to the Temporal UI); null: served on the API's port.
   */
  codecListen: string | null;
}

/**
 * `PAYLOAD_ENCRYPTION`, `PAYLOAD_KEYS`: required by default wherever real tickets flow; the
 * sandbox may run without keys (with a warning at start). Keys set always mean encryption.
 */
export function readPayloadEncryption(r: EnvReader, realTickets: boolean): PayloadEncryption {
  const keysSet = r.isSet('PAYLOAD_KEYS');
  const mode = r.withDefault('PAYLOAD_ENCRYPTION', encryptionMode, realTickets || keysSet ? 'required' : 'off');
  const keyring = r.optional('PAYLOAD_KEYS', payloadKeysSchema);
  if (mode === 'required' && !keysSet) {
    const why = r.isSet('PAYLOAD_ENCRYPTION') ? '' : ` (the default ${WHEN_REAL_TICKETS})`;
    r.issues.push({
      variable: 'PAYLOAD_KEYS',
      message: `is required when PAYLOAD_ENCRYPTION is required${why}: <key id>:<base64 32-byte key>[,<older id>:<key>...]; ${GENERATE_KEY_HINT}`,
    });
  }
  if (mode === 'off' && keysSet) {
    r.issues.push({ variable: 'PAYLOAD_ENCRYPTION', message: 'is off but PAYLOAD_KEYS is set; unset one of them' });
  }
  return keyring ? { mode: 'required', keyring } : { mode: 'off' };
}

/**
 * The codec server decrypts every payload, which the ops token (documented as seeing no personal
 * data) must not be able to do: with encryption on and real tickets, `CODEC_AUTH_TOKEN` is
 * required and must differ from `OPS_API_TOKEN`. Unset elsewhere, the codec server is not served.
 *
 * `CODEC_LISTEN` moves the codec server off the API's public port onto a listener of its own.
 *
 * `PAYLOAD_ACCEPT_UNENCRYPTED=true` lets plain payloads through decode (histories written before
 * encryption was switched on); by default a plain payload is refused, since only a holder of the
 * key can have written an encrypted one.
 */
export function readCodecSettings(
  r: EnvReader,
  encryption: PayloadEncryption,
  opsApiToken: string | undefined,
  realTickets: boolean,
): CodecSettings {
  const encrypting = encryption.mode === 'required' || r.isSet('PAYLOAD_KEYS');
  const token = r.requiredIf(
    encrypting && realTickets,
    'CODEC_AUTH_TOKEN',
    inboundSecret,
    'when payload encryption is on: the codec server (/codec) decrypts every payload, so it takes a token of its own, not OPS_API_TOKEN',
  );
  if (token !== undefined && token === opsApiToken) {
    r.issues.push({ variable: 'CODEC_AUTH_TOKEN', message: 'must differ from OPS_API_TOKEN (the ops token must not decrypt payloads)' });
  }
  const codecListen = r.optional('CODEC_LISTEN', hostPort) ?? null;
  if (codecListen !== null && token === undefined && !r.issues.some((i) => i.variable === 'CODEC_AUTH_TOKEN')) {
    r.issues.push({ variable: 'CODEC_AUTH_TOKEN', message: 'is required when CODEC_LISTEN is set (the codec server takes a token of its own)' });
  }
  const acceptUnencrypted = r.optional('PAYLOAD_ACCEPT_UNENCRYPTED', boolean);
  if (acceptUnencrypted !== undefined && !encrypting) {
    r.issues.push({ variable: 'PAYLOAD_ACCEPT_UNENCRYPTED', message: 'only applies with payload encryption on (PAYLOAD_KEYS); unset it' });
  }
  return {
    payloadEncryption: encryption.mode === 'required' && acceptUnencrypted ? { ...encryption, acceptUnencrypted } : encryption,
    codecAuthToken: token ?? null,
    codecListen,
  };
}

/** Comma-separated browser origins (`https://temporal.example.com`): scheme, host, port, nothing else. */
const corsOrigins = z.string().transform((text, ctx) => {
  const origins = text.split(',').map((o) => o.trim().replace(/\/+$/, ''));
  for (const origin of origins) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      ctx.addIssue({ code: 'custom', message: 'must be origins like https://temporal-ui.example.com:8080 (scheme, host, port; no path, no *), comma-separated' });
      return z.NEVER;
    }
  }
  return origins;
});

/** `CODEC_CORS_ORIGIN`: the Temporal UI origin(s) allowed to call the codec server from a browser. */
export const readCodecCorsOrigins = (r: EnvReader): string[] => r.optional('CODEC_CORS_ORIGIN', corsOrigins) ?? [];
