/**
 * How the ticket workflow tells Zendesk's event of its own write from news (src/workflows/intake.ts):
 * by the comment ids and the version its writes answered, never by who the actor is.
 */
import type { CrmNotification } from '../../src/workflows/definitions';
import { isOwnEcho, onCrmNotification } from '../../src/workflows/intake';
import { initialMemory, type TicketMemory } from '../../src/workflows/memory';

function memoryAfterOwnWrite(): TicketMemory {
  const memory = initialMemory();
  memory.crmComments.ownIds = ['7001'];
  memory.crmOwnWrite = { version: '2026-01-01T00:00:05Z', status: 'open' };
  return memory;
}

const at = (updatedAt: string, status: string, commentId: string | null = null) => ({ updatedAt, status, commentId });

describe('isOwnEcho', () => {
  it.each([
    ['the comment the bridge wrote', at('2026-01-01T00:00:05Z', 'open', '7001'), true],
    ['the comment the bridge wrote, whatever the version says', at('2026-01-01T00:00:09Z', 'pending', '7001'), true],
    ["another comment in the bridge's second (a person's)", at('2026-01-01T00:00:05Z', 'open', '7002'), false],
    ['a change that left exactly what the write answered', at('2026-01-01T00:00:05Z', 'open'), true],
    ['the same instant written another way', at('2026-01-01T00:00:05.000Z', 'open'), true],
    ["a person's status in the same second", at('2026-01-01T00:00:05Z', 'solved'), false],
    ['a later change', at('2026-01-01T00:00:06Z', 'open'), false],
  ])('%s', (_what, change, own) => {
    expect(isOwnEcho(memoryAfterOwnWrite(), change)).toBe(own);
  });

  it('knows nothing before the bridge wrote', () => {
    expect(isOwnEcho(initialMemory(), at('2026-01-01T00:00:05Z', 'open'))).toBe(false);
    expect(isOwnEcho(initialMemory(), at('2026-01-01T00:00:05Z', 'open', '7001'))).toBe(false);
  });
});

describe('onCrmNotification', () => {
  const notification = (eventId: string, change?: CrmNotification['change']): CrmNotification => ({ crmTicketId: '35436', eventId, receivedAt: '2026-01-01T00:00:06Z', ...(change && { change }) });

  it('an echo is remembered and counted, and asks for no read', () => {
    const memory = memoryAfterOwnWrite();
    expect(onCrmNotification(memory, notification('e1', at('2026-01-01T00:00:05Z', 'open', '7001')), true)).toBe('own-echo');
    expect(memory.pending.crm).toBe(false);
    expect(memory.counts.notifications).toBe(1);
    expect(onCrmNotification(memory, notification('e1', at('2026-01-01T00:00:05Z', 'open', '7001')), true)).toBe('redelivery');
  });

  it('news, and anything without the facts, asks for a read', () => {
    const memory = memoryAfterOwnWrite();
    expect(onCrmNotification(memory, notification('e2', at('2026-01-01T00:00:05Z', 'solved')), true)).toBe('news');
    expect(memory.pending.crm).toBe(true);
    const trigger = memoryAfterOwnWrite();
    expect(onCrmNotification(trigger, notification('e3'), true)).toBe('news');
    expect(trigger.pending.crm).toBe(true);
  });

  it('runs recorded before the patch read every event back, as they did', () => {
    const memory = memoryAfterOwnWrite();
    expect(onCrmNotification(memory, notification('e4', at('2026-01-01T00:00:05Z', 'open', '7001')), false)).toBe('news');
    expect(memory.pending.crm).toBe(true);
  });
});
