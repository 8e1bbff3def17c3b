/**
 * White-label ticket → canonical `SourceTicket`. The platform has no status field beyond
 * `is_open`, so the status is derived from who spoke last (see `deriveStatus`).
 */
import { z } from 'zod';
import type { SourceComment, SourceTicket, TicketStatus } from '../../domain/ticket';
import type { SourceFields } from '../../ports/ticket-source';
import { compareComments as byCreatedThenId } from '../../domain/comments';
import type { WhitelabelReply, WhitelabelTicket } from './schemas';

/** Unix seconds → ISO-8601 UTC. */
export function isoFromUnix(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/**
 * Replies in conversation order: by `created_at`, and in the platform's list order within one
 * second (its timestamps have second resolution; the list order is the only tie-breaker it gives).
 */
function chronological(replies: readonly WhitelabelReply[]): WhitelabelReply[] {
  // Array.prototype.sort is stable, so equal timestamps keep their list order.
  return [...replies].sort((a, b) => a.created_at - b.created_at);
}

/**
 * The status rule:
 * - `is_open: false` → SOLVED (the platform has no separate "closed"; the bridge's SOLVED timer
 *   or the agent closes it in the CRM);
 * - no client reply at all → NEW (nobody has asked anything an agent could answer yet — the
 *   platform's own auto-replies are agent replies);
 * - the last reply is the client's → OPEN (waiting on an agent);
 * - the last reply is an agent's → PENDING (waiting on the client).
 */
export function deriveStatus(ticket: Pick<WhitelabelTicket, 'is_open' | 'replies'>): TicketStatus {
  if (!ticket.is_open) return 'SOLVED';
  const replies = chronological(ticket.replies);
  if (!replies.some((r) => r.is_client_reply)) return 'NEW';
  return replies.at(-1)!.is_client_reply ? 'OPEN' : 'PENDING';
}

/** Asset URLs: strings as they are, objects by their `url`; anything else carries nothing usable. */
function attachmentsOf(reply: WhitelabelReply): string[] {
  return (reply.assets ?? []).flatMap((a) => (typeof a === 'string' ? [a] : typeof a.url === 'string' ? [a.url] : []));
}

/**
 * Reply times in milliseconds, with the platform's list order folded into the millisecond part:
 * the n-th reply listed within one second gets +n ms. The platform's timestamps have second
 * resolution, while the canonical order is (createdAt, id) — with random UUIDs as ids, two
 * replies of one second would otherwise be ordered by chance: shown out of order in the CRM,
 * and, worse, a later reply could sort *before* the workflow's comment cursor and never be
 * mirrored. The list is append-only, so a reply keeps its offset in every later snapshot.
 */
function replyTimesMs(replies: readonly WhitelabelReply[]): number[] {
  const seen = new Map<number, number>();
  return replies.map((r) => {
    const n = seen.get(r.created_at) ?? 0;
    seen.set(r.created_at, n + 1);
    return r.created_at * 1000 + Math.min(n, 999);
  });
}

export function toSourceComment(reply: WhitelabelReply, createdAtMs: number = reply.created_at * 1000): SourceComment {
  return {
    id: reply.id,
    author: reply.is_client_reply ? 'USER' : 'SUPPORT',
    body: reply.text,
    createdAt: new Date(createdAtMs).toISOString(),
    attachments: attachmentsOf(reply),
  };
}

const emailShape = z.email();

/** Blank becomes null; an e-mail the CRM would reject (422, for good) is dropped rather than sent. */
function requesterEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim() ?? '';
  return trimmed !== '' && emailShape.safeParse(trimmed).success ? trimmed : null;
}

export function toSourceTicket(t: WhitelabelTicket): SourceTicket {
  const first = chronological(t.replies)[0];
  const opening = first !== undefined && first.text.trim() !== '' ? first : undefined;
  const times = replyTimesMs(t.replies);
  return {
    source: 'whitelabel',
    id: t.id,
    status: deriveStatus(t),
    title: t.title,
    // The platform has no description: its first reply is the opening message. Its assets go
    // with it, as the files of the CRM ticket's first comment.
    description: opening ? opening.text : t.title,
    ...(opening && attachmentsOf(opening).length > 0 && { descriptionAttachments: attachmentsOf(opening) }),
    requester: { externalId: t.client.id, name: t.client.name?.trim() || null, email: requesterEmail(t.client.email) },
    assigneeRef: t.teammate_id,
    // The canonical order (createdAt, id) is what the workflow's comment cursor uses. The opening
    // message is the description already: as a comment too it would show twice in the CRM.
    comments: t.replies
      .map((r, i) => toSourceComment(r, times[i]))
      .filter((c) => c.id !== opening?.id)
      .sort(byCreatedThenId),
    createdAt: isoFromUnix(t.created_at),
    // The workflow ignores a snapshot that is not newer than the applied one; a reply added in
    // the same second as the previous event must still count as newer, so the reply times
    // (with their list-order milliseconds) take part.
    updatedAt: new Date(Math.max(t.updated_at * 1000, ...times)).toISOString(),
  };
}

/** A field documented without a firm shape: text or a number as text; anything else is unset. */
function looseText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
}

/** The fields a mapping may read (`MAPPABLE_FIELDS.whitelabel`). */
export function toSourceFields(t: WhitelabelTicket): SourceFields {
  return { category: looseText(t.category), subcategory: looseText(t.subcategory), language: looseText(t.language) };
}
