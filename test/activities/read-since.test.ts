/** How far back a CRM read asks for comments (src/activities/create-activities.ts `readSince`). */
import { readSince } from '../../src/activities/create-activities';
import { LOOKBACK_MS } from '../../src/domain/comments';

const window = (over: Partial<Parameters<typeof readSince>[0]> = {}) => ({ cursor: null, ownIds: [], maxBytes: 1, recent: null, ...over });

describe('readSince', () => {
  it('nothing read yet: every comment', () => {
    expect(readSince(window())).toEqual({});
  });

  it('the look-back behind the cursor', () => {
    const cursor = { createdAt: '2026-01-01T01:00:00.000Z', id: '9' };
    expect(readSince(window({ cursor }))).toEqual({ commentsSince: new Date(Date.parse(cursor.createdAt) - LOOKBACK_MS).toISOString() });
  });

  it('or the oldest comment still watched behind it, if earlier', () => {
    const cursor = { createdAt: '2026-01-01T01:00:00.000Z', id: '9' };
    const recent = { since: '2026-01-01T00:40:00.000Z', ids: ['7'] };
    expect(readSince(window({ cursor, recent }))).toEqual({ commentsSince: recent.since });
  });

  it('a cursor whose time does not parse: every comment', () => {
    expect(readSince(window({ cursor: { createdAt: 'garbage', id: '1' } }))).toEqual({});
  });
});
