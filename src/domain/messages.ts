/**
 * How a message from one side is written on the other. Kept apart from the lifecycle so the
 * wording can change without touching the state machine.
 */
import type { CrmComment, SourceComment } from './ticket';

/** A message body followed by its attachments' URLs, one per line (sync v2; v3 attaches the files). */
export function withAttachments(body: string, attachments: readonly string[]): string {
  if (attachments.length === 0) return body;
  return `${body}\n\nAttachments:\n${attachments.map((url) => `- ${url}`).join('\n')}`;
}

/**
 * A user's message from the app, posted in the CRM as the requester's public comment. Sync v2
 * pastes the files' URLs into the text; with `filesTravel` (sync v3) the files themselves are
 * attached (src/activities/attachment-transfer.ts) and the text is the message alone.
 */
export function crmBodyForUserComment(comment: SourceComment, filesTravel = false): string {
  return filesTravel ? comment.body : withAttachments(comment.body, comment.attachments);
}

/** What comes before a support message written in the app, in the CRM's internal note. */
export const SUPPORT_NOTE_PREFIX = 'Support reply posted in the app (not from this helpdesk):\n\n';

/** A support message written directly in the app (not through the CRM): an internal note for agents. */
export function crmBodyForSupportNote(comment: SourceComment, filesTravel = false): string {
  const body = `${SUPPORT_NOTE_PREFIX}${comment.body}`;
  return filesTravel ? body : withAttachments(body, comment.attachments);
}

/** An agent's public reply, posted to the source exactly as written. */
export function sourceBodyForAgentReply(comment: CrmComment): string {
  return comment.body;
}
