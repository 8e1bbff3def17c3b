import {
  crmStatusFor,
  decide,
  DEFAULT_LIFECYCLE_SETTINGS,
  DELETED_NOTE,
  INITIAL_LIFECYCLE_STATE,
  operatorClosedNote,
  type Effect,
  type LifecycleState,
  type Observation,
} from '../../src/domain/lifecycle';
import {
  CRM_STATUSES,
  TICKET_STATUSES,
  type CrmComment,
  type CrmStatus,
  type SourceComment,
  type SourceTicket,
  type TicketStatus,
} from '../../src/domain/ticket';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const TIMEOUT = DEFAULT_LIFECYCLE_SETTINGS.solvedAutoCloseAfterMs;

function ticket(status: TicketStatus): SourceTicket {
  return {
    source: 'connect',
    id: 't1',
    status,
    title: 'title',
    description: 'description',
    requester: { externalId: 'u1', name: null, email: null },
    assigneeRef: null,
    comments: [],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
}

const userComment: SourceComment = { id: '1', author: 'USER', body: 'hi', createdAt: '2026-01-01T00:00:01Z', attachments: [] };
const supportComment: SourceComment = { ...userComment, id: '2', author: 'SUPPORT', body: 'from app support' };
const agentReply: CrmComment = { id: '10', authorId: 'agent', body: 'reply', public: true, createdAt: '2026-01-01T00:00:02Z' };

/** A linked ticket in a consistent state: both sides show the lifecycle status. */
function linked(status: TicketStatus, patch: Partial<LifecycleState> = {}): LifecycleState {
  return {
    status,
    sourceStatus: status,
    crmStatus: crmStatusFor(status, true),
    linked: true,
    solvedTimerDeadline: status === 'SOLVED' ? NOW + TIMEOUT : null,
    completed: false,
    ...patch,
  };
}

const sourceRead = (status: TicketStatus, newComments: SourceComment[] = []): Observation => ({
  type: 'source-read',
  ticket: ticket(status),
  newComments,
  now: NOW,
});
const crmRead = (status: CrmStatus, newAgentReplies: CrmComment[] = []): Observation => ({
  type: 'crm-read',
  status,
  newAgentReplies,
  now: NOW,
});

interface Row {
  name: string;
  from: LifecycleState;
  on: Observation;
  effects: Effect[];
  to: Partial<LifecycleState>;
}

const table: Row[] = [
  // ── creation ─────────────────────────────────────────────────────────────────────────────
  {
    name: 'CREATE: a new source ticket creates the CRM ticket',
    from: INITIAL_LIFECYCLE_STATE,
    on: sourceRead('NEW'),
    effects: [{ type: 'create-crm-ticket', status: 'new' }],
    to: { status: 'NEW', linked: true, sourceStatus: 'NEW', crmStatus: 'new' },
  },
  {
    name: 'CREATE: existing comments follow the creation, user ones public, support ones as notes',
    from: INITIAL_LIFECYCLE_STATE,
    on: sourceRead('OPEN', [userComment, supportComment]),
    effects: [
      { type: 'create-crm-ticket', status: 'open' },
      { type: 'crm-user-comment', comment: userComment },
      { type: 'crm-support-note', comment: supportComment },
    ],
    to: { status: 'OPEN', linked: true, crmStatus: 'open' },
  },
  {
    name: 'CREATE of an already SOLVED ticket starts the SOLVED timer',
    from: INITIAL_LIFECYCLE_STATE,
    on: sourceRead('SOLVED'),
    effects: [{ type: 'create-crm-ticket', status: 'solved' }],
    to: { status: 'SOLVED', crmStatus: 'solved', solvedTimerDeadline: NOW + TIMEOUT },
  },
  {
    name: 'CREATE of an already CLOSED ticket creates it, closes it and completes',
    from: INITIAL_LIFECYCLE_STATE,
    on: sourceRead('CLOSED'),
    effects: [
      { type: 'create-crm-ticket', status: 'new' },
      { type: 'set-crm-status', status: 'closed' },
    ],
    to: { status: 'CLOSED', crmStatus: 'closed', completed: true },
  },
  {
    name: 'a CRM read before the CRM ticket exists changes nothing',
    from: INITIAL_LIFECYCLE_STATE,
    on: crmRead('open', [agentReply]),
    effects: [],
    to: INITIAL_LIFECYCLE_STATE,
  },
  // ── user side ────────────────────────────────────────────────────────────────────────────
  {
    name: 'a user reply to a PENDING ticket is mirrored and opens the CRM ticket',
    from: linked('PENDING'),
    on: sourceRead('OPEN', [userComment]),
    effects: [
      { type: 'crm-user-comment', comment: userComment },
      { type: 'set-crm-status', status: 'open' },
    ],
    to: { status: 'OPEN', sourceStatus: 'OPEN', crmStatus: 'open' },
  },
  {
    name: 'a user reply on a NEW ticket moves the CRM ticket to open',
    from: linked('NEW', { crmStatus: 'new' }),
    on: sourceRead('NEW', [userComment]),
    effects: [
      { type: 'crm-user-comment', comment: userComment },
      { type: 'set-crm-status', status: 'open' },
    ],
    to: { status: 'OPEN', sourceStatus: 'NEW', crmStatus: 'open' },
  },
  {
    name: 'a user reply to an already open ticket writes no status',
    from: linked('OPEN'),
    on: sourceRead('OPEN', [userComment]),
    effects: [{ type: 'crm-user-comment', comment: userComment }],
    to: { status: 'OPEN' },
  },
  {
    name: 'a support comment written in the app becomes an internal note, status untouched',
    from: linked('PENDING'),
    on: sourceRead('PENDING', [supportComment]),
    effects: [{ type: 'crm-support-note', comment: supportComment }],
    to: { status: 'PENDING' },
  },
  {
    name: 'a read-back equal to what the bridge wrote is no change (no echo)',
    from: linked('PENDING'),
    on: sourceRead('PENDING'),
    effects: [],
    to: linked('PENDING'),
  },
  {
    name: 'the user confirms a SOLVED ticket (source CLOSED): closed everywhere, timer gone',
    from: linked('SOLVED'),
    on: sourceRead('CLOSED'),
    effects: [{ type: 'set-crm-status', status: 'closed' }],
    to: { status: 'CLOSED', sourceStatus: 'CLOSED', crmStatus: 'closed', solvedTimerDeadline: null, completed: true },
  },
  {
    name: '"not resolved" with details: comment mirrored, CRM open, source to the reopen status, timer cancelled',
    from: linked('SOLVED'),
    on: sourceRead('SOLVED', [userComment]),
    effects: [
      { type: 'crm-user-comment', comment: userComment },
      { type: 'set-crm-status', status: 'open' },
      { type: 'set-source-status', status: 'PENDING' },
    ],
    to: { status: 'OPEN', sourceStatus: 'PENDING', crmStatus: 'open', solvedTimerDeadline: null },
  },
  {
    name: '"not resolved" where the platform already set PENDING: no source write needed',
    from: linked('SOLVED'),
    on: sourceRead('PENDING', [userComment]),
    effects: [
      { type: 'crm-user-comment', comment: userComment },
      { type: 'set-crm-status', status: 'open' },
    ],
    to: { status: 'OPEN', sourceStatus: 'PENDING', solvedTimerDeadline: null },
  },
  {
    name: '"not resolved" without details (source left SOLVED for OPEN): reopened, source to the reopen status',
    from: linked('SOLVED'),
    on: sourceRead('OPEN'),
    effects: [
      { type: 'set-crm-status', status: 'open' },
      { type: 'set-source-status', status: 'PENDING' },
    ],
    to: { status: 'OPEN', sourceStatus: 'PENDING', solvedTimerDeadline: null },
  },
  {
    name: 'the source resolves a ticket itself: CRM solved and the timer starts',
    from: linked('OPEN'),
    on: sourceRead('SOLVED'),
    effects: [{ type: 'set-crm-status', status: 'solved' }],
    to: { status: 'SOLVED', crmStatus: 'solved', solvedTimerDeadline: NOW + TIMEOUT },
  },
  {
    name: 'the source moves a ticket to PENDING itself: mirrored',
    from: linked('OPEN'),
    on: sourceRead('PENDING'),
    effects: [{ type: 'set-crm-status', status: 'pending' }],
    to: { status: 'PENDING', crmStatus: 'pending' },
  },
  {
    name: 'a user closing an OPEN ticket closes the CRM ticket',
    from: linked('OPEN'),
    on: sourceRead('CLOSED'),
    effects: [{ type: 'set-crm-status', status: 'closed' }],
    to: { status: 'CLOSED', completed: true },
  },
  // ── agent side ───────────────────────────────────────────────────────────────────────────
  {
    name: 'an agent public reply goes to the source, which becomes PENDING',
    from: linked('OPEN'),
    on: crmRead('open', [agentReply]),
    effects: [
      { type: 'source-agent-reply', comment: agentReply },
      { type: 'set-source-status', status: 'PENDING' },
    ],
    to: { status: 'PENDING', sourceStatus: 'PENDING', crmStatus: 'open' },
  },
  {
    name: 'an agent reply submitted as pending: the status change carries PENDING once',
    from: linked('OPEN'),
    on: crmRead('pending', [agentReply]),
    effects: [
      { type: 'source-agent-reply', comment: agentReply },
      { type: 'set-source-status', status: 'PENDING' },
    ],
    to: { status: 'PENDING', crmStatus: 'pending' },
  },
  {
    name: 'a second agent reply while PENDING writes no status',
    from: linked('PENDING'),
    on: crmRead('pending', [agentReply]),
    effects: [{ type: 'source-agent-reply', comment: agentReply }],
    to: { status: 'PENDING' },
  },
  {
    name: 'the agent solves: source SOLVED and the SOLVED timer starts',
    from: linked('PENDING'),
    on: crmRead('solved'),
    effects: [{ type: 'set-source-status', status: 'SOLVED' }],
    to: { status: 'SOLVED', sourceStatus: 'SOLVED', crmStatus: 'solved', solvedTimerDeadline: NOW + TIMEOUT },
  },
  {
    name: 'the agent replies and solves at once: the reply, then SOLVED (not PENDING)',
    from: linked('OPEN'),
    on: crmRead('solved', [agentReply]),
    effects: [
      { type: 'source-agent-reply', comment: agentReply },
      { type: 'set-source-status', status: 'SOLVED' },
    ],
    to: { status: 'SOLVED', solvedTimerDeadline: NOW + TIMEOUT },
  },
  {
    name: 'the agent reopens a SOLVED ticket: source OPEN, timer cancelled',
    from: linked('SOLVED'),
    on: crmRead('open'),
    effects: [{ type: 'set-source-status', status: 'OPEN' }],
    to: { status: 'OPEN', solvedTimerDeadline: null },
  },
  {
    name: 'hold in the CRM is OPEN at the source',
    from: linked('PENDING'),
    on: crmRead('hold'),
    effects: [{ type: 'set-source-status', status: 'OPEN' }],
    to: { status: 'OPEN', crmStatus: 'hold' },
  },
  {
    name: 'the CRM closes a ticket (its own automation): source CLOSED, completed',
    from: linked('SOLVED'),
    on: crmRead('closed'),
    effects: [{ type: 'set-source-status', status: 'CLOSED' }],
    to: { status: 'CLOSED', completed: true, solvedTimerDeadline: null },
  },
  {
    name: 'a CRM read-back equal to what the bridge wrote is no change (no echo)',
    from: linked('OPEN'),
    on: crmRead('open'),
    effects: [],
    to: linked('OPEN'),
  },
  // ── operator ─────────────────────────────────────────────────────────────────────────────
  {
    name: 'an operator closes a linked ticket: a note for the agents, closed on both sides',
    from: linked('PENDING'),
    on: { type: 'operator-closed', reason: 'duplicate of 41', now: NOW },
    effects: [
      { type: 'crm-internal-note', body: operatorClosedNote('duplicate of 41') },
      { type: 'set-crm-status', status: 'closed' },
      { type: 'set-source-status', status: 'CLOSED' },
    ],
    to: { status: 'CLOSED', crmStatus: 'closed', sourceStatus: 'CLOSED', completed: true },
  },
  {
    name: 'an operator closes a SOLVED ticket: the timer goes with it',
    from: linked('SOLVED'),
    on: { type: 'operator-closed', reason: 'confirmed by phone', now: NOW },
    effects: [
      { type: 'crm-internal-note', body: operatorClosedNote('confirmed by phone') },
      { type: 'set-crm-status', status: 'closed' },
      { type: 'set-source-status', status: 'CLOSED' },
    ],
    to: { status: 'CLOSED', solvedTimerDeadline: null, completed: true },
  },
  {
    name: 'an operator closes a ticket the CRM never saw: only the source is closed',
    from: { ...INITIAL_LIFECYCLE_STATE, sourceStatus: 'NEW' },
    on: { type: 'operator-closed', reason: 'spam', now: NOW },
    effects: [{ type: 'set-source-status', status: 'CLOSED' }],
    to: { status: 'CLOSED', completed: true, linked: false },
  },
  // ── timer and deletion ───────────────────────────────────────────────────────────────────
  {
    name: 'the SOLVED timer fires unconfirmed: closed in the CRM first (an agent reply written meanwhile conflicts there), then in the source',
    from: linked('SOLVED'),
    on: { type: 'solved-timer-fired', now: NOW + TIMEOUT },
    effects: [
      { type: 'set-crm-status', status: 'closed' },
      { type: 'set-source-status', status: 'CLOSED' },
    ],
    to: { status: 'CLOSED', sourceStatus: 'CLOSED', crmStatus: 'closed', completed: true, solvedTimerDeadline: null },
  },
  {
    name: 'a timer that fires early changes nothing',
    from: linked('SOLVED'),
    on: { type: 'solved-timer-fired', now: NOW + TIMEOUT - 1 },
    effects: [],
    to: linked('SOLVED'),
  },
  {
    name: 'a stale timer after a reopen changes nothing',
    from: linked('OPEN'),
    on: { type: 'solved-timer-fired', now: NOW + TIMEOUT },
    effects: [],
    to: linked('OPEN'),
  },
  {
    name: 'DELETE: an internal note, the CRM ticket solved, completed',
    from: linked('PENDING'),
    on: { type: 'source-deleted', now: NOW },
    effects: [
      { type: 'crm-internal-note', body: DELETED_NOTE },
      { type: 'set-crm-status', status: 'solved' },
    ],
    to: { status: 'CLOSED', crmStatus: 'solved', completed: true },
  },
  {
    name: 'DELETE of an already solved ticket adds the note only',
    from: linked('SOLVED'),
    on: { type: 'source-deleted', now: NOW },
    effects: [{ type: 'crm-internal-note', body: DELETED_NOTE }],
    to: { completed: true, solvedTimerDeadline: null },
  },
  {
    name: 'DELETE before the CRM ticket exists completes without writes',
    from: INITIAL_LIFECYCLE_STATE,
    on: { type: 'source-deleted', now: NOW },
    effects: [],
    to: { completed: true, linked: false },
  },
  {
    name: 'the Zendesk ticket deleted (confirmed): the source is closed, nothing written to the CRM, completed',
    from: linked('PENDING'),
    on: { type: 'crm-deleted', now: NOW },
    effects: [{ type: 'set-source-status', status: 'CLOSED' }],
    to: { status: 'CLOSED', sourceStatus: 'CLOSED', completed: true, solvedTimerDeadline: null },
  },
  {
    name: 'the Zendesk ticket deleted after the user closed: nothing to write',
    from: linked('CLOSED', { sourceStatus: 'CLOSED' }),
    on: { type: 'crm-deleted', now: NOW },
    effects: [],
    to: { completed: true },
  },
  {
    name: 'DELETE after the CRM closed it writes nothing (a closed ticket is read-only)',
    from: linked('CLOSED', { crmStatus: 'closed' }),
    on: { type: 'source-deleted', now: NOW },
    effects: [],
    to: { completed: true },
  },
];

describe('lifecycle transition table', () => {
  test.each(table)('$name', ({ from, on, effects, to }) => {
    const result = decide(from, on);
    expect(result.effects).toEqual(effects);
    expect(result.state).toMatchObject(to);
  });

  test('the reopen status is configurable', () => {
    const result = decide(linked('SOLVED'), sourceRead('SOLVED', [userComment]), {
      ...DEFAULT_LIFECYCLE_SETTINGS,
      reopenSourceStatus: 'OPEN',
    });
    expect(result.effects).toContainEqual({ type: 'set-source-status', status: 'OPEN' });
    expect(result.state.sourceStatus).toBe('OPEN');
  });

  test('a linked ticket read as NEW is no change: the agent reply that made it PENDING stands', () => {
    // The white-label platform says NEW while no client has replied, even after an agent did.
    const afterAgentReply = linked('PENDING');
    const result = decide(afterAgentReply, sourceRead('NEW'));
    expect(result.effects).toEqual([]);
    expect(result.state).toMatchObject({ status: 'PENDING', sourceStatus: 'PENDING', crmStatus: 'pending' });
    // Comments in that read still travel.
    expect(decide(afterAgentReply, sourceRead('NEW', [userComment])).effects).toContainEqual({ type: 'crm-user-comment', comment: userComment });
  });

  test('runs that predate the rule (replay) still take a linked NEW read as a change', () => {
    const result = decide(linked('PENDING'), sourceRead('NEW'), { ...DEFAULT_LIFECYCLE_SETTINGS, linkedNewIsNoChange: false });
    expect(result.effects).toEqual([{ type: 'set-crm-status', status: 'open' }]);
    expect(result.state.status).toBe('NEW');
  });

  test('the SOLVED timeout is configurable', () => {
    const result = decide(linked('PENDING'), crmRead('solved'), { ...DEFAULT_LIFECYCLE_SETTINGS, solvedAutoCloseAfterMs: 5 });
    expect(result.state.solvedTimerDeadline).toBe(NOW + 5);
  });
});

/**
 * Every reachable (state, observation) pair: starting from a new ticket, apply every observation
 * to every state reached so far until no new state appears, and check the invariants on each step.
 */
describe('lifecycle invariants over every reachable state', () => {
  const observations: Observation[] = [
    { type: 'source-deleted', now: NOW },
    { type: 'crm-deleted', now: NOW },
    { type: 'operator-closed', reason: 'ops', now: NOW },
    { type: 'solved-timer-fired', now: NOW + TIMEOUT },
  ];
  for (const status of TICKET_STATUSES) {
    observations.push(sourceRead(status), sourceRead(status, [userComment]), sourceRead(status, [supportComment]));
  }
  for (const status of CRM_STATUSES) observations.push(crmRead(status), crmRead(status, [agentReply]));

  const key = (state: LifecycleState) => JSON.stringify(state);
  const reachable = new Map<string, LifecycleState>([[key(INITIAL_LIFECYCLE_STATE), INITIAL_LIFECYCLE_STATE]]);
  const frontier = [INITIAL_LIFECYCLE_STATE];
  while (frontier.length > 0) {
    const state = frontier.pop()!;
    for (const on of observations) {
      const next = decide(state, on).state;
      if (!reachable.has(key(next))) {
        reachable.set(key(next), next);
        frontier.push(next);
      }
    }
  }
  const states = [...reachable.values()];
  const cases = states.flatMap((state) => observations.map((on) => ({ state, on })));

  test('the walk reaches every lifecycle status, linked and not', () => {
    expect(new Set(states.map((s) => s.status))).toEqual(new Set(TICKET_STATUSES));
    expect(states.some((s) => !s.linked) && states.some((s) => s.linked)).toBe(true);
  });

  /** The invariants, each a named check; a combination that breaks one is reported by name. */
  const invariants: Array<[string, (state: LifecycleState, on: Observation, next: LifecycleState, effects: Effect[]) => boolean]> = [
    ['a linked CRM ticket never goes back to new', (_s, _o, _n, effects) =>
      !effects.some((e) => e.type === 'set-crm-status' && e.status === 'new')],
    ['at most one status write per side', (_s, _o, _n, effects) =>
      effects.filter((e) => e.type === 'set-crm-status').length <= 1 &&
      effects.filter((e) => e.type === 'set-source-status').length <= 1],
    ['no status write repeats the remembered status', (state, _o, _n, effects) =>
      effects.every((e) =>
        e.type === 'set-crm-status' ? e.status !== state.crmStatus : e.type === 'set-source-status' ? e.status !== state.sourceStatus : true)],
    ['a closed CRM ticket is never written', (state, _o, _n, effects) =>
      state.crmStatus !== 'closed' || !effects.some((e) => e.type !== 'source-agent-reply' && e.type !== 'set-source-status')],
    ['creation happens exactly once, first, for an unlinked ticket', (state, on, _n, effects) => {
      const creates = effects.filter((e) => e.type === 'create-crm-ticket').length;
      const expected = !state.linked && !state.completed && on.type === 'source-read' ? 1 : 0;
      return creates === expected && (creates === 0 || effects[0].type === 'create-crm-ticket');
    }],
    ['every new source comment is mirrored exactly once', (state, on, _n, effects) =>
      on.type !== 'source-read' || state.completed ||
      effects.filter((e) => e.type === 'crm-user-comment' || e.type === 'crm-support-note').length === on.newComments.length],
    ['every agent reply reaches a linked source exactly once', (state, on, _n, effects) =>
      on.type !== 'crm-read' || !state.linked || state.completed ||
      effects.filter((e) => e.type === 'source-agent-reply').length === on.newAgentReplies.length],
    ['the SOLVED timer runs exactly while SOLVED', (_s, _o, next) => (next.solvedTimerDeadline !== null) === (next.status === 'SOLVED' && !next.completed)],
    ['CLOSED means completed', (_s, _o, next) => next.status !== 'CLOSED' || next.completed],
    ['decisions are pure', (state, on, next, effects) => {
      const snapshot = JSON.stringify(state);
      const again = decide(state, on);
      return JSON.stringify(state) === snapshot && JSON.stringify(again) === JSON.stringify({ state: next, effects });
    }],
  ];

  test(`${cases.length} reachable combinations keep every invariant`, () => {
    const violations: string[] = [];
    for (const { state, on } of cases) {
      const { state: next, effects } = decide(state, on);
      for (const [name, holds] of invariants) {
        if (!holds(state, on, next, effects)) {
          violations.push(`${name}: ${JSON.stringify({ state, on, effects, next })}`);
        }
      }
    }
    expect(violations.slice(0, 5)).toEqual([]);
  });

  test('a completed ticket ignores everything', () => {
    const done = { ...linked('CLOSED'), completed: true };
    for (const on of observations) expect(decide(done, on)).toEqual({ state: done, effects: [] });
  });
});
