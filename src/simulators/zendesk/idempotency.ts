import type { SimResponse } from '../common/sim-server';

/**
 * Zendesk's `Idempotency-Key` on ticket creation: the first response is kept for 2 hours and
 * replayed for the same key (`x-idempotency-lookup: hit`); the same key with a different body is
 * a 400. Only successful creates are kept, so a failed attempt can be retried with its key.
 */
const TTL_MS = 2 * 60 * 60 * 1000;
export const MAX_KEY_LENGTH = 255;

interface Entry {
  fingerprint: string;
  response: SimResponse;
  expiresAt: number;
}

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  /** The replayed response, 'conflict' for a different body, or null when the key is new. */
  lookup(key: string, body: unknown): SimResponse | 'conflict' | null {
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= this.now()) return null;
    return entry.fingerprint === fingerprint(body) ? entry.response : 'conflict';
  }

  remember(key: string, body: unknown, response: SimResponse): void {
    this.entries.set(key, { fingerprint: fingerprint(body), response, expiresAt: this.now() + TTL_MS });
  }
}

/** Key order must not matter: `{a,b}` and `{b,a}` are the same request. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
