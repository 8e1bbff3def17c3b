/**
 * How a ticket ended, as an operator should read it. A ticket the user deleted ends CLOSED (its
 * workflow completes; Zendesk keeps it, solved, with a note), which alone reads like a ticket the
 * user confirmed as resolved. The workflow's state has no field for it (a `closedBy` in
 * `TicketStateView` would be the direct way); its timeline records the source's `deleted`
 * notification, which is what ends such a ticket, so that is what is read here.
 */
import type { TicketStateView } from '../../workflows/definitions';

/** The timeline's line for a source's deletion (src/workflows/ticket-workflow.ts): `app: ticket deleted`. */
const DELETION = /^[\w-]+: ticket deleted$/;

/** A CLOSED ticket whose end was the user's deletion. */
export function deletedByUser(state: Pick<TicketStateView, 'status' | 'timeline'>): boolean {
  return state.status === 'CLOSED' && state.timeline.some((entry) => entry.kind === 'received' && DELETION.test(entry.detail));
}

/** The status as shown to a person: `CLOSED — deleted by the user` for such a ticket. */
export function statusLabel(status: string | null, deleted: boolean): string {
  if (status === null) return '-';
  return deleted ? `${status} — deleted by the user` : status;
}
