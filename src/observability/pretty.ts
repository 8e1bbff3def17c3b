/**
 * Log lines for a person at a terminal (`LOG_FORMAT=pretty`, the default when stdout is a TTY):
 * one short line per entry, `12:03:04 INFO  ticket/connect/T-1001  activity attempt ensureCrmTicket #1 completed (199 ms)`.
 *
 * pino-pretty (pino's own prettifier) formats the JSON that pino has already redacted, so this
 * view can drop or reorder fields but never shows one the JSON would not. It runs in-process and
 * synchronously, so its lines stay in order with what `npm start` writes to stdout itself.
 */
import pinoPretty from 'pino-pretty';
import type { DestinationStream } from 'pino';

type Line = Record<string, unknown>;

/** Fields the message below already says, or that every line has (`service`). */
const SHOWN_IN_MESSAGE = [
  // pino-pretty shows `name` as the logger's name; here it can only be a person's, redacted anyway.
  'name',
  'pid',
  'hostname',
  'service',
  'workflowId',
  'runId',
  'workflowType',
  'taskQueue',
  'activityId',
  'activityType',
  'attempt',
  'outcome',
  'durationMs',
  'method',
  'route',
  'status',
];

const ms = (value: unknown) => (typeof value === 'number' ? ` (${Math.round(value)} ms)` : '');
const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** The message, with what the two most frequent lines (requests, activity attempts) are about. */
export function prettyMessage(line: Line): string {
  const msg = text(line.msg);
  let what = msg;
  if (msg === 'request') {
    what = `${text(line.method)} ${text(line.route)} → ${text(line.status)}${ms(line.durationMs)}`;
    if (line.outcome !== undefined) what += ` ${text(line.outcome)}`;
  } else if (msg === 'activity attempt') {
    what = `activity ${text(line.activityType)} #${text(line.attempt)} ${text(line.outcome)}${ms(line.durationMs)}`;
  } else if (line.outcome !== undefined) {
    what += ` (${text(line.outcome)})`;
  }
  return typeof line.workflowId === 'string' ? `${line.workflowId}  ${what}` : what;
}

export function prettyDestination(destination: number | DestinationStream = 1): DestinationStream {
  return pinoPretty({
    destination,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: SHOWN_IN_MESSAGE.join(','),
    messageFormat: (line) => prettyMessage(line as Line),
  });
}
