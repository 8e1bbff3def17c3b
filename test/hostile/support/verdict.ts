/**
 * What every hostile case must get back, and the figures table.
 *
 * A rejection is: a complete HTTP response, status 4xx, `Content-Type: application/json`, a body
 * `{ "error": <stable code>, ... }` where a 400 also says what is wrong (`issues` with a path and
 * a message each, or a `message`). Some requests are odd but legitimate (a health probe with a
 * junk query string); those must get their normal 2xx JSON answer and are counted apart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawResponse } from './raw-http';

export const ERROR_CODES = [
  'invalid_request',
  'invalid_json',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'headers_too_large',
  'rejected',
  'conflict',
] as const;

export type Expectation = 'reject' | 'ok';

export interface Figures {
  cases: number;
  rejected4xx: number;
  ok2xx: number;
  server5xx: number;
  crashes: number;
  /** Answers that were neither what was expected nor a 5xx/crash (wrong status, not JSON, …). */
  wrong: number;
}

const PROTO_SNAPSHOT = {
  object: Object.getOwnPropertyNames(Object.prototype).sort().join(','),
  array: Object.getOwnPropertyNames(Array.prototype).sort().join(','),
  fn: Object.getOwnPropertyNames(Function.prototype).sort().join(','),
};

/** Throws if any built-in prototype gained or lost a property (prototype pollution). */
export function assertPrototypesClean(): void {
  const now = {
    object: Object.getOwnPropertyNames(Object.prototype).sort().join(','),
    array: Object.getOwnPropertyNames(Array.prototype).sort().join(','),
    fn: Object.getOwnPropertyNames(Function.prototype).sort().join(','),
  };
  const probe = {} as Record<string, unknown>;
  if (now.object !== PROTO_SNAPSHOT.object || now.array !== PROTO_SNAPSHOT.array || now.fn !== PROTO_SNAPSHOT.fn) {
    throw new Error(`a built-in prototype changed: ${JSON.stringify(now)}`);
  }
  if (probe.polluted !== undefined || probe.isAdmin !== undefined) throw new Error('Object.prototype is polluted');
}

export class Tally {
  readonly byEndpoint = new Map<string, Figures>();

  private figures(endpoint: string): Figures {
    let f = this.byEndpoint.get(endpoint);
    if (!f) {
      f = { cases: 0, rejected4xx: 0, ok2xx: 0, server5xx: 0, crashes: 0, wrong: 0 };
      this.byEndpoint.set(endpoint, f);
    }
    return f;
  }

  /** Records the outcome and throws (for fast-check to shrink) when it is not acceptable. */
  check(endpoint: string, expectation: Expectation, res: RawResponse, describe: () => string, options: { bodyless?: boolean } = {}): void {
    const f = this.figures(endpoint);
    f.cases += 1;
    if (res.kind !== 'response') {
      f.crashes += 1;
      throw new Error(`no response (${res.reason}) for ${describe()}`);
    }
    if (res.status >= 500) {
      f.server5xx += 1;
      throw new Error(`${res.status} ${res.body.toString('utf8').slice(0, 300)} for ${describe()}`);
    }
    const problem = expectation === 'reject' ? rejectionProblem(res, options.bodyless) : okProblem(res, options.bodyless);
    if (problem) {
      f.wrong += 1;
      throw new Error(`${problem}: ${res.status} ${res.body.toString('utf8').slice(0, 300)} for ${describe()}`);
    }
    if (expectation === 'reject') f.rejected4xx += 1;
    else f.ok2xx += 1;
  }

  /** A crash found outside a response (the server stopped answering, an unhandled rejection). */
  crash(endpoint: string): void {
    this.figures(endpoint).crashes += 1;
  }

  total(): Figures {
    const total: Figures = { cases: 0, rejected4xx: 0, ok2xx: 0, server5xx: 0, crashes: 0, wrong: 0 };
    for (const f of this.byEndpoint.values()) for (const k of Object.keys(total) as Array<keyof Figures>) total[k] += f[k];
    return total;
  }

  /** For the combined table of `npm run test:hostile` (see figures-summary.ts). */
  save(name: string): void {
    const dir = process.env.HOSTILE_FIGURES_DIR;
    if (dir) writeFileSync(join(dir, `${name}.json`), JSON.stringify([...this.byEndpoint.entries()]));
  }

  table(title: string): string {
    const rows: Array<[string, Figures]> = [...this.byEndpoint.entries(), ['TOTAL', this.total()]];
    const header = ['endpoint', 'cases', '4xx', '2xx (legit)', '5xx', 'crashes', 'wrong'];
    const lines = rows.map(([e, f]) => [
      e,
      String(f.cases),
      String(f.rejected4xx),
      String(f.ok2xx),
      String(f.server5xx),
      String(f.crashes),
      String(f.wrong),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
    const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
    return [title, fmt(header), rule, ...lines.slice(0, -1).map(fmt), rule, fmt(lines.at(-1)!)].join('\n');
  }
}

function jsonBody(res: Extract<RawResponse, { kind: 'response' }>): Record<string, unknown> | string {
  if (!/^application\/json\b/i.test(res.headers['content-type'] ?? '')) return `not JSON (Content-Type ${res.headers['content-type'] ?? 'none'})`;
  try {
    const body = JSON.parse(res.body.toString('utf8')) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'JSON body is not an object';
    return body as Record<string, unknown>;
  } catch {
    return 'body is not valid JSON';
  }
}

function rejectionProblem(res: Extract<RawResponse, { kind: 'response' }>, bodyless = false): string | null {
  if (res.status < 400 || res.status > 499) return 'expected a 4xx';
  // HEAD: the same status and headers as the GET would have, no body.
  if (bodyless) return /^application\/json\b/i.test(res.headers['content-type'] ?? '') ? null : 'not JSON';
  const body = jsonBody(res);
  if (typeof body === 'string') return body;
  if (typeof body.error !== 'string' || !(ERROR_CODES as readonly string[]).includes(body.error)) return 'no stable error code';
  if (res.status === 400) {
    const issues = body.issues;
    const named =
      typeof body.message === 'string' ||
      body.error === 'invalid_json' ||
      (Array.isArray(issues) &&
        issues.length > 0 &&
        issues.every((i) => typeof i === 'object' && i !== null && typeof (i as { path?: unknown }).path === 'string' && typeof (i as { message?: unknown }).message === 'string'));
    if (!named) return 'a 400 that does not name the problem';
  }
  return null;
}

function okProblem(res: Extract<RawResponse, { kind: 'response' }>, bodyless = false): string | null {
  if (res.status < 200 || res.status > 299) return 'expected a 2xx';
  if (res.status === 204 || bodyless) return null;
  const body = jsonBody(res);
  return typeof body === 'string' && !/^text\/plain/.test(res.headers['content-type'] ?? '') ? body : null;
}
