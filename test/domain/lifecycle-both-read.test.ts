/**
 * The v3 decision: one decision from fresh reads of both sides (`both-read`), including the
 * rules for when both sides changed since the last sync.
 */
import {
  crmStatusFor,
  decide,
  DEFAULT_LIFECYCLE_SETTINGS,
  INITIAL_LIFECYCLE_STATE,
  sameSecondDecides,
  undeliveredReplyNote,
  type CrmSide,
  type Effect,
  type LifecycleState,
} from '../../src/domain/lifecycle';
import { CRM_STATUSES, TICKET_STATUSES, type CrmComment, type CrmStatus, type SourceComment, type SourceTicket, type TicketStatus } from '../../src/domain/ticket';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const EARLIER = '2026-03-01T11:00:00Z';
const LATER = '2026-03-01T11:30:00Z';
const TIMEOUT = DEFAULT_LIFECYCLE_SETTINGS.solvedAutoCloseAfterMs;

function ticket(status: TicketStatus, updatedAt = EARLIER): SourceTicket {
  return {
    source: 'connect',
    id: 't1',
    status,
    title: 'title',
    description: 'description',
    requester: { externalId: 'u1', name: null, email: null },
    assigneeRef: null,
    comments: [],
    createdAt: '2026-03-01T10:00:00Z',
    updatedAt,
  };
}

const userComment: SourceComment = { id: '7', author: 'USER', body: 'still broken', createdAt: EARLIER, attachments: [] };
const agentReply: CrmComment = { id: '90', authorId: 'agent', body: 'fixed it', public: true, createdAt: LATER };

function linked(status: TicketStatus, patch: Partial<LifecycleState> = {}): LifecycleState {
  return {
    status,
    sourceStatus: status,
    crmStatus: crmStatusFor(status, true),
    linked: true,
    solvedTimerDeadline: status === 'SOLVED' ? NOW - 1000 + TIMEOUT : null,
    completed: false,
    ...patch,
  };
}

function bothRead(
  state: LifecycleState,
  source: { status: TicketStatus; updatedAt?: string; comments?: SourceComment[] },
  crm: Partial<CrmSide> & { status: CrmStatus },
) {
  return decide(state, {
    type: 'both-read',
    source: { ticket: ticket(source.status, source.updatedAt), newComments: source.comments ?? [] },
    crm: { newAgentReplies: [], updatedAt: EARLIER, ...crm },
    now: NOW,
  });
}

const statusWrites = (effects: Effect[]) => effects.filter((e) => e.type === 'set-crm-status' || e.type === 'set-source-status');

describe('the user’s CLOSED is final', () => {
  test('an agent reply and a pending set after the user confirmed become an internal note; Zendesk is closed', () => {
    // Scenario 1: the confirmation's webhook was late; meanwhile the agent replied and set pending.
    const { state, effects } = bothRead(linked('SOLVED'), { status: 'CLOSED' }, { status: 'pending', newAgentReplies: [agentReply], updatedAt: LATER });
    expect(effects).toEqual([
      { type: 'crm-internal-note', body: undeliveredReplyNote('90') },
      { type: 'set-crm-status', status: 'closed' },
    ]);
    expect(state).toMatchObject({ status: 'CLOSED', sourceStatus: 'CLOSED', crmStatus: 'closed', completed: true, solvedTimerDeadline: null });
  });

  test('the user’s last comments still reach the CRM before it closes', () => {
    const { effects } = bothRead(linked('SOLVED'), { status: 'CLOSED', comments: [userComment] }, { status: 'solved' });
    expect(effects).toEqual([
      { type: 'crm-user-comment', comment: userComment },
      { type: 'set-crm-status', status: 'closed' },
    ]);
  });

  test('a CRM ticket that is closed already gets no write at all', () => {
    const { state, effects } = bothRead(linked('SOLVED'), { status: 'CLOSED' }, { status: 'closed' });
    expect(effects).toEqual([]);
    expect(state.completed).toBe(true);
  });
});

describe('a CRM ticket closed meanwhile', () => {
  test('closes the source after the agents’ replies reached it', () => {
    const { state, effects } = bothRead(linked('SOLVED'), { status: 'SOLVED' }, { status: 'closed', newAgentReplies: [agentReply] });
    expect(effects).toEqual([
      { type: 'source-agent-reply', comment: agentReply },
      { type: 'set-source-status', status: 'CLOSED' },
    ]);
    expect(state).toMatchObject({ status: 'CLOSED', completed: true });
  });
});

describe('both sides changed: the later human action wins', () => {
  test('the agent answered and solved after the user said "not resolved": SOLVED, with the reply', () => {
    // Scenario 8: the user's rejection (source) is older than the agent's reply and solve (CRM).
    const { state, effects } = bothRead(
      linked('SOLVED'),
      { status: 'OPEN', updatedAt: EARLIER, comments: [userComment] },
      { status: 'solved', newAgentReplies: [agentReply], updatedAt: LATER },
    );
    expect(effects).toEqual([
      { type: 'crm-user-comment', comment: userComment },
      { type: 'source-agent-reply', comment: agentReply },
      { type: 'set-source-status', status: 'SOLVED' },
    ]);
    expect(state).toMatchObject({ status: 'SOLVED', sourceStatus: 'SOLVED', crmStatus: 'solved' });
    expect(state.solvedTimerDeadline).not.toBeNull();
  });

  test('the user said "not resolved" after the agent replied: back to the agents', () => {
    const { state, effects } = bothRead(
      linked('SOLVED'),
      { status: 'OPEN', updatedAt: LATER, comments: [userComment] },
      { status: 'solved', newAgentReplies: [{ ...agentReply, createdAt: EARLIER }], updatedAt: EARLIER },
    );
    expect(effects).toEqual([
      { type: 'crm-user-comment', comment: userComment },
      { type: 'source-agent-reply', comment: { ...agentReply, createdAt: EARLIER } },
      { type: 'set-crm-status', status: 'open' },
      { type: 'set-source-status', status: DEFAULT_LIFECYCLE_SETTINGS.reopenSourceStatus },
    ]);
    expect(state).toMatchObject({ status: 'OPEN', solvedTimerDeadline: null });
  });

  test('a user reply after the agent set pending reopens it in the CRM', () => {
    const lateComment = { ...userComment, createdAt: LATER };
    const { state, effects } = bothRead(
      linked('OPEN'),
      { status: 'OPEN', updatedAt: LATER, comments: [lateComment] },
      { status: 'pending', updatedAt: EARLIER },
    );
    expect(effects).toEqual([
      { type: 'crm-user-comment', comment: lateComment },
      { type: 'set-crm-status', status: 'open' },
    ]);
    expect(state.status).toBe('OPEN');
  });

  test('an agent’s pending after the user’s reply is mirrored to the source', () => {
    const { state, effects } = bothRead(
      linked('OPEN'),
      { status: 'OPEN', updatedAt: EARLIER, comments: [userComment] },
      { status: 'pending', newAgentReplies: [agentReply], updatedAt: LATER },
    );
    expect(effects).toEqual([
      { type: 'crm-user-comment', comment: userComment },
      { type: 'source-agent-reply', comment: agentReply },
      { type: 'set-source-status', status: 'PENDING' },
    ]);
    expect(state.status).toBe('PENDING');
  });
});

test('the comments’ own times order the two sides, not a ticket’s updatedAt that the bridge’s writes moved', () => {
  // The agent replied (11:00) before the user did (11:30), but Zendesk's updated_at is the latest
  // (12:00: the bridge wrote to it since). The user's reply is the later human action.
  const { state, effects } = bothRead(
    linked('OPEN'),
    { status: 'OPEN', updatedAt: LATER, comments: [{ ...userComment, createdAt: LATER }] },
    { status: 'open', newAgentReplies: [{ ...agentReply, createdAt: EARLIER }], updatedAt: '2026-03-01T12:00:00Z' },
  );
  expect(state.status).toBe('OPEN');
  expect(effects.filter((e) => e.type === 'set-source-status')).toEqual([]);
});

describe('one side changed: that side decides, as a read of it alone would', () => {
  test('only the user replied: the CRM is opened, the source is not written', () => {
    const { effects } = bothRead(linked('PENDING'), { status: 'OPEN', comments: [userComment] }, { status: 'pending' });
    expect(effects).toEqual([
      { type: 'crm-user-comment', comment: userComment },
      { type: 'set-crm-status', status: 'open' },
    ]);
  });

  test('only the agent replied: the reply and PENDING reach the source', () => {
    const { effects } = bothRead(linked('OPEN'), { status: 'OPEN' }, { status: 'open', newAgentReplies: [agentReply] });
    expect(effects).toEqual([
      { type: 'source-agent-reply', comment: agentReply },
      { type: 'set-source-status', status: 'PENDING' },
    ]);
  });

  test('nothing changed on either side: nothing is written', () => {
    for (const status of ['NEW', 'OPEN', 'PENDING', 'SOLVED'] as const) {
      const state = linked(status);
      const decision = bothRead(state, { status }, { status: crmStatusFor(status, true) });
      expect(decision.effects).toEqual([]);
      expect(decision.state).toEqual(state);
    }
  });

  test('a linked white-label ticket read as NEW after an agent replied is no news', () => {
    const state = linked('PENDING');
    const { effects } = bothRead(state, { status: 'NEW' }, { status: 'pending' });
    expect(effects).toEqual([]);
  });
});

describe('an adopted ticket (nothing remembered of either side)', () => {
  const adopted: LifecycleState = { ...INITIAL_LIFECYCLE_STATE, linked: true };

  test('consistent sides get no write and the lifecycle takes their status', () => {
    const { state, effects } = bothRead(adopted, { status: 'SOLVED' }, { status: 'solved' });
    expect(effects).toEqual([]);
    expect(state).toMatchObject({ status: 'SOLVED', sourceStatus: 'SOLVED', crmStatus: 'solved' });
    expect(state.solvedTimerDeadline).toBe(NOW + TIMEOUT);
  });

  test('closed on both sides completes without a write', () => {
    const { state, effects } = bothRead(adopted, { status: 'CLOSED' }, { status: 'closed' });
    expect(effects).toEqual([]);
    expect(state.completed).toBe(true);
  });

  test('sides that disagree end where the later one is', () => {
    const { effects } = bothRead(adopted, { status: 'PENDING', updatedAt: EARLIER }, { status: 'open', updatedAt: LATER });
    expect(effects).toEqual([{ type: 'set-source-status', status: 'OPEN' }]);
  });
});

test('an unlinked ticket is created from the source read, whatever the CRM side says', () => {
  const { effects } = bothRead(INITIAL_LIFECYCLE_STATE, { status: 'NEW' }, { status: 'open' });
  expect(effects).toEqual([{ type: 'create-crm-ticket', status: 'new' }]);
});

describe('invariants over every pair of remembered and observed statuses', () => {
  const cases: [TicketStatus, TicketStatus, CrmStatus, boolean, boolean][] = [];
  for (const remembered of ['NEW', 'OPEN', 'PENDING', 'SOLVED'] as const)
    for (const source of TICKET_STATUSES)
      for (const crm of CRM_STATUSES.filter((s) => s !== 'new'))
        for (const userReplied of [false, true]) for (const agentReplied of [false, true]) cases.push([remembered, source, crm, userReplied, agentReplied]);

  test.each(cases)('remembered %s, source %s, CRM %s, user replied %s, agent replied %s', (remembered, source, crm, userReplied, agentReplied) => {
    for (const crmLater of [false, true]) {
      const { state, effects } = bothRead(
        linked(remembered),
        { status: source, updatedAt: crmLater ? EARLIER : LATER, comments: userReplied ? [userComment] : [] },
        { status: crm, updatedAt: crmLater ? LATER : EARLIER, newAgentReplies: agentReplied ? [agentReply] : [] },
      );
      const writes = statusWrites(effects);
      // At most one status write per side, placed after every comment, never what the side shows.
      expect(writes.filter((e) => e.type === 'set-crm-status').length).toBeLessThanOrEqual(1);
      expect(writes.filter((e) => e.type === 'set-source-status').length).toBeLessThanOrEqual(1);
      expect(effects.slice(effects.length - writes.length)).toEqual(writes);
      for (const w of writes) {
        if (w.type === 'set-crm-status') expect(w.status).not.toBe(crm);
        if (w.type === 'set-source-status') expect(w.status).not.toBe(source);
      }
      expect(writes.some((w) => w.type === 'set-crm-status' && crm === 'closed')).toBe(false);
      // Every comment travels: the user's to the CRM (unless it is closed), the agent's to the user (unless they closed it).
      expect(effects.some((e) => e.type === 'crm-user-comment')).toBe(userReplied && crm !== 'closed');
      expect(effects.some((e) => e.type === 'source-agent-reply')).toBe(agentReplied && source !== 'CLOSED');
      expect(effects.some((e) => e.type === 'crm-internal-note')).toBe(agentReplied && source === 'CLOSED');
      // A CLOSED on either side ends the ticket, CLOSED on both.
      if (source === 'CLOSED' || crm === 'closed') expect(state).toMatchObject({ status: 'CLOSED', sourceStatus: 'CLOSED', crmStatus: 'closed', completed: true });
      // Otherwise both sides end agreeing with each other.
      // Otherwise both sides agree: the mirror of each other, or OPEN in the CRM while the user is waited on (an agent replied without a status, or "not resolved").
      else expect(agree(state.sourceStatus!, state.crmStatus!)).toBe(true);
    }
  });
});

function agree(source: TicketStatus, crm: CrmStatus): boolean {
  return crmStatusFor(source, true) === crm || (source === 'OPEN' && crm === 'hold') || (source === 'PENDING' && crm === 'open');
}

describe('both sides changed in the same second (a helpdesk tells time to the second)', () => {
  // The user said "not resolved" at 11:00:00.600 (the app's time, to the millisecond); the agent
  // answered and solved in that second, stamped 11:00:00 by the helpdesk.
  const userAt = '2026-03-01T11:00:00.600Z';
  const agentAt = '2026-03-01T11:00:00Z';
  const observation = (settings = DEFAULT_LIFECYCLE_SETTINGS) => {
    const state = linked('SOLVED');
    const read = {
      type: 'both-read' as const,
      source: { ticket: ticket('OPEN', userAt), newComments: [{ ...userComment, createdAt: userAt }] },
      crm: { status: 'solved' as const, newAgentReplies: [{ ...agentReply, createdAt: agentAt }], updatedAt: agentAt },
      now: NOW,
    };
    return { state, read, decision: decide(state, read, settings) };
  };

  test('without the rule the finer time wins: back to the agents', () => {
    const { decision } = observation();
    expect(decision.state.status).toBe('OPEN');
  });

  test('with it the helpdesk wins the tie: SOLVED, as when its time is later', () => {
    const { decision } = observation({ ...DEFAULT_LIFECYCLE_SETTINGS, sameSecondToCrm: true });
    expect(decision.state).toMatchObject({ status: 'SOLVED', sourceStatus: 'SOLVED', crmStatus: 'solved' });
    expect(statusWrites(decision.effects)).toEqual([{ type: 'set-source-status', status: 'SOLVED' }]);
  });

  test('sameSecondDecides says so only where the rule changes the decision', () => {
    const { state, read } = observation();
    expect(sameSecondDecides(state, read)).toBe(true);
    // A second apart: the times decide, the rule changes nothing.
    const nextSecond = { ...read, source: { ...read.source, newComments: [{ ...userComment, createdAt: '2026-03-01T11:00:01.200Z' }], ticket: ticket('OPEN', '2026-03-01T11:00:01.200Z') } };
    expect(sameSecondDecides(state, nextSecond)).toBe(false);
    // The helpdesk's time is the later already (a tie to the millisecond goes to it anyway).
    const crmLater = { ...read, crm: { ...read.crm, newAgentReplies: [{ ...agentReply, createdAt: '2026-03-01T11:00:00.900Z' }] } };
    expect(sameSecondDecides(state, crmLater)).toBe(false);
    // News on one side only: no tie to break.
    expect(sameSecondDecides(state, { ...read, crm: { ...read.crm, status: 'solved', newAgentReplies: [] } })).toBe(false);
    expect(sameSecondDecides(state, { type: 'source-read', ticket: read.source.ticket, newComments: read.source.newComments, now: NOW })).toBe(false);
  });
});
