/** Runs one family of hostile cases against the target and checks every answer. */
import fc from 'fast-check';
import { rawRequest, type RawRequest } from './raw-http';
import type { Target } from './target';
import { assertPrototypesClean, type Expectation, type Tally } from './verdict';

export interface HostileCase {
  request: RawRequest;
  /** 'reject': a 4xx JSON error naming the problem. 'ok': a legitimate 2xx. 'either': depends on HTTP parser rules (odd headers). */
  expect: Expectation | 'either';
}

/** fast-check's seed for reproduction: HOSTILE_SEED=<n> npm run test:hostile */
const seed = process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) : undefined;
/** Scale every family's run count (HOSTILE_SCALE=0.1 for a quick look, 5 for a long soak). */
export const SCALE = Number(process.env.HOSTILE_SCALE ?? '1');

export function describeRequest(r: RawRequest): string {
  const cut = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  if (r.rawBytes) return `raw ${JSON.stringify(cut(r.rawBytes.toString('latin1')))}`;
  const body = r.body === undefined ? '' : Buffer.isBuffer(r.body) ? r.body.toString('latin1') : r.body;
  const headers = (r.headers ?? []).map(([n, v]) => `${n}: ${cut(Buffer.isBuffer(v) ? v.toString('latin1') : v, 80)}`);
  return `${r.method} ${cut(r.target)} ${JSON.stringify(headers)} body=${JSON.stringify(cut(body))}`;
}

export async function attack<T>(
  target: Target,
  tally: Tally,
  endpoint: string,
  arbitrary: fc.Arbitrary<T>,
  toCase: (value: T) => HostileCase,
  numRuns: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      const { request, expect } = toCase(value);
      const callsBefore = target.totalCalls();
      const res = await rawRequest(target.port, request);
      const expectation: Expectation =
        expect !== 'either' ? expect : res.kind === 'response' && res.status >= 200 && res.status < 300 ? 'ok' : 'reject';
      tally.check(endpoint, expectation, res, () => describeRequest(request), { bodyless: request.method === 'HEAD' });
      assertPrototypesClean();
      if (target.totalCalls() !== callsBefore) {
        throw new Error(`the API started, signalled or updated a workflow for ${describeRequest(request)}`);
      }
      if (target.processErrors.length > 0) {
        tally.crash(endpoint);
        throw new Error(`unhandled error in the server process after ${describeRequest(request)}: ${String(target.processErrors[0])}`);
      }
    }),
    { numRuns: Math.max(1, Math.round(numRuns * SCALE)), seed, verbose: 0 },
  );
  if (!(await target.alive())) {
    tally.crash(endpoint);
    throw new Error(`the server stopped answering after the ${endpoint} cases`);
  }
}
