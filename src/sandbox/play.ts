/**
 * One sandbox "play" route: parse the body (400 naming each field in plain words), act as the end
 * user, the agent or the platform, answer the result. A ticket the simulator does not know is a
 * 404; an action its state does not allow (a comment on a CLOSED ticket, "was it resolved?" on a
 * ticket nobody solved) is a 409 saying what to do first.
 *
 * Some actions need the bridge to have done its part first (the agent answers a ticket the
 * bridge has yet to create in Zendesk; the user confirms a resolution the bridge has yet to carry
 * to the app). Such a route waits for that, a few seconds at most (`waitFor`), so the tour's
 * commands work pasted in one go, as fast as a shell runs them.
 */
import type express from 'express';
import type { z } from 'zod';
import { ZendeskRuleError } from '../simulators/zendesk/store';

/** How long a play route waits for the bridge's part before it answers 404 / 409. */
export const DEFAULT_PLAY_WAIT_MS = 15_000;

export class PlayError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new PlayError(404, message);
export const conflict = (message: string) => new PlayError(409, message);

/** `probe()` until it gives something (not undefined/null/false), or `timeoutMs` passed: undefined then. */
export async function waitFor<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** JSON with a final newline: the answer is read in a terminal, after `curl -s`, before the next prompt. */
export function sendJson(res: express.Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(`${JSON.stringify(body)}\n`);
}

export type Act<T> = (body: T, params: Record<string, string>) => Promise<unknown>;

export interface PlayIssue {
  path: string;
  message: string;
}

/**
 * zod's default wording ("Invalid input: expected string, received undefined") is for developers;
 * these say the same to someone typing curl commands. A schema's own message wins.
 */
function plainMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return issue.expected === 'object' ? 'must be a JSON object' : `must be a ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1 ? 'must not be empty' : `must be at least ${issue.minimum}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'too_big':
      return `must be at most ${issue.maximum}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'uuid' || issue.format === 'guid' ? 'must be a UUID' : `must be a ${issue.format}`;
    default:
      return undefined;
  }
}

/**
 * The issues of a failed parse, one per field. An unknown field is named on its own: a typo
 * (`message` where `details` is meant) must not be dropped silently. `hints` add a sentence for
 * fields people are known to mistake.
 */
export function playIssues(error: z.ZodError, fields: readonly string[], hints: Record<string, string> = {}): PlayIssue[] {
  return error.issues.flatMap((issue): PlayIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...issue.path.map(String), key].join('.'),
        message: hints[key] ?? `is not a field of this request (it takes ${fields.join(', ') || 'no body'})`,
      }));
    }
    return [{ path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)', message: issue.message }];
  });
}

export interface PlayOptions {
  /** A sentence for a field people mistake, e.g. `{ message: 'the text of a "no" goes in details' }`. */
  hints?: Record<string, string>;
}

export function play<S extends z.ZodObject>(schema: S, act: Act<z.output<S>>, options: PlayOptions = {}): express.RequestHandler {
  const fields = Object.keys(schema.shape);
  return async (req, res, next) => {
    const parsed = schema.safeParse(req.body ?? {}, { error: (issue) => plainMessage(issue) });
    if (!parsed.success) {
      sendJson(res, 400, { error: 'invalid_request', issues: playIssues(parsed.error, fields, options.hints) });
      return;
    }
    try {
      sendJson(res, 200, (await act(parsed.data, req.params as Record<string, string>)) ?? { ok: true });
    } catch (err) {
      if (err instanceof PlayError) {
        sendJson(res, err.status, { error: err.status === 404 ? 'not_found' : 'conflict', message: err.message });
      } else if (err instanceof ZendeskRuleError) {
        // What Zendesk itself would refuse (a closed ticket is read-only, ...): its own words.
        sendJson(res, err.status === 404 ? 404 : 409, {
          error: err.status === 404 ? 'not_found' : 'conflict',
          message: `Zendesk refuses this: ${zendeskReason(err.body)}`,
        });
      } else {
        next(err);
      }
    }
  };
}

/** `{ details: { status: [{ description: "Status: closed prevents ticket update" }] } }` → its first description. */
function zendeskReason(body: unknown): string {
  const { details, description } = (body ?? {}) as { details?: Record<string, Array<{ description?: string }>>; description?: string };
  const first = Object.values(details ?? {})[0]?.[0]?.description;
  return first ?? description ?? 'the write is invalid';
}
