/**
 * The Zendesk simulator's snapshot: users, tickets with their comments, the id counters, which
 * users are the bridge's API user and the default agent, and the remembered idempotent creates.
 */
import { z } from 'zod';
import { counterAbove, uniqueIds } from '../common/snapshot';
import { ZD_PRIORITIES, ZD_STATUSES, type ZdAttachment, type ZdComment, type ZdTicket, type ZdUser, type ZendeskStoreSnapshot } from './store';

const channel = z.object({ channel: z.enum(['web', 'web_service', 'email']) });

const user = z.object({
  id: z.number().int(),
  name: z.string(),
  email: z.string().nullable(),
  role: z.enum(['end-user', 'agent', 'admin']),
}) satisfies z.ZodType<ZdUser>;

const ticket = z.object({
  id: z.number().int(),
  external_id: z.string().nullable(),
  subject: z.string(),
  description: z.string(),
  status: z.enum(ZD_STATUSES),
  requester_id: z.number().int(),
  submitter_id: z.number().int(),
  assignee_id: z.number().int().nullable(),
  tags: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  via: channel,
  via_followup_source_id: z.number().int().optional(),
  followup_ids: z.array(z.number().int()).optional(),
  priority: z.enum(ZD_PRIORITIES).optional(),
  group_id: z.number().int().optional(),
  brand_id: z.number().int().optional(),
  ticket_form_id: z.number().int().optional(),
  custom_fields: z.array(z.object({ id: z.number().int(), value: z.union([z.string(), z.number(), z.boolean()]).nullable() })).optional(),
}) satisfies z.ZodType<ZdTicket>;

const attachment = z.object({
  id: z.number().int(),
  file_name: z.string(),
  content_type: z.string(),
  size: z.number().int().nonnegative(),
}) satisfies z.ZodType<ZdAttachment>;

/**
 * An upload with its bytes, as base64. Bytes are kept in the snapshot, not beside it: the
 * sandbox's ticket workflows are durable and may copy a file after a restart, so a
 * `content_url` the bridge has seen must still serve the same bytes (a simulator that forgot
 * them would be a remote that lies). The cost is the state file's size: sandbox files are a
 * person's screenshots and PDFs, a few MB; tests that move tens of MB never save a snapshot.
 */
const upload = z
  .object({
    token: z.string().min(1),
    attachment,
    created_at: z.string(),
    comment_id: z.number().int().nullable(),
    base64: z.string(),
  })
  .refine((u) => Buffer.byteLength(u.base64, 'base64') === u.attachment.size, { message: 'bytes do not match the size', path: ['base64'] });

const comment = z.object({
  id: z.number().int(),
  type: z.literal('Comment'),
  author_id: z.number().int(),
  body: z.string(),
  html_body: z.string(),
  plain_body: z.string(),
  public: z.boolean(),
  attachments: z.array(attachment),
  audit_id: z.number().int(),
  created_at: z.string(),
  via: channel,
}) satisfies z.ZodType<ZdComment>;

/** What `ZendeskStore` holds. `next` are the ids it hands out next. */
export const zendeskStoreSnapshotSchema = z
  .object({
    users: z.array(user),
    tickets: z.array(z.object({ ticket, comments: z.array(comment) })),
    next: z.object({
      user: z.number().int(),
      ticket: z.number().int(),
      comment: z.number().int(),
      audit: z.number().int(),
      event: z.number().int(),
      // Snapshots from before attachments have no files yet.
      attachment: z.number().int().default(1_500_001),
    }),
    uploads: z.array(upload).default([]),
  })
  .superRefine((s, ctx) => {
    const commentIds = s.tickets.flatMap((t) => t.comments.map((c) => c.id));
    uniqueIds(ctx, ['users'], s.users.map((u) => u.id));
    uniqueIds(ctx, ['tickets'], s.tickets.map((t) => t.ticket.id));
    uniqueIds(ctx, ['tickets'], commentIds);
    counterAbove(ctx, ['next', 'user'], s.next.user, s.users.map((u) => u.id));
    counterAbove(ctx, ['next', 'ticket'], s.next.ticket, s.tickets.map((t) => t.ticket.id));
    counterAbove(ctx, ['next', 'comment'], s.next.comment, commentIds);
    uniqueIds(ctx, ['uploads'], s.uploads.map((u) => u.token));
    uniqueIds(ctx, ['uploads'], s.uploads.map((u) => u.attachment.id));
    counterAbove(ctx, ['next', 'attachment'], s.next.attachment, s.uploads.map((u) => u.attachment.id));
    // Every file a comment shows is an upload bound to it (its bytes are served).
    const bound = new Map(s.uploads.map((u) => [u.attachment.id, u.comment_id]));
    for (const c of s.tickets.flatMap((t) => t.comments)) {
      for (const a of c.attachments) {
        if (bound.get(a.id) !== c.id) ctx.addIssue({ code: 'custom', path: ['uploads'], message: `attachment ${a.id} of comment ${c.id} has no upload bound to it` });
      }
    }
    // Audits are not kept, but comments name theirs.
    counterAbove(ctx, ['next', 'audit'], s.next.audit, s.tickets.flatMap((t) => t.comments.map((c) => c.audit_id)));
  }) satisfies z.ZodType<ZendeskStoreSnapshot>;
export type { ZendeskStoreSnapshot };

/** A remembered `Idempotency-Key` create: replayed as it was first answered, until `expiresAt` (epoch ms). */
export const idempotencyEntrySchema = z.object({
  key: z.string(),
  fingerprint: z.string(),
  response: z.object({ status: z.number().int(), body: z.unknown().optional(), headers: z.record(z.string(), z.string()).optional() }),
  expiresAt: z.number(),
});
export type IdempotencyEntry = z.infer<typeof idempotencyEntrySchema>;

export const zendeskSnapshotSchema = z
  .object({
    version: z.literal(1),
    store: zendeskStoreSnapshotSchema,
    /** The bridge's API user and the agent the sandbox and tests act as: their ids must not change. */
    bridgeUserId: z.number().int(),
    agentId: z.number().int(),
    idempotency: z.array(idempotencyEntrySchema),
  })
  .superRefine((s, ctx) => {
    const role = (id: number) => s.store.users.find((u) => u.id === id)?.role;
    if (role(s.bridgeUserId) !== 'admin') ctx.addIssue({ code: 'custom', path: ['bridgeUserId'], message: 'not an admin of the snapshot' });
    const agent = role(s.agentId);
    if (agent !== 'agent' && agent !== 'admin') ctx.addIssue({ code: 'custom', path: ['agentId'], message: 'not an agent of the snapshot' });
  });
export type ZendeskSnapshot = z.infer<typeof zendeskSnapshotSchema>;
