/**
 * Recommended activity options for the ticket workflow (`proxyActivities<TicketActivities>(...)`).
 * Workflow-safe: types and constants only — import this file directly from workflow code, not
 * `../activities` (whose index pulls in the activity implementations).
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/common';
import type { IntegrationErrorKind } from '../ports/errors';

/**
 * The kinds a retry cannot fix. Activities already throw these as non-retryable failures; listing
 * them here as well keeps the policy honest if a failure ever arrives without that flag.
 */
export const NON_RETRYABLE_FAILURE_TYPES = [
  'bad-request',
  'unauthorized',
  'forbidden',
  'not-found',
  'unprocessable',
  'write-conflict',
] as const satisfies readonly IntegrationErrorKind[];

/**
 * - initial 1 s, ×2: a blip (one 503, a dropped connection) is retried almost at once;
 * - capped at 5 min: during a long outage the remote is polled every 5 minutes, gently enough
 *   not to hammer a recovering service or burn its rate limit, often enough to resume quickly;
 * - unlimited attempts and no schedule-to-close limit: an outage of hours (or a weekend) is
 *   ridden out rather than failed — the workflow is durable, nothing is lost by waiting;
 * - a 429's `Retry-After` overrides the interval for that attempt (`nextRetryDelay`).
 */
export const TICKET_ACTIVITY_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '5m',
  maximumAttempts: Number.POSITIVE_INFINITY,
  nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES],
};

/**
 * startToClose 30 s bounds one attempt: each HTTP request has its own 10 s timeout and an
 * activity makes a few (read ticket, list comment pages, write). A worker killed mid-attempt is
 * noticed after this long and the retry's dedupe check finds a write that already landed.
 * No heartbeats: attempts are short.
 */
export const TICKET_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: TICKET_ACTIVITY_RETRY_POLICY,
};

/**
 * Writes (v3 sync rules) get a bounded window: a decision older than 15 minutes is no longer
 * worth writing. After it the sync fails, and the next one reads both sides and decides again.
 * Reads keep the unbounded policy above: waiting out an outage to read is always right.
 */
export const TICKET_WRITE_OPTIONS: ActivityOptions = {
  ...TICKET_ACTIVITY_OPTIONS,
  scheduleToCloseTimeout: '15m',
};

/**
 * Reads (v3 sync rules) run first as local activities: in the worker, inside the workflow task,
 * recorded as one marker event instead of an activity's three events plus a workflow task of
 * their own. Reads are idempotent, so re-running one on replay after a crash costs a request,
 * never a double write (writes stay regular activities for that reason). Meant to be bounded to a
 * minute, after which a read that still fails falls back to the regular, unbounded read activity,
 * which an operator sees as a pending activity with its attempt and last failure (`tickets show`).
 * The runs of sync rules up to 1.2 use these; the SDK's core does not enforce a local activity's
 * schedule-to-close across its attempts, so their read kept retrying for as long as the remote was
 * down: see TICKET_BOUNDED_LOCAL_READ_OPTIONS, which rules 1.3 use.
 */
export const TICKET_LOCAL_READ_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1m',
  retry: { ...TICKET_ACTIVITY_RETRY_POLICY, maximumInterval: '10s' },
};

/**
 * The local reads' options under sync rules 1.3: the same, giving up after 8 attempts (about a
 * minute of back-off, 1 s doubling to 10 s). The SDK's core counts a local activity's
 * `scheduleToCloseTimeout` from each attempt's own start, not across attempts (measured by
 * test/bridge/operate.test.ts), so without a bound on attempts a read kept failing for as long as
 * the remote was down, inside the workflow task, which the worker kept alive with a task
 * completion every 8 s: 3 history events each, over 1,000 an hour, and no pending activity for
 * the operator to see. A bounded number of attempts makes the fallback to the regular read
 * activity (its own back-off up to 5 minutes, no history while it waits) real.
 */
export const TICKET_BOUNDED_LOCAL_READ_OPTIONS: LocalActivityOptions = {
  ...TICKET_LOCAL_READ_OPTIONS,
  retry: { ...TICKET_LOCAL_READ_OPTIONS.retry, maximumAttempts: 8 },
};

/**
 * Writes that carry files (v3: a comment and its attachments, streamed in the same activity): an
 * attempt may move 50 MB, so it gets minutes, and heartbeats (every 5 s while bytes flow) tell a
 * dead worker from a slow file within 30 s. A remote that stalls mid-file is cut off by the
 * transfer itself (30 s without progress). The window is wider than other writes' for the same
 * reason; a file that keeps failing is given up on after a few attempts (`MAX_FILE_ATTEMPTS`).
 */
export const TICKET_FILE_WRITE_OPTIONS: ActivityOptions = {
  ...TICKET_ACTIVITY_OPTIONS,
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  scheduleToCloseTimeout: '30m',
};
