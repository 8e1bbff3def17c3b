import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { TicketWorkflowInput } from './definitions';
import type { TicketMemory } from './memory';
import { CrmTicketIdKey, TicketSourceKey, TicketStatusKey } from './search-attributes';

/**
 * What a ticket workflow's memo tells whoever lists it (the reconciler, the Temporal UI): no
 * personal data, and `fingerprints`, what each side looked like when the workflow last saw
 * it, so the reconciler compares a fresh read with them without a query per ticket.
 */
export interface TicketMemo {
  ticket: string;
  crmTicket: string;
  status: string;
  fingerprints?: TicketMemory['fingerprints'];
  /** How many things wait on a person or a remote (the state's `parked`): 0 for a healthy ticket. */
  parked?: number;
}

/**
 * Keeps the Temporal UI's view (search attributes, memo) in step with the lifecycle, writing
 * only on change so an unchanged ticket adds nothing to its history.
 */
export class StatusPublisher {
  private publishedAttributes: string | null = null;
  private publishedMemo: string | null = null;

  constructor(private readonly input: TicketWorkflowInput) {}

  /**
   * After every lifecycle step. The memo waits for `endOfSync`: one memo change per sync at
   * most, however many steps it took.
   */
  publish(memory: TicketMemory, endOfSync = false): void {
    const crmTicketId = memory.crm?.ticketId ?? null;
    const attributes = `${memory.lifecycle.status}/${crmTicketId}`;
    const memo: TicketMemo = {
      ticket: `${this.input.source} ticket ${this.input.sourceTicketId}`,
      crmTicket: crmTicketId ? `zendesk ticket ${crmTicketId}` : 'not created yet',
      status: memory.lifecycle.status,
      fingerprints: { ...memory.fingerprints },
      parked: memory.refused.length + memory.parked.length + (memory.sourceMissing ? 1 : 0) + (memory.crmMissing ? 1 : 0),
    };
    if (attributes !== this.publishedAttributes) {
      this.publishedAttributes = attributes;
      upsertSearchAttributes([
        { key: TicketSourceKey, value: this.input.source },
        { key: TicketStatusKey, value: memory.lifecycle.status },
        ...(crmTicketId ? [{ key: CrmTicketIdKey, value: crmTicketId }] : []),
      ]);
    }
    const memoKey = JSON.stringify(memo);
    if (memoKey !== this.publishedMemo && endOfSync) {
      this.publishedMemo = memoKey;
      upsertMemo({ ...memo });
    }
  }
}
