/** The Connect simulator's snapshot: its tickets (comments inside) and id counters. */
import { z } from 'zod';
import { counterAbove, uniqueIds } from '../common/snapshot';
import { CONNECT_STATUSES, type ConnectCommentRecord, type ConnectStoreSnapshot, type ConnectTicketRecord } from './store';

const comment = z.object({
  id: z.number().int(),
  ticketId: z.string(),
  message: z.string(),
  author: z.enum(['USER', 'SUPPORT']),
  attachments: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<ConnectCommentRecord>;

const ticket = z.object({
  id: z.string(),
  tenantId: z.string(),
  status: z.enum(CONNECT_STATUSES),
  title: z.string(),
  description: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  userId: z.string().optional(),
  houseId: z.string().optional(),
  contractId: z.string().optional(),
  equipmentId: z.string().optional(),
  alertId: z.string().optional(),
  comments: z.array(comment),
}) satisfies z.ZodType<ConnectTicketRecord>;

/**
 * A file's bytes, as base64. Kept in the snapshot rather than beside it: the sandbox's durable
 * ticket workflows may copy a file after a restart, and a listed attachment whose bytes were
 * forgotten would be a remote that lies. Sandbox files are a person's screenshots and PDFs (a few
 * MB); tests that move tens of MB never save a snapshot.
 */
const file = z.object({ commentId: z.number().int(), name: z.string(), contentType: z.string(), base64: z.string() });

/** What `ConnectStore` holds. `next` are the ids the store hands out next. */
export const connectStoreSnapshotSchema = z
  .object({
    tickets: z.array(ticket),
    next: z.object({ ticket: z.number().int(), comment: z.number().int() }),
    // Snapshots from before files had bytes list names only; those files answer 404.
    files: z.array(file).default([]),
  })
  .superRefine((s, ctx) => {
    uniqueIds(ctx, ['tickets'], s.tickets.map((t) => t.id));
    uniqueIds(ctx, ['tickets'], s.tickets.flatMap((t) => t.comments.map((c) => c.id)));
    // Only the store's own `T-<n>` ids come from the counter; a caller may have chosen any other.
    const numbered = s.tickets.flatMap((t) => /^T-(\d+)$/.exec(t.id)?.slice(1).map(Number) ?? []);
    counterAbove(ctx, ['next', 'ticket'], s.next.ticket, numbered);
    counterAbove(ctx, ['next', 'comment'], s.next.comment, s.tickets.flatMap((t) => t.comments.map((c) => c.id)));
    const listed = new Set(s.tickets.flatMap((t) => t.comments.flatMap((c) => c.attachments.map((name) => `${c.id}/${name}`))));
    uniqueIds(ctx, ['files'], s.files.map((f) => `${f.commentId}/${f.name}`));
    for (const f of s.files) {
      if (!listed.has(`${f.commentId}/${f.name}`)) ctx.addIssue({ code: 'custom', path: ['files'], message: `a file of comment ${f.commentId} that it does not list` });
    }
  }) satisfies z.ZodType<ConnectStoreSnapshot>;
export type { ConnectStoreSnapshot };

export const connectSnapshotSchema = z.object({ version: z.literal(1), store: connectStoreSnapshotSchema });
export type ConnectSnapshot = z.infer<typeof connectSnapshotSchema>;
