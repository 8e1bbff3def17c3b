/**
 * The inbox journal on a real file system: order, acknowledgement, what a crash leaves behind,
 * the bound, file modes, and encryption of what lands on disk.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InboxEntryUnreadableError, type InboxNotification, InboxFullError, InboxStore, InboxClosedError } from '../../src/api/inbox';
import { PayloadKeyring } from '../../src/security/codec/keyring';
import { encryptionWith, testKey } from '../security/keys';

const OFF = { mode: 'off' } as const;

function connect(ticketId: string, kind: 'created' | 'updated' = 'created'): InboxNotification {
  return { target: 'source', source: 'connect', sourceTicketId: ticketId, notification: { kind, eventId: null, receivedAt: '2026-01-01T00:00:00.000Z', snapshot: null } };
}

/** A white-label event: the whole ticket, with personal data in it. */
const PERSONAL = { name: 'Ada Lovelace-Byron', email: 'ada.lovelace@example.test', message: 'My meter reads 10432 kWh since the fire' };
function whitelabel(ticketId: string): InboxNotification {
  return {
    target: 'source',
    source: 'whitelabel',
    sourceTicketId: ticketId,
    notification: {
      kind: 'created',
      eventId: 'evt-1',
      receivedAt: '2026-01-01T00:00:00.000Z',
      // The shape does not matter to the store; the personal data does.
      snapshot: { requester: { name: PERSONAL.name, email: PERSONAL.email }, comments: [{ body: PERSONAL.message }] } as never,
    },
  };
}

const zendesk = (crmTicketId: string, externalId: string | null): InboxNotification => ({
  target: 'crm',
  notification: { crmTicketId, eventId: null, receivedAt: '2026-01-01T00:00:00.000Z' },
  externalId,
});

describe('InboxStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'inbox-store-')), 'inbox');
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  const open = (options: Partial<Parameters<typeof InboxStore.open>[0]> = {}) =>
    InboxStore.open({ dir, maxEntries: 100, payloadEncryption: OFF, ...options });
  const files = () => readdirSync(dir).sort();

  it('creates its directory (0700) and starts empty', async () => {
    const store = await open();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(store.pending()).toEqual([]);
    expect(store.stats()).toEqual({ entries: 0, oldestReceivedAtMs: null, unreadable: 0, maxEntries: 100 });
  });

  it('lists in arrival order, reads back exactly what was appended, and forgets what is acknowledged', async () => {
    const store = await open();
    const items = [connect('1'), zendesk('35436', 'connect:1'), connect('2'), whitelabel('u-9'), zendesk('77', null)];
    const before = Date.now();
    for (const item of items) await store.append(item);

    const pending = store.pending();
    expect(pending.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    // File names sort like arrival order, so `ls` tells an operator the order too.
    expect(files()).toEqual(pending.map((r) => r.name));
    expect(await Promise.all(pending.map((r) => store.read(r)))).toEqual(items);
    expect(store.stats().oldestReceivedAtMs).toBeGreaterThanOrEqual(before);

    // Entries of one ticket share a key; the CRM notification naming it by external id too.
    expect(store.holds(connect('1', 'updated'))).toBe(true);
    expect(store.holds(zendesk('99', 'connect:1'))).toBe(true);
    expect(store.holds(connect('3'))).toBe(false);

    await store.ack(pending[0]!);
    await store.ack(pending[2]!);
    expect(store.pending().map((r) => r.seq)).toEqual([2, 4, 5]);
    expect(files()).toEqual([pending[1]!.name, pending[3]!.name, pending[4]!.name]);
    expect(store.holds(connect('1'))).toBe(true); // the Zendesk one for ticket 1 still waits
    await store.ack(pending[1]!);
    expect(store.holds(connect('1'))).toBe(false);
  });

  it('continues the sequence after a restart, so new entries sort after old ones', async () => {
    const first = await open();
    await first.append(connect('1'));
    await first.append(connect('2'));
    await first.ack(first.pending()[0]!);

    const second = await open();
    expect(second.pending().map((r) => r.seq)).toEqual([2]);
    await second.append(connect('3'));
    expect(second.pending().map((r) => r.seq)).toEqual([2, 3]);
    expect(await second.read(second.pending()[0]!)).toEqual(connect('2'));
  });

  it('ignores and deletes the .tmp file of an append a crash interrupted, and never replays it', async () => {
    const store = await open();
    await store.append(connect('1'));
    const [kept] = files();
    // What a crash between write and rename leaves: a partial file under the temporary name.
    const torn = `${'9'.repeat(16)}-${String(Date.now()).padStart(13, '0')}-${'a'.repeat(16)}.entry.tmp`;
    writeFileSync(join(dir, torn), readFileSync(join(dir, kept!)).subarray(0, 20));

    const reopened = await open();
    expect(files()).toEqual([kept]);
    expect(reopened.pending().map((r) => r.name)).toEqual([kept]);
    // The sequence is not taken from the torn file either.
    expect((await reopened.append(connect('2'))).seq).toBe(2);
  });

  it('reports a damaged entry as unreadable instead of replaying it, and sets it aside', async () => {
    const store = await open();
    await store.append(connect('1'));
    await store.append(connect('2'));
    const [damaged, intact] = store.pending();
    const bytes = readFileSync(join(dir, damaged!.name));
    writeFileSync(join(dir, damaged!.name), bytes.subarray(0, bytes.length - 7)); // truncated

    await expect(store.read(damaged!)).rejects.toMatchObject({ name: 'InboxEntryUnreadableError', kind: 'corrupt' });
    bytes[bytes.length - 40] ^= 0xff; // a flipped bit, full length
    writeFileSync(join(dir, damaged!.name), bytes);
    await expect(store.read(damaged!)).rejects.toMatchObject({ kind: 'corrupt' });

    await store.setAside(damaged!);
    expect(store.pending()).toEqual([intact]);
    expect(store.stats().unreadable).toBe(1);
    expect(files()).toEqual([intact!.name, `${damaged!.name}.unreadable`].sort());
    // Kept for an operator across restarts, counted, never listed for delivery.
    const reopened = await open();
    expect(reopened.pending().map((r) => r.name)).toEqual([intact!.name]);
    expect(reopened.stats().unreadable).toBe(1);
  });

  it('treats an entry whose file vanished as delivered', async () => {
    const store = await open();
    const ref = await store.append(connect('1'));
    rmSync(join(dir, ref.name));
    await expect(store.read(ref)).resolves.toBeNull();
    expect(store.size).toBe(0);
  });

  it('refuses appends past INBOX_MAX_ENTRIES, and takes them again once one is acknowledged', async () => {
    const store = await open({ maxEntries: 2 });
    await store.append(connect('1'));
    await store.append(connect('2'));
    await expect(store.append(connect('3'))).rejects.toBeInstanceOf(InboxFullError);
    expect(files()).toHaveLength(2);
    await store.ack(store.pending()[0]!);
    await expect(store.append(connect('3'))).resolves.toMatchObject({ seq: 3 });
  });

  it('counts appends under way against the bound (a burst cannot overshoot it)', async () => {
    const store = await open({ maxEntries: 3 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.append(connect(String(i)))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof InboxFullError)).toBe(true);
    expect(files()).toHaveLength(3);
  });

  it('creates every entry file with mode 0600, whatever the umask', async () => {
    const previous = process.umask(0o000);
    try {
      const store = await open();
      await store.append(whitelabel('u-1'));
      await store.append(connect('2'));
    } finally {
      process.umask(previous);
    }
    for (const name of files()) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
  });

  it('refuses appends once closed, after finishing those under way', async () => {
    const store = await open();
    const underWay = store.append(connect('1'));
    await store.close();
    await expect(underWay).resolves.toMatchObject({ seq: 1 });
    await expect(store.append(connect('2'))).rejects.toBeInstanceOf(InboxClosedError);
  });

  describe('with payload encryption', () => {
    it('writes no plaintext to disk and reads its own entries back', async () => {
      const store = await open({ payloadEncryption: encryptionWith('k1') });
      const item = whitelabel('u-42');
      const ref = await store.append(item);
      const raw = readFileSync(join(dir, ref.name));
      for (const text of [...Object.values(PERSONAL), 'u-42', 'whitelabel', 'evt-1', 'created']) {
        expect(raw.includes(Buffer.from(text))).toBe(false);
      }
      expect(raw.includes(Buffer.from('binary/encrypted'))).toBe(true);
      expect(await store.read(ref)).toEqual(item);
    });

    it('reads entries after a key rotation (old key kept second), and plain entries from before encryption', async () => {
      const plain = await open();
      await plain.append(connect('1'));
      const old = await open({ payloadEncryption: encryptionWith('k1') });
      await old.append(connect('2'));
      const rotated = await open({ payloadEncryption: encryptionWith('k2', 'k1') });
      expect(await Promise.all(rotated.pending().map((r) => rotated.read(r)))).toEqual([connect('1'), connect('2')]);
    });

    it('fails loudly with a wrong key: unknown key id, or the same id with other key bytes', async () => {
      const writer = await open({ payloadEncryption: encryptionWith('k1') });
      const ref = await writer.append(whitelabel('u-1'));

      const otherId = await open({ payloadEncryption: encryptionWith('k2') });
      const unknown = await otherId.read(ref).catch((err: unknown) => err);
      expect(unknown).toBeInstanceOf(InboxEntryUnreadableError);
      expect(unknown).toMatchObject({ kind: 'unknown-key', message: expect.stringContaining('"k1"') });

      const impostor = new PayloadKeyring([{ id: 'k1', key: testKey('not-k1') }]);
      const sameId = await open({ payloadEncryption: { mode: 'required', keyring: impostor } });
      await expect(sameId.read(ref)).rejects.toMatchObject({ kind: 'decryption-failed' });

      const noKeys = await open();
      await expect(noKeys.read(ref)).rejects.toMatchObject({ kind: 'encrypted-without-keys' });
      // Nothing was lost by trying: the entry is still there for the right key.
      expect(await (await open({ payloadEncryption: encryptionWith('k1') })).read(ref)).toEqual(whitelabel('u-1'));
    });
  });
});
