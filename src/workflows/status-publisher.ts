import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { TicketWorkflowInput } from './definitions';
import type { TicketMemory } from './memory';
import { CrmTicketIdKey, TicketSourceKey, TicketStatusKey } from './search-attributes';

/**
 * Keeps the Temporal UI's view (search attributes, memo) in step with the lifecycle, writing
 * only on change so an unchanged ticket adds nothing to its history.
 */
export class StatusPublisher {
  private published: string | null = null;
  constructor(private readonly input: TicketWorkflowInput) {}

  publish(memory: TicketMemory): void {
    const crmTicketId = memory.crm?.ticketId ?? null;
    const key = `${memory.lifecycle.status}/${crmTicketId}`;
    if (key === this.published) return;
    this.published = key;
    upsertSearchAttributes([
      { key: TicketSourceKey, value: this.input.source },
      { key: TicketStatusKey, value: memory.lifecycle.status },
      ...(crmTicketId ? [{ key: CrmTicketIdKey, value: crmTicketId }] : []),
    ]);
    upsertMemo({
      ticket: `${this.input.source} ticket ${this.input.sourceTicketId}`,
      crmTicket: crmTicketId ? `zendesk ticket ${crmTicketId}` : 'not created yet',
      status: memory.lifecycle.status,
    });
  }
}
