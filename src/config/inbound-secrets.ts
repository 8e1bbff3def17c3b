/**
 * Inbound secrets: what callers of the bridge must present (the Connect `auth_token`, the
 * Zendesk and white-label signing secrets, the ops bearer token). Required once real tickets
 * flow; in the sandbox a secret left unset is generated, so the endpoints stay authenticated
 * on a laptop without anyone having to invent one.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EnvReader } from './env-reader';

export type SecretVariable = 'CONNECT_WEBHOOK_TOKEN' | 'ZENDESK_WEBHOOK_SECRET' | 'WHITELABEL_WEBHOOK_SECRET' | 'FRESHDESK_WEBHOOK_TOKEN' | 'OPS_API_TOKEN';

const MIN_SECRET_LENGTH = 16;

/** Any secret callers present (the inbound ones above, and the codec and metrics tokens). */
export const inboundSecret = z
  .string()
  .min(MIN_SECRET_LENGTH, { error: `must be at least ${MIN_SECRET_LENGTH} characters (it authenticates callers)` });

export class InboundSecrets {
  /** Names of the secrets generated because the sandbox runs without them (print them to play). */
  readonly generated: SecretVariable[] = [];

  /** `saved`: what an earlier start generated (src/sandbox/secrets.ts), so a restart keeps them. */
  constructor(
    private readonly r: EnvReader,
    private readonly saved: Partial<Record<SecretVariable, string>> = {},
  ) {}

  read(variable: SecretVariable, requiredWhen: boolean, why: string): string | undefined {
    if (requiredWhen || this.r.isSet(variable)) return this.r.requiredIf(requiredWhen, variable, inboundSecret, why);
    // Sandbox: the simulators sign with whatever we pick.
    this.generated.push(variable);
    const saved = this.saved[variable];
    return saved !== undefined && inboundSecret.safeParse(saved).success ? saved : randomBytes(24).toString('base64url');
  }
}
