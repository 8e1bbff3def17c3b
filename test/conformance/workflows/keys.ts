/** Search attribute keys shared by workflows and tests (the project's Keyword attributes). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ticketStatusKey = defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD);
export const ticketSourceKey = defineSearchAttributeKey('TicketSource', SearchAttributeType.KEYWORD);
export const crmTicketIdKey = defineSearchAttributeKey('CrmTicketId', SearchAttributeType.KEYWORD);
