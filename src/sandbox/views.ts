/** What the sandbox's "look at both sides" routes show of the simulated Zendesk. */
import type { ZendeskSimulator } from '../simulators/zendesk';
import type { ZdTicket } from '../simulators/zendesk/store';

export interface ZendeskSideView {
  id: number;
  status: string;
  assigneeId: number | null;
  tags: string[];
  /** What the mapping (`MAPPING_FILE`; the sandbox ships one) set on the ticket; absent: nothing. */
  mapped?: Pick<ZdTicket, 'priority' | 'group_id' | 'brand_id' | 'ticket_form_id' | 'custom_fields'>;
  comments: Array<{ id: number; author: 'bridge' | 'agent' | 'requester'; authorId: number; public: boolean; body: string }>;
}

/** The ticket and its comments, each with who wrote it: the bridge, an agent or the requester. */
export function zendeskView(zendesk: ZendeskSimulator, ticket: ZdTicket): ZendeskSideView {
  const author = (id: number): ZendeskSideView['comments'][number]['author'] => {
    if (id === zendesk.bridgeUser.id) return 'bridge';
    const role = zendesk.user(id)?.role;
    return role === 'agent' || role === 'admin' ? 'agent' : 'requester';
  };
  return {
    id: ticket.id,
    status: ticket.status,
    assigneeId: ticket.assignee_id,
    tags: ticket.tags,
    ...mappedView(ticket),
    comments: zendesk.comments(ticket.id).map((c) => ({ id: c.id, author: author(c.author_id), authorId: c.author_id, public: c.public, body: c.body })),
  };
}

function mappedView(ticket: ZdTicket): Pick<ZendeskSideView, 'mapped'> {
  const { priority, group_id, brand_id, ticket_form_id, custom_fields } = ticket;
  const mapped = { priority, group_id, brand_id, ticket_form_id, custom_fields };
  const set = Object.fromEntries(Object.entries(mapped).filter(([, v]) => v !== undefined));
  return Object.keys(set).length > 0 ? { mapped: set } : {};
}
