/**
 * What the inbox holds: one webhook's notification, exactly the arguments of the gateway call
 * Temporal did not take, so the drainer replays the same call (`replay`) with the same workflow
 * id, signal and settings as the fast path.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseCrmExternalId, SOURCE_KINDS, type SourceKind, ticketWorkflowId } from '../../domain/ticket';
import type { CrmNotification, SourceNotification } from '../../workflows/definitions';
import type { CrmNotifyResult, SourceNotifyResult, TicketWorkflowGateway } from '../gateway';

export type InboxNotification =
  /** `gateway.notifySource(source, sourceTicketId, notification)`: Connect and white-label webhooks. */
  | { target: 'source'; source: SourceKind; sourceTicketId: string; notification: SourceNotification }
  /** `gateway.notifyCrm(notification, externalId)`: Zendesk webhooks. */
  | { target: 'crm'; notification: CrmNotification; externalId: string | null };

/**
 * The workflow a notification is for, when it is known without asking Temporal: always for a
 * source notification, for a CRM one only through its external id (else visibility decides at
 * delivery). Ids only: safe to log.
 */
export function workflowIdOf(item: InboxNotification): string | null {
  if (item.target === 'source') return ticketWorkflowId(item.source, item.sourceTicketId);
  const parsed = item.externalId === null ? null : parseCrmExternalId(item.externalId);
  return parsed ? ticketWorkflowId(parsed.source, parsed.sourceTicketId) : null;
}

/**
 * Notifications with the same key are delivered in arrival order: the ticket's workflow id, or
 * for a CRM notification without one, the CRM ticket.
 */
export function orderingKey(item: InboxNotification): string {
  if (item.target === 'source') return ticketWorkflowId(item.source, item.sourceTicketId);
  return workflowIdOf(item) ?? `crm/${item.notification.crmTicketId}`;
}

/**
 * The ordering key as it appears in entry file names: a short hash, so names have a fixed shape
 * and carry no ticket id of their own.
 */
export function orderingKeyHash(item: InboxNotification): string {
  return createHash('sha256').update(orderingKey(item)).digest('hex').slice(0, 16);
}

/** Replays a notification: the very gateway call the webhook route made. */
export function replay(
  gateway: Pick<TicketWorkflowGateway, 'notifySource' | 'notifyCrm'>,
  item: InboxNotification,
): Promise<SourceNotifyResult | CrmNotifyResult> {
  return item.target === 'source'
    ? gateway.notifySource(item.source, item.sourceTicketId, item.notification)
    : gateway.notifyCrm(item.notification, item.externalId);
}

// The shape is checked on the way back from disk: the bytes are authenticated (checksum or
// AES-GCM), so this guards against a format change between versions, not against an attacker.
const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

const sourceNotification = z.object({
  kind: z.enum(['created', 'updated', 'deleted']),
  eventId: z.string().nullable(),
  receivedAt: z.string(),
  // The white-label ticket as the event carried it; validated by the route before it was queued.
  snapshot: z.custom<NonNullable<SourceNotification['snapshot']>>(isObject).nullable(),
});

const crmNotification = z.object({ crmTicketId: z.string(), eventId: z.string().nullable(), receivedAt: z.string() });

export const inboxNotificationSchema: z.ZodType<InboxNotification> = z.discriminatedUnion('target', [
  z.object({ target: z.literal('source'), source: z.enum(SOURCE_KINDS), sourceTicketId: z.string().min(1), notification: sourceNotification }),
  z.object({ target: z.literal('crm'), notification: crmNotification, externalId: z.string().nullable() }),
]);
