/**
 * The inbox on disk: an append-only journal of one file per queued notification.
 *
 * Why files in a directory and not a database: the API must answer 202 only once the
 * notification would survive a crash, and Node 20 has no embedded database (no `node:sqlite`;
 * native addons cannot be downloaded prebuilt where this runs, and a second database would be a
 * second thing to operate). The inbox is short-lived, usually empty, and only ever appended to,
 * read in order and deleted from, which is exactly what a directory with atomic renames gives:
 *
 *  - append: write `<name>.tmp` (mode 0600), fsync it, rename it to `<name>`, fsync the
 *    directory, then answer. A crash before the rename leaves only a `.tmp`, which is never
 *    replayed and is deleted at the next start; after the directory fsync the entry is durable.
 *    A checksum (entry-codec.ts) catches whatever a file system still gets wrong.
 *  - names: `<seq, 16 digits>-<received at, ms, 13 digits>-<ordering key hash>.entry`, so
 *    lexical order is arrival order (the sequence continues from the highest one on disk), the
 *    oldest entry's age and each entry's ticket are known without reading any file.
 *  - ack: delete the file once Temporal has the notification. The directory is not fsynced for
 *    that: a crash right after may bring the file back, and it is delivered again, which is
 *    harmless (at-least-once, see drainer.ts).
 *  - an entry that cannot be read back (corrupt, or encrypted with a key no longer configured)
 *    is renamed `<name>.unreadable` and kept for an operator, never replayed half-understood.
 *
 * One process per directory: the sequence and the in-memory index assume nobody else writes
 * there (each API instance needs its own persistent inbox directory).
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { payloadCodecFrom, type PayloadEncryption } from '../../security/codec/data-converter';
import { InboxEntryCodec } from './entry-codec';
import { type InboxNotification, orderingKeyHash } from './notification';

const ENTRY = /^(\d{16})-(\d{13})-([0-9a-f]{16})\.entry$/;
const UNREADABLE_SUFFIX = '.unreadable';
const TMP_SUFFIX = '.tmp';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** One queued notification, as the index knows it (from its file name alone). */
export interface InboxEntryRef {
  /** The file name: unique, and lexically ordered by arrival. */
  readonly name: string;
  readonly seq: number;
  /** When the API received (and queued) it. */
  readonly receivedAtMs: number;
  /** Entries with the same key are for the same ticket (see `orderingKey`). */
  readonly keyHash: string;
}

export interface InboxStats {
  /** Entries waiting for delivery. */
  entries: number;
  /** When the oldest waiting entry was received; null when there is none. */
  oldestReceivedAtMs: number | null;
  /** Entries set aside as unreadable (`*.unreadable`), kept for an operator. */
  unreadable: number;
  maxEntries: number;
}

/** Whole seconds since `ms` (null for none): the age of an entry, for logs, health and metrics. */
export function ageSeconds(ms: number | null, now = Date.now()): number | null {
  return ms === null ? null : Math.max(0, Math.floor((now - ms) / 1000));
}

export interface InboxStoreOptions {
  dir: string;
  /** Appends beyond this many waiting entries are refused (`InboxFullError`). */
  maxEntries: number;
  /** With `required`, entries are encrypted with the payload keyring. */
  payloadEncryption: PayloadEncryption;
}

/** The inbox holds `maxEntries` already: nothing was written. */
export class InboxFullError extends Error {
  override readonly name = 'InboxFullError';
  constructor(readonly maxEntries: number) {
    super(`the inbox holds its maximum of ${maxEntries} entries`);
  }
}

/** The store was closed (the API is stopping): nothing was written. */
export class InboxClosedError extends Error {
  override readonly name = 'InboxClosedError';
  constructor() {
    super('the inbox is closed');
  }
}

export class InboxStore {
  /** Waiting entries by name; `pending()` sorts them (appends may finish out of order). */
  readonly #entries = new Map<string, InboxEntryRef>();
  /** Waiting entries per ordering key hash. */
  readonly #perKey = new Map<string, number>();
  readonly #codec: InboxEntryCodec;
  readonly #appends = new Set<Promise<unknown>>();
  #nextSeq: number;
  #unreadable: number;
  #closed = false;

  private constructor(
    readonly dir: string,
    readonly maxEntries: number,
    codec: InboxEntryCodec,
    found: { entries: InboxEntryRef[]; unreadable: number; nextSeq: number },
  ) {
    this.#codec = codec;
    for (const ref of found.entries) this.#index(ref);
    this.#unreadable = found.unreadable;
    this.#nextSeq = found.nextSeq;
  }

  /**
   * Opens (creating it, mode 0700) the directory, indexes the entries a previous process left,
   * and deletes the `.tmp` files of appends that never completed.
   */
  static async open(options: InboxStoreOptions): Promise<InboxStore> {
    const { dir } = options;
    let names: string[];
    try {
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
      names = await readdir(dir);
    } catch (err) {
      // At start-up, so the process stops here, saying which directory (not a secret) and why.
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new Error(`the inbox directory ${dir} (INBOX_DIR) cannot be used (${code})`, { cause: err });
    }
    const entries: InboxEntryRef[] = [];
    let unreadable = 0;
    let maxSeq = 0;
    let removed = 0;
    for (const name of names) {
      if (name.endsWith(TMP_SUFFIX)) {
        // Never renamed into place: no 202 was given for it, the sender was told 503 or nothing.
        await unlink(join(dir, name)).catch(ignoreMissing);
        removed++;
        continue;
      }
      const isUnreadable = name.endsWith(UNREADABLE_SUFFIX);
      const ref = parseName(isUnreadable ? name.slice(0, -UNREADABLE_SUFFIX.length) : name);
      if (!ref) continue; // not ours: left alone
      maxSeq = Math.max(maxSeq, ref.seq);
      if (isUnreadable) unreadable++;
      else entries.push(ref);
    }
    if (removed > 0) await fsyncDir(dir);
    entries.sort(bySeq);
    return new InboxStore(dir, options.maxEntries, new InboxEntryCodec(payloadCodecFrom(options)), {
      entries,
      unreadable,
      nextSeq: maxSeq + 1,
    });
  }

  /**
   * Durably records a notification: resolves only once it would survive a crash. Rejects with
   * `InboxFullError`, `InboxClosedError` or the file system's error, having recorded nothing.
   */
  append(item: InboxNotification): Promise<InboxEntryRef> {
    if (this.#closed) return Promise.reject(new InboxClosedError());
    if (this.#entries.size + this.#appends.size >= this.maxEntries) return Promise.reject(new InboxFullError(this.maxEntries));
    const write = this.#write(item);
    this.#appends.add(write);
    return write.finally(() => this.#appends.delete(write));
  }

  async #write(item: InboxNotification): Promise<InboxEntryRef> {
    const fields = { seq: this.#nextSeq++, receivedAtMs: Date.now(), keyHash: orderingKeyHash(item) };
    const ref: InboxEntryRef = { ...fields, name: entryName(fields) };
    const path = join(this.dir, ref.name);
    const tmp = `${path}${TMP_SUFFIX}`;
    const bytes = this.#codec.encode(item);
    try {
      // `wx`: never reuse a name; 0600 (umask can only narrow it): the entry may hold personal data.
      const file = await open(tmp, 'wx', FILE_MODE);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(ignoreMissing);
      throw err;
    }
    // In the index from here on: should the directory fsync fail, the sender gets a 503 and may
    // send it again, and this copy is delivered too (harmless, see drainer.ts).
    this.#index(ref);
    // The rename is durable only once the directory is: until then no 202.
    await fsyncDir(this.dir);
    return ref;
  }

  /** Waiting entries, oldest first. A snapshot: appends and acks meanwhile do not change it. */
  pending(): InboxEntryRef[] {
    return [...this.#entries.values()].sort(bySeq);
  }

  /** Whether an entry for this notification's ticket is waiting (a new one must queue behind it). */
  holds(item: InboxNotification): boolean {
    return this.#perKey.has(orderingKeyHash(item));
  }

  /**
   * The entry's notification; null when its file is gone (acked by an earlier process that
   * crashed before it could forget it). Rejects with `InboxEntryUnreadableError` when it cannot
   * be decoded: `setAside` it.
   */
  async read(ref: InboxEntryRef): Promise<InboxNotification | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.dir, ref.name));
    } catch (err) {
      if (isMissing(err)) {
        this.#forget(ref);
        return null;
      }
      throw err;
    }
    return this.#codec.decode(bytes);
  }

  /** Temporal has it: the entry is deleted. */
  async ack(ref: InboxEntryRef): Promise<void> {
    await unlink(join(this.dir, ref.name)).catch(ignoreMissing);
    this.#forget(ref);
  }

  /** An entry that cannot be read back: renamed `*.unreadable`, kept for an operator, never replayed. */
  async setAside(ref: InboxEntryRef): Promise<void> {
    const path = join(this.dir, ref.name);
    await rename(path, `${path}${UNREADABLE_SUFFIX}`);
    await fsyncDir(this.dir);
    this.#forget(ref);
    this.#unreadable++;
  }

  stats(): InboxStats {
    let oldest: number | null = null;
    for (const ref of this.#entries.values()) if (oldest === null || ref.receivedAtMs < oldest) oldest = ref.receivedAtMs;
    return { entries: this.#entries.size, oldestReceivedAtMs: oldest, unreadable: this.#unreadable, maxEntries: this.maxEntries };
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Refuses further appends and waits for those under way (their senders are owed an answer). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#appends]);
  }

  #index(ref: InboxEntryRef): void {
    this.#entries.set(ref.name, ref);
    this.#perKey.set(ref.keyHash, (this.#perKey.get(ref.keyHash) ?? 0) + 1);
  }

  #forget(ref: InboxEntryRef): void {
    if (!this.#entries.delete(ref.name)) return;
    const left = (this.#perKey.get(ref.keyHash) ?? 1) - 1;
    if (left > 0) this.#perKey.set(ref.keyHash, left);
    else this.#perKey.delete(ref.keyHash);
  }
}

function entryName(ref: Omit<InboxEntryRef, 'name'>): string {
  return `${String(ref.seq).padStart(16, '0')}-${String(ref.receivedAtMs).padStart(13, '0')}-${ref.keyHash}.entry`;
}

function parseName(name: string): InboxEntryRef | null {
  const match = ENTRY.exec(name);
  if (!match) return null;
  return { name, seq: Number(match[1]), receivedAtMs: Number(match[2]), keyHash: match[3]! };
}

const bySeq = (a: InboxEntryRef, b: InboxEntryRef): number => a.seq - b.seq;

/** Makes renames and deletions in `dir` durable (POSIX: fsync the directory itself). */
async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

function ignoreMissing(err: unknown): void {
  if (!isMissing(err)) throw err;
}
