/**
 * The Freshdesk simulator's snapshot: contacts and agents, tickets with their conversations, the
 * files with their bytes, the id counters, and which users are the bridge's API agent and the
 * agent the sandbox acts as. Checked on load like the Zendesk one (../zendesk/snapshot.ts): a
 * counter at or below an id it handed out, or a file nobody kept, would make the restored remote lie.
 */
import { z } from 'zod';
import { counterAbove, uniqueIds } from '../common/snapshot';
import type { FdUser, FreshdeskStoreSnapshot } from './store';

const user = z.object({
  id: z.number().int(),
  name: z.string(),
  email: z.string().nullable(),
  unique_external_id: z.string().nullable(),
  role: z.enum(['agent', 'contact']),
}) satisfies z.ZodType<FdUser>;

const ticket = z.object({
  id: z.number().int(),
  subject: z.string(),
  description: z.string(),
  description_text: z.string(),
  status: z.number().int(),
  priority: z.number().int(),
  source: z.number().int(),
  requester_id: z.number().int(),
  responder_id: z.number().int().nullable(),
  custom_fields: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  attachments: z.array(z.number().int()),
  deleted: z.boolean(),
});

const conversation = z.object({
  id: z.number().int(),
  ticket_id: z.number().int(),
  body: z.string(),
  body_text: z.string(),
  incoming: z.boolean(),
  private: z.boolean(),
  user_id: z.number().int(),
  source: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  attachments: z.array(z.number().int()),
});

/** A file with its bytes (why the bytes are in the snapshot: see ../zendesk/snapshot.ts). */
const file = z
  .object({ id: z.number().int(), name: z.string(), content_type: z.string(), size: z.number().int().nonnegative(), base64: z.string() })
  .refine((f) => Buffer.byteLength(f.base64, 'base64') === f.size, { message: 'bytes do not match the size', path: ['base64'] });

export const freshdeskStoreSnapshotSchema = z
  .object({
    users: z.array(user),
    tickets: z.array(z.object({ ticket, conversations: z.array(conversation) })),
    files: z.array(file),
    next: z.object({ user: z.number().int(), ticket: z.number().int(), conversation: z.number().int(), file: z.number().int() }),
  })
  .superRefine((s, ctx) => {
    const conversations = s.tickets.flatMap((t) => t.conversations);
    uniqueIds(ctx, ['users'], s.users.map((u) => u.id));
    uniqueIds(ctx, ['tickets'], s.tickets.map((t) => t.ticket.id));
    uniqueIds(ctx, ['tickets'], conversations.map((c) => c.id));
    uniqueIds(ctx, ['files'], s.files.map((f) => f.id));
    counterAbove(ctx, ['next', 'user'], s.next.user, s.users.map((u) => u.id));
    counterAbove(ctx, ['next', 'ticket'], s.next.ticket, s.tickets.map((t) => t.ticket.id));
    counterAbove(ctx, ['next', 'conversation'], s.next.conversation, conversations.map((c) => c.id));
    counterAbove(ctx, ['next', 'file'], s.next.file, s.files.map((f) => f.id));
    const kept = new Set(s.files.map((f) => f.id));
    const named = [...s.tickets.flatMap((t) => t.ticket.attachments), ...conversations.flatMap((c) => c.attachments)];
    const missing = named.find((id) => !kept.has(id));
    if (missing !== undefined) ctx.addIssue({ code: 'custom', path: ['files'], message: `file ${missing} is attached but not kept` });
  }) satisfies z.ZodType<FreshdeskStoreSnapshot>;

export const freshdeskSnapshotSchema = z
  .object({
    version: z.literal(1),
    store: freshdeskStoreSnapshotSchema,
    /** The bridge's API agent and the agent the sandbox acts as: their ids must not change. */
    apiAgentId: z.number().int(),
    agentId: z.number().int(),
  })
  .superRefine((s, ctx) => {
    const role = (id: number) => s.store.users.find((u) => u.id === id)?.role;
    if (role(s.apiAgentId) !== 'agent') ctx.addIssue({ code: 'custom', path: ['apiAgentId'], message: 'not an agent of the snapshot' });
    if (role(s.agentId) !== 'agent') ctx.addIssue({ code: 'custom', path: ['agentId'], message: 'not an agent of the snapshot' });
  });
export type FreshdeskSnapshot = z.infer<typeof freshdeskSnapshotSchema>;
