/**
 * Zendesk events that echo the bridge's own writes, dropped at the door.
 *
 * Every write the bridge makes to Zendesk (a user's comment, a status) comes back as an event
 * whose actor is the bridge's API user. The workflow already knows what it wrote (each write's
 * answer gives the comment id and the ticket's version), so such an echo would only cost a
 * workflow task and a read. It is answered 202 `ignored` (reason `own-write`), counted in
 * `ticket_bridge_webhooks_total{outcome="ignored"}` and logged without being signalled.
 *
 * Only changes made through the API (`via.channel` `web_service`) count: a person who uses the
 * bridge's account in the agent interface (`web`) is heard like any agent. A script that used the
 * bridge's API token would be dropped here too; the reconciler's next round still finds its
 * change (the ticket's fingerprint moved) and syncs it. Trigger webhooks carry no actor, so
 * nothing of theirs is dropped.
 */
import type { Logger } from '../../observability/logger';
import type { ZendeskTicketNotice } from './zendesk-payload';

/** The bridge's Zendesk user id, once known; null until then (nothing is dropped meanwhile). */
export interface CrmIdentity {
  bridgeUserId(): string | null;
}

/** The channel Zendesk names for changes made through its REST API. */
const API_CHANNEL = 'web_service';

export function isOwnWrite(notice: ZendeskTicketNotice, identity: CrmIdentity | undefined): boolean {
  const bridgeUserId = identity?.bridgeUserId() ?? null;
  return bridgeUserId !== null && notice.actorId === bridgeUserId && notice.channel === API_CHANNEL;
}

export interface ResolvedCrmIdentity extends CrmIdentity {
  /** Settles once the id is known or `stop()` was called; never rejects. */
  readonly ready: Promise<void>;
  stop(): void;
}

/**
 * Looks the bridge's user up in the background (`GET /users/me`), again every `retryMs` until it
 * answers: the API starts and takes webhooks whether or not Zendesk is reachable.
 */
export function resolveCrmIdentity(lookup: () => Promise<string>, logger: Logger, retryMs = 30_000): ResolvedCrmIdentity {
  let id: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let settle!: () => void;
  const ready = new Promise<void>((resolve) => (settle = resolve));
  const attempt = (): void => {
    lookup().then(
      (found) => {
        id = found;
        settle();
      },
      (err: unknown) => {
        if (stopped) return;
        logger.warn({ err, retryInSeconds: retryMs / 1000 }, "could not look up the bridge's Zendesk user: echoes of its own writes reach the workflows until it answers");
        timer = setTimeout(attempt, retryMs);
        timer.unref();
      },
    );
  };
  attempt();
  return {
    ready,
    bridgeUserId: () => id,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      settle();
    },
  };
}
