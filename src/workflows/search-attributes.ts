/**
 * The ticket workflow's custom search attributes (all Keyword, none holding personal data).
 * The compose stack and the Temporal test service register exactly these names.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TicketStatusKey = defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD);
export const TicketSourceKey = defineSearchAttributeKey('TicketSource', SearchAttributeType.KEYWORD);
export const CrmTicketIdKey = defineSearchAttributeKey('CrmTicketId', SearchAttributeType.KEYWORD);
/**
 * `true` while an operator has paused the ticket, `false` once resumed; absent on a ticket never
 * paused (set only when it changes, so other tickets' histories gain nothing). A Keyword like the
 * others, so every place that registers them stays one loop: query it as `TicketPaused = "true"`.
 */
export const TicketPausedKey = defineSearchAttributeKey('TicketPaused', SearchAttributeType.KEYWORD);

/**
 * Sync rules 1.6: a digest of what each side looked like when the workflow last saw it
 * (`fingerprintsKeyword` in src/domain/fingerprints.ts), for the reconciler. Opaque to a person,
 * and no personal data; it changes with the status, in the same upsert, once per sync.
 */
export const TicketFingerprintsKey = defineSearchAttributeKey('TicketFingerprints', SearchAttributeType.KEYWORD);

export const TICKET_SEARCH_ATTRIBUTES = [TicketStatusKey, TicketSourceKey, CrmTicketIdKey, TicketPausedKey, TicketFingerprintsKey] as const;
