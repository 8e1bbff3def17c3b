/**
 * The state a `temporal workflow query` shows (src/workflows/memory.ts, `toStateView`): what waits
 * on a person or a remote, each with a reason that is true for the ticket as it is.
 */
import type { TicketWorkflowInput } from '../../src/workflows/definitions';
import { initialMemory, toStateView, type TicketMemory } from '../../src/workflows/memory';

const input = { source: 'connect', sourceTicketId: 't-1' } as TicketWorkflowInput;

function withKeptComment(): TicketMemory {
  const memory = initialMemory();
  const comment = { id: '42', author: 'USER' as const, body: 'Refused, whatever happens.', createdAt: '2026-01-01T00:00:00Z', attachments: [] };
  memory.refused = [
    { key: 'crm:42', effect: { type: 'crm-user-comment', comment }, refusals: 2, reason: 'unprocessable', since: '2026-01-01T00:00:01Z', retryAt: Date.parse('2026-01-01T00:10:01Z') },
  ];
  return memory;
}

describe('the state view of a comment kept after a refusal', () => {
  it('names its next attempt while the ticket runs', () => {
    expect(toStateView(input, withKeptComment()).parked).toEqual([
      { what: 'source comment 42 → CRM', reason: 'refused (unprocessable) 2 time(s); next attempt 2026-01-01T00:10:01.000Z', since: '2026-01-01T00:00:01Z' },
    ]);
  });

  it('says it was not delivered once the ticket has ended (nothing is retried after that)', () => {
    const memory = withKeptComment();
    memory.lifecycle = { ...memory.lifecycle, status: 'CLOSED', completed: true };
    const [kept] = toStateView(input, memory).parked;
    expect(kept?.reason).toBe('refused (unprocessable) 2 time(s); not delivered: the ticket ended first');
    expect(JSON.stringify(kept)).not.toContain('Refused, whatever happens.'); // the view names the comment, never quotes it
  });
});
