/**
 * The fault tracks' verifier (./verify.ts) counts each kind of failure it exists to catch: a
 * verdict of 0 lost, 0 duplicated, 0 echoed, 0 stuck means something only if each of these
 * would have been counted.
 */
import { emptyTally, verifyTicket, type TicketObserved, type TicketScript } from './verify';

const script: TicketScript = {
  label: 'connect T-1',
  description: 'The meter is dark.',
  userComments: ['Here is a photo.'],
  agentReplies: ['A technician will call.'],
  notes: ['Legacy tariff.'],
  expected: { app: 'CLOSED', helpdesk: 'closed' },
};

/** Both sides as they should be. */
function healthy(): TicketObserved {
  return {
    helpdesk: {
      copies: 1,
      status: 'closed',
      messages: [
        { author: 'requester', public: true, text: 'The meter is dark.' },
        { author: 'requester', public: true, text: 'Here is\n a photo.' },
        { author: 'agent', public: true, text: 'A technician will call.' },
        { author: 'agent', public: false, text: 'Legacy tariff.' },
      ],
    },
    app: { status: 'CLOSED', comments: [{ author: 'USER', message: 'Here is a photo.' }, { author: 'SUPPORT', message: 'A technician will call.' }] },
    workflow: { completed: true, parked: 0 },
  };
}

function verdict(change: (seen: TicketObserved) => void) {
  const seen = healthy();
  change(seen);
  const tally = emptyTally();
  verifyTicket(script, seen, tally);
  const { problems, ...counts } = tally;
  return { counts, problems };
}

describe('the fault tracks\' verifier', () => {
  it('passes both sides as they should be (whitespace aside, as Freshdesk renders HTML)', () => {
    expect(verdict(() => {})).toEqual({ counts: { ...emptyTally(), problems: undefined, tickets: 1 }, problems: [] });
  });

  it.each([
    ['a user comment missing in the helpdesk', (s: TicketObserved) => s.helpdesk.messages.splice(1, 1), { lost: 1 }],
    ['an agent reply missing in the app', (s: TicketObserved) => s.app.comments.pop(), { lost: 1 }],
    ['a second helpdesk ticket', (s: TicketObserved) => (s.helpdesk.copies = 2), { duplicated: 1 }],
    ['a user comment twice', (s: TicketObserved) => s.helpdesk.messages.push({ author: 'requester', public: true, text: 'Here is a photo.' }), { duplicated: 1 }],
    ['an agent reply twice in the app', (s: TicketObserved) => s.app.comments.push({ author: 'SUPPORT', message: 'A technician will call.' }), { duplicated: 1 }],
    ['the bridge\'s write echoed back', (s: TicketObserved) => s.helpdesk.messages.push({ author: 'bridge', public: true, text: 'A technician will call (app copy).' }), { echoed: 1 }],
    ['the internal note in the app', (s: TicketObserved) => s.app.comments.push({ author: 'SUPPORT', message: 'Legacy tariff.' }), { notesLeaked: 1 }],
    ['a workflow not completed', (s: TicketObserved) => (s.workflow.completed = false), { stuck: 1 }],
    ['a parked workflow', (s: TicketObserved) => (s.workflow.parked = 1), { stuck: 1 }],
    ['a wrong final status', (s: TicketObserved) => (s.helpdesk.status = 'solved'), { wrongStatus: 1 }],
  ])('counts %s', (_what, change, counted) => {
    const { counts, problems } = verdict(change);
    expect(counts).toEqual({ ...emptyTally(), problems: undefined, tickets: 1, ...counted });
    expect(problems).toHaveLength(1);
  });
});
