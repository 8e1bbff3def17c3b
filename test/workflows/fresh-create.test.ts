/**
 * Rules 1.7: a ticket's create skips the lookup by external id only when no helpdesk copy can
 * exist yet. Every condition is needed: each case below drops one and must look.
 */
import { createIsUnseen, FRESH_TICKET_MS, FUTURE_SKEW_MS, type CreateContext } from '../../src/workflows/fresh-create';

const NOW = Date.parse('2026-12-07T10:00:00.000Z');
const fresh: CreateContext = {
  freshCreate: true,
  input: { noEarlierRun: true },
  run: { runId: 'r1', originalExecutionRunId: 'r1' },
  ticketCreatedAt: new Date(NOW - 5_000).toISOString(),
  now: NOW,
  triedBefore: false,
};

describe('createIsUnseen', () => {
  it('a first run, started with no run on record, for a ticket made seconds ago: unseen', () => {
    expect(createIsUnseen(fresh)).toBe(true);
  });

  it.each<[string, Partial<CreateContext>]>([
    ['a run on rules before 1.7', { freshCreate: false }],
    ['a second create in the same run (the first may have landed)', { triedBefore: true }],
    ['a run restarted after a failed or terminated one (no noEarlierRun)', { input: {} }],
    ['a run started after the end', { input: { noEarlierRun: true, afterEnd: { endedAt: null } } }],
    ['a run continued as new', { run: { runId: 'r2', originalExecutionRunId: 'r2', continuedFromExecutionRunId: 'r1' } }],
    ['a reset run (its run id is not the original one)', { run: { runId: 'r2', originalExecutionRunId: 'r1' } }],
    ['a ticket an hour old (an earlier run may be past retention)', { ticketCreatedAt: new Date(NOW - FRESH_TICKET_MS).toISOString() }],
    ['a ticket whose creation time does not parse', { ticketCreatedAt: 'yesterday' }],
    ['a ticket dated more than five minutes ahead (a clock or a unit gone wrong)', { ticketCreatedAt: new Date(NOW + FUTURE_SKEW_MS + 1).toISOString() }],
  ])('%s: looks up first', (_case, change) => {
    expect(createIsUnseen({ ...fresh, ...change })).toBe(false);
  });

  it('a ticket a moment less than an hour old, or dated up to five minutes ahead of the workflow clock: unseen', () => {
    expect(createIsUnseen({ ...fresh, ticketCreatedAt: new Date(NOW - FRESH_TICKET_MS + 1).toISOString() })).toBe(true);
    expect(createIsUnseen({ ...fresh, ticketCreatedAt: new Date(NOW + FUTURE_SKEW_MS).toISOString() })).toBe(true);
  });
});
