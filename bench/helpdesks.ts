/**
 * What the bench's standard lifecycle does in the helpdesk, on Zendesk or on Freshdesk
 * (`CRM=freshdesk`): the agent's part, the ticket the bridge created, and the helpdesk's request
 * log, so one lifecycle measures both (report.ts, P2).
 */
import { eventually } from '../test/harness';
import type { BridgeRig } from '../test/support/bridge-rig';

export interface HelpdeskDriver {
  name: 'Zendesk' | 'Freshdesk';
  /** Waits for the helpdesk ticket the bridge creates for the Connect ticket; its id. */
  ticketFor(connectTicketId: string): Promise<number>;
  agentReplies(ticketId: number, body: string): Promise<void>;
  agentSolves(ticketId: number): Promise<void>;
  /** The text of the ticket's last message (its description before any). */
  lastText(ticketId: number): string | undefined;
  /** Requests the helpdesk has served so far (its simulator's log). */
  requests(): Array<{ method: string; route: string }>;
}

export function zendeskDriver(rig: BridgeRig): HelpdeskDriver {
  return {
    name: 'Zendesk',
    ticketFor: async (id) => (await rig.zendeskTicketFor(id)).id,
    agentReplies: async (ticketId, body) => void (await rig.zendesk.agentReplies(ticketId, body)),
    agentSolves: async (ticketId) => void (await rig.zendesk.agentSetsStatus(ticketId, 'solved')),
    lastText: (ticketId) => rig.zendesk.comments(ticketId).at(-1)?.body,
    requests: () => rig.zendesk.requests(),
  };
}

/** The rig must run with `crm: 'freshdesk'`. */
export function freshdeskDriver(rig: BridgeRig): HelpdeskDriver {
  const freshdesk = rig.freshdesk;
  if (!freshdesk) throw new Error("the rig's helpdesk is not Freshdesk (startBridgeRig({ crm: 'freshdesk' }))");
  return {
    name: 'Freshdesk',
    ticketFor: (id) =>
      eventually(() => {
        const ticket = freshdesk.ticketByExternalId(`connect:${id}`);
        if (!ticket) throw new Error(`no Freshdesk ticket for ${id} yet`);
        return ticket.id;
      }),
    agentReplies: async (ticketId, body) => void (await freshdesk.agentReplies(ticketId, body)),
    // 4: Resolved.
    agentSolves: async (ticketId) => void (await freshdesk.agentSetsStatus(ticketId, 4)),
    lastText: (ticketId) => freshdesk.conversations(ticketId).at(-1)?.body_text ?? freshdesk.ticket(ticketId)?.description_text,
    requests: () => freshdesk.requests(),
  };
}
