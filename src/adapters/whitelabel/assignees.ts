/**
 * Which Zendesk user a white-label teammate is: `WHITELABEL_ASSIGNEES`, a JSON object from
 * teammate id (the platform's `teammate_id`, a UUID) to Zendesk user id, e.g.
 * `{"b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac": 9012345}`.
 *
 * Parsing lives in `whitelabelAssigneesSchema` (for src/config/whitelabel.ts); resolving is a pure lookup with
 * no I/O, so the workflow can do it deterministically from a map carried in its settings.
 */
import { z } from 'zod';

/** teammate id (lower case) → Zendesk user id (digits). */
export type AssigneeMap = Readonly<Record<string, string>>;

export interface AssigneeResolution {
  /** The Zendesk user to assign; null leaves (or makes) the CRM ticket unassigned. */
  crmAssigneeId: string | null;
  /**
   * false: the ticket has a teammate the map does not know. The CRM ticket is then left
   * unassigned and the workflow should say so in its state notes (the issue asks for that).
   * An unassigned source ticket (null teammate) needs no mapping, so it reads as mapped.
   */
  mapped: boolean;
}

const USAGE = 'must be a JSON object mapping teammate ids to Zendesk user ids, e.g. {"<teammate uuid>": 123}';

const zendeskUserId = z
  .union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,19}$/)])
  .transform(String);

/**
 * `WHITELABEL_ASSIGNEES` → `AssigneeMap`. Unset or blank is handled by the caller (default `{}`).
 * Messages name entries by position, never by value (config's rule for every variable).
 */
export const whitelabelAssigneesSchema = z.string().transform((text, ctx): AssigneeMap => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `is not valid JSON: ${USAGE}` });
    return z.NEVER;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    ctx.addIssue({ code: 'custom', message: USAGE });
    return z.NEVER;
  }
  // No prototype: a teammate id such as "__proto__" or "constructor" is just a key.
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  Object.entries(json).forEach(([teammateId, userId], i) => {
    const key = teammateId.trim().toLowerCase();
    const parsed = zendeskUserId.safeParse(userId);
    if (key === '') ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: the teammate id is empty` });
    else if (Object.hasOwn(map, key)) ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: the teammate id appears twice` });
    else if (!parsed.success) ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: the Zendesk user id must be a positive integer` });
    else map[key] = parsed.data;
  });
  return map;
});

/** A resolver over `map`: `resolveAssignee(ticket.assigneeRef)`. */
export function assigneeResolver(map: AssigneeMap): (teammateId: string | null) => AssigneeResolution {
  return (teammateId) => {
    if (teammateId === null) return { crmAssigneeId: null, mapped: true };
    // Own properties only: a teammate id like "constructor" must not find Object.prototype's.
    const key = teammateId.trim().toLowerCase();
    const userId = Object.hasOwn(map, key) ? map[key]! : null;
    return { crmAssigneeId: userId, mapped: userId !== null };
  };
}
