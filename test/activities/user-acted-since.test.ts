import { userActedSince } from '../../src/activities/create-activities';
import type { SourceWriteCondition } from '../../src/activities/types';
import type { SourceComment, SourceTicket, TicketStatus } from '../../src/domain/ticket';

/** The check a source write makes on its fresh read: did the user act since the decision saw the ticket? */
describe('userActedSince', () => {
  const comment = (id: string, author: SourceComment['author'], at: string): SourceComment => ({ id, author, body: `m${id}`, createdAt: at, attachments: [] });
  const ticket = (status: TicketStatus, comments: SourceComment[] = []): SourceTicket => ({
    source: 'connect',
    id: 'T-1',
    status,
    title: 't',
    description: 'd',
    requester: { externalId: 'u', name: null, email: null },
    assigneeRef: null,
    comments,
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:05:00.000Z',
  });
  const seen = comment('1', 'USER', '2026-12-06T10:01:00.000Z');
  const condition = (status: TicketStatus, more: Partial<SourceWriteCondition> = {}): SourceWriteCondition => ({
    status,
    cursor: { id: seen.id, createdAt: seen.createdAt },
    excludeIds: [],
    ...more,
  });

  test.each<[string, SourceTicket, TicketStatus, SourceWriteCondition, string | null]>([
    ['nothing since', ticket('OPEN', [seen]), 'PENDING', condition('OPEN'), null],
    ['a user comment after the cursor', ticket('OPEN', [seen, comment('2', 'USER', '2026-12-06T10:02:00.000Z')]), 'PENDING', condition('OPEN'), 'the user commented'],
    ["the bridge's own comment is no news", ticket('OPEN', [seen, comment('2', 'SUPPORT', '2026-12-06T10:02:00.000Z')]), 'PENDING', condition('OPEN', { excludeIds: ['2'] }), null],
    ['the user closed', ticket('CLOSED'), 'PENDING', condition('OPEN'), 'the user closed the ticket'],
    ['the user answered "not resolved"', ticket('OPEN'), 'CLOSED', condition('SOLVED'), 'the user answered "not resolved"'],
    // Found by review (rules 1.4 made the window long): a user's own "resolved" was written over.
    ['the user marked it resolved', ticket('SOLVED'), 'PENDING', condition('OPEN'), 'the user marked the ticket resolved'],
    ['SOLVED is the target: no news', ticket('SOLVED'), 'SOLVED', condition('OPEN'), null],
    ['a reopen, decided from the last knowledge: the user acted', ticket('OPEN'), 'PENDING', condition('PENDING', { remembered: true }), 'the user reopened the ticket'],
    ['PENDING from the bridge’s own support comment (white-label) is no news', ticket('PENDING'), 'OPEN', condition('OPEN', { remembered: true }), null],
  ])('%s', (_name, fresh, target, given, expected) => {
    expect(userActedSince(fresh, target, given)).toBe(expected);
  });
});
