/**
 * The ticket workflow's custom search attributes (all Keyword, none holding personal data).
 * The compose stack and the Temporal test service register exactly these names.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TicketStatusKey = defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD);
export const TicketSourceKey = defineSearchAttributeKey('TicketSource', SearchAttributeType.KEYWORD);
export const CrmTicketIdKey = defineSearchAttributeKey('CrmTicketId', SearchAttributeType.KEYWORD);

export const TICKET_SEARCH_ATTRIBUTES = [TicketStatusKey, TicketSourceKey, CrmTicketIdKey] as const;
