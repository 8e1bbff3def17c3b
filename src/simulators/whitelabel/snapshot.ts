/**
 * The white-label simulator's snapshot: its tickets (replies inside) and its `endpoint_id`.
 * No counters: the platform's ids are UUIDs.
 */
import { z } from 'zod';
import { uniqueIds } from '../common/snapshot';
import type { WhitelabelClientRecord, WhitelabelReplyRecord, WhitelabelStoreSnapshot, WhitelabelTicketRecord } from './store';

const reply = z.object({
  id: z.string(),
  text: z.string(),
  is_client_reply: z.boolean(),
  created_at: z.number().int(),
  assets: z.array(z.string()).nullable(),
}) satisfies z.ZodType<WhitelabelReplyRecord>;

const client = z.object({ id: z.string(), name: z.string(), email: z.string() }) satisfies z.ZodType<WhitelabelClientRecord>;

const ticket = z.object({
  id: z.string(),
  title: z.string(),
  is_open: z.boolean(),
  object: z.literal('ticket'),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  client,
  teammate_id: z.string().nullable(),
  replies: z.array(reply),
  category: z.string(),
  subcategory: z.string().nullable(),
  language: z.string(),
}) satisfies z.ZodType<WhitelabelTicketRecord>;

/** What `WhitelabelStore` holds. */
export const whitelabelStoreSnapshotSchema = z
  .object({ tickets: z.array(ticket) })
  .superRefine((s, ctx) => uniqueIds(ctx, ['tickets'], s.tickets.map((t) => t.id))) satisfies z.ZodType<WhitelabelStoreSnapshot>;
export type { WhitelabelStoreSnapshot };

export const whitelabelSnapshotSchema = z.object({
  version: z.literal(1),
  store: whitelabelStoreSnapshotSchema,
  /** In every event envelope; the bridge may key on it, so it must not change under it. */
  endpointId: z.string(),
});
export type WhitelabelSnapshot = z.infer<typeof whitelabelSnapshotSchema>;
