import type { SimResponse } from '../common/sim-server';
import { unwatched, type OnChange } from '../common/snapshot';
import type { IdempotencyEntry } from './snapshot';

/**
 * Zendesk's `Idempotency-Key` on ticket creation: the first response is kept for 2 hours and
 * replayed for the same key (`x-idempotency-lookup: hit`); the same key with a different body is
 * a 400. Only successful creates are kept, so a failed attempt can be retried with its key.
 */
const TTL_MS = 2 * 60 * 60 * 1000;
export const MAX_KEY_LENGTH = 255;

type Entry = Omit<IdempotencyEntry, 'key'>;

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly changed: OnChange;

  constructor(
    private readonly now: () => number,
    options: { snapshot?: readonly IdempotencyEntry[]; onChange?: OnChange } = {},
  ) {
    this.changed = options.onChange ?? unwatched;
    for (const { key, ...entry } of structuredClone(options.snapshot ?? [])) this.entries.set(key, entry);
  }

  /**
   * The keys still remembered. Kept across a restart of the sandbox because the bridge retries a
   * create whose answer it never saw with the same key, and must not get a second ticket.
   */
  toSnapshot(): IdempotencyEntry[] {
    const live = [...this.entries].filter(([, e]) => e.expiresAt > this.now());
    return structuredClone(live.map(([key, e]) => ({ key, ...e })));
  }

  /** The replayed response, 'conflict' for a different body, or null when the key is new. */
  lookup(key: string, body: unknown): SimResponse | 'conflict' | null {
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= this.now()) return null;
    return entry.fingerprint === fingerprint(body) ? entry.response : 'conflict';
  }

  remember(key: string, body: unknown, response: SimResponse): void {
    this.entries.set(key, { fingerprint: fingerprint(body), response, expiresAt: this.now() + TTL_MS });
    this.changed();
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
