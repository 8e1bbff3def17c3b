/**
 * The `TicketFingerprints` value (sync rules 1.6): what the reconciler compares a fresh read
 * with, as digests that say nothing of the ticket and fit a Keyword.
 */
import { fingerprintDigest, fingerprintsKeyword, parseFingerprintsKeyword, sourceFingerprint } from '../../src/domain/fingerprints';
import type { SourceTicket } from '../../src/domain/ticket';

const ASSIGNED = 'agent.ada.lovelace@example.com';

describe('the fingerprints as a search attribute', () => {
  test('is two digests, and reads back as the digests a fresh read is compared with', () => {
    const seen = { source: `OPEN|3|c-17|${ASSIGNED}`, crm: 'open|2026-12-07T05:15:15Z' };
    const value = fingerprintsKeyword(seen);
    expect(value).toMatch(/^s:[0-9a-f]{8}:\d+ c:[0-9a-f]{8}:\d+$/);
    expect(parseFingerprintsKeyword(value)).toEqual({ source: fingerprintDigest(seen.source), crm: fingerprintDigest(seen.crm) });
  });

  test('names no one, and stays short whatever the fingerprint holds', () => {
    const long = { source: `OPEN|5000|${'c'.repeat(2_000)}|${ASSIGNED}`, crm: `open|${'9'.repeat(500)}` };
    const value = fingerprintsKeyword(long);
    expect(value).not.toMatch(/ada|example|lovelace/i);
    expect(value.length).toBeLessThanOrEqual(40);
  });

  test('a side not seen yet is `-`, which no fresh read matches', () => {
    expect(parseFingerprintsKeyword(fingerprintsKeyword({ source: 'NEW|0|-|-', crm: null }))).toEqual({ source: fingerprintDigest('NEW|0|-|-'), crm: '-' });
    expect(fingerprintDigest('deleted')).not.toBe('-');
  });

  test('a change of the ticket changes its digest', () => {
    const ticket: SourceTicket = {
      id: '42', title: 't', description: 'd', status: 'OPEN', createdAt: '2026-12-07T05:00:00Z', updatedAt: '2026-12-07T05:00:00Z',
      requester: { name: 'Ada', email: 'ada@example.com' }, comments: [], assigneeRef: null,
    } as unknown as SourceTicket;
    const before = fingerprintDigest(sourceFingerprint(ticket));
    const after = fingerprintDigest(sourceFingerprint({ ...ticket, comments: [{ id: 'c-1', createdAt: '2026-12-07T05:01:00Z' }] } as unknown as SourceTicket));
    expect(after).not.toBe(before);
    expect(fingerprintDigest(sourceFingerprint({ ...ticket, status: 'SOLVED' }))).not.toBe(before);
  });

  test('a value the bridge did not write reads as nothing (the reconciler then asks the memo or the run)', () => {
    for (const value of ['', 'OPEN', 's:1 c:2 x:3', 's: c:']) expect(parseFingerprintsKeyword(value)).toBeNull();
  });
});
