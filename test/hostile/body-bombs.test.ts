/**
 * Compressed "bombs" against the white-label webhook (issue 23, item 2): a few bytes of brotli,
 * gzip or deflate that inflate to 32 MiB each. Sixteen at once, unsigned or with a well-formed
 * but forged signature, must be refused without being inflated, and the API must go on serving.
 *
 * The API runs in a process of its own (support/door-target.ts) configured with the defaults,
 * so its memory is measured without the jest worker's noise: the peak resident set (`maxRSS`)
 * must not grow by more than a few MB. Before the fix it grew by hundreds of MB.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { brotliCompressSync, brotliDecompressSync, deflateSync, gunzipSync, gzipSync, inflateSync, constants as zlib } from 'node:zlib';
import { SEED_TICKET_CREATED } from '../../src/simulators/whitelabel/seed-events';
import { signatureHeaderValue } from '../../src/simulators/whitelabel/signing';
import { DOOR_TARGET_SECRETS } from './support/door-target';
import { rawRequest, type RawResponse } from './support/raw-http';

const ROOT = join(__dirname, '..', '..');
const INFLATED_BYTES = 32 * 1024 * 1024;
/** Peak RSS growth allowed for 32 bombs (32 × 32 MiB inflated = 1 GiB). */
const MAX_GROWTH_BYTES = 6 * 1024 * 1024;

interface Memory {
  rss: number;
  maxRss: number;
  heapUsed: number;
  arrayBuffers: number;
  signals: number;
}

class DoorTarget {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: Interface,
    readonly port: number,
  ) {}

  static async start(): Promise<DoorTarget> {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['test/hostile/support/door-target.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '--expose-gc' },
    });
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`door target exited (${code}): ${stderr.join('')}`)));
    });
    return new DoorTarget(child, lines, (JSON.parse(first) as { port: number }).port);
  }

  memory(): Promise<Memory> {
    const answer = new Promise<string>((resolve) => this.lines.once('line', resolve));
    this.child.stdin.write('memory\n');
    return answer.then((line) => JSON.parse(line) as Memory);
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

const zeros = Buffer.alloc(INFLATED_BYTES);
const BOMBS: Record<'br' | 'gzip' | 'deflate', Buffer> = {
  br: brotliCompressSync(zeros, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
  gzip: gzipSync(zeros, { level: 9 }),
  deflate: deflateSync(zeros, { level: 9 }),
};
const ENCODINGS = Object.keys(BOMBS) as Array<keyof typeof BOMBS>;

function sendBomb(port: number, encoding: keyof typeof BOMBS, signature: string | null): Promise<RawResponse> {
  const headers: Array<[string, string]> = [
    ['Content-Type', 'application/json'],
    ['Content-Encoding', encoding],
  ];
  if (signature !== null) headers.push(['X-Whitelabel-Signature', signature]);
  return rawRequest(port, { method: 'POST', target: '/webhooks/whitelabel', headers, body: BOMBS[encoding] }, 30_000);
}

/** A well-formed header with a fresh timestamp and a signature made without the secret. */
const forgedSignature = () => `t=${Math.floor(Date.now() / 1000)},s=${'ab'.repeat(32)}`;

describe('compressed bodies against POST /webhooks/whitelabel (API in its own process, default limits)', () => {
  let target: DoorTarget;
  beforeAll(async () => {
    target = await DoorTarget.start();
  }, 60_000);
  afterAll(() => target?.stop());

  it('the bombs are small and really inflate to 32 MiB', () => {
    expect(BOMBS.br.length).toBeLessThan(100);
    expect(BOMBS.gzip.length).toBeLessThan(64 * 1024);
    expect(BOMBS.deflate.length).toBeLessThan(64 * 1024);
    expect([brotliDecompressSync(BOMBS.br), gunzipSync(BOMBS.gzip), inflateSync(BOMBS.deflate)].map((b) => b.length)).toEqual(
      Array(3).fill(INFLATED_BYTES),
    );
  });

  it('refuses 16 parallel unsigned bombs and 16 with a forged signature without inflating them, and keeps serving', async () => {
    // Warm up the paths the bombs take (parsers, JSON error answers), so what follows is theirs.
    for (const encoding of ENCODINGS) await sendBomb(target.port, encoding, null);
    for (const encoding of ENCODINGS) await sendBomb(target.port, encoding, forgedSignature());
    const before = await target.memory();

    const unsigned = Array.from({ length: 16 }, (_, i) => sendBomb(target.port, ENCODINGS[i % 3]!, null));
    const forged = Array.from({ length: 16 }, (_, i) => sendBomb(target.port, ENCODINGS[i % 3]!, forgedSignature()));
    const answers = await Promise.all([...unsigned, ...forged]);
    const after = await target.memory();

    const growth = after.maxRss - before.maxRss;
    process.stderr.write(
      `[bombs] peak RSS ${(before.maxRss / 2 ** 20).toFixed(1)} → ${(after.maxRss / 2 ** 20).toFixed(1)} MiB; ` +
        `rss ${(before.rss / 2 ** 20).toFixed(1)} → ${(after.rss / 2 ** 20).toFixed(1)} MiB; ` +
        `array buffers ${(before.arrayBuffers / 2 ** 20).toFixed(1)} → ${(after.arrayBuffers / 2 ** 20).toFixed(1)} MiB\n`,
    );
    const summary = answers.map((a) => (a.kind === 'response' ? [a.status, JSON.parse(a.body.toString()).error] : [a.kind, a.reason]));
    // Unsigned: 401 before the body is read. Forged but well-formed: 415, the encoding refused
    // before the body is read (the signature cannot be checked without the body).
    expect(summary.slice(0, 16)).toEqual(Array(16).fill([401, 'unauthorized']));
    expect(summary.slice(16)).toEqual(Array(16).fill([415, 'unsupported_media_type']));

    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);

    // Still serving: a genuine event is accepted and reaches the gateway.
    const body = JSON.stringify({ ...SEED_TICKET_CREATED, data: { ticket: { ...SEED_TICKET_CREATED.data.ticket, updated_at: Math.floor(Date.now() / 1000) } } });
    const signature = signatureHeaderValue(DOOR_TARGET_SECRETS.whitelabel, body, Math.floor(Date.now() / 1000));
    const ok = await rawRequest(target.port, {
      method: 'POST',
      target: '/webhooks/whitelabel',
      headers: [
        ['Content-Type', 'application/json'],
        ['X-Whitelabel-Signature', signature],
      ],
      body,
    });
    expect(ok).toMatchObject({ kind: 'response', status: 202 });
    expect((await target.memory()).signals).toBe(before.signals + 1);
  }, 120_000);

  it('what a forged signature can still cost: 16 parallel 1 MB bodies stay within the 8 MB budget of bodies in flight', async () => {
    // A well-formed header with a fresh t passes the head checks; the signature can only be
    // checked once the body is read. The budget bounds how many such bodies are read at once.
    const body = Buffer.alloc(1024 * 1024 - 1, 'x');
    const before = await target.memory();
    const answers = await Promise.all(
      Array.from({ length: 16 }, () =>
        rawRequest(
          target.port,
          { method: 'POST', target: '/webhooks/whitelabel', headers: [['X-Whitelabel-Signature', forgedSignature()]], body },
          30_000,
        ),
      ),
    );
    const after = await target.memory();
    const statuses = answers.map((a) => (a.kind === 'response' ? a.status : a.reason));
    process.stderr.write(
      `[forged 1 MB bodies] ${statuses.filter((s) => s === 401).length} read and refused (401), ${statuses.filter((s) => s === 503).length} refused unread (503); ` +
        `peak RSS ${(before.maxRss / 2 ** 20).toFixed(1)} → ${(after.maxRss / 2 ** 20).toFixed(1)} MiB\n`,
    );
    for (const status of statuses) expect([401, 503]).toContain(status);
    // Each body read is held twice at most (its chunks, then one Buffer): 2 × 8 MB, plus slack.
    expect(after.maxRss - before.maxRss).toBeLessThan(24 * 1024 * 1024);
    expect(after.signals).toBe(before.signals);
  }, 120_000);
});
