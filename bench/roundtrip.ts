/**
 * Benchmark (not a test): start → signal → activity → complete round trips through the real SDK
 * worker and client on the official Temporal dev server. The worker is started once, before timing.
 *
 *   npx tsx bench/roundtrip.ts [iterations=200] [--no-cache]
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflows, createTestEnv, startWorker } from '../test/harness';
import { goSignal } from './roundtrip-workflow';
import { percentile } from './runner';

const WARMUP = 10;

async function main(): Promise<void> {
  const iterations = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 200);
  const noCache = process.argv.includes('--no-cache');
  const env = await createTestEnv();
  const worker = await startWorker(env, {
    workflowBundle: await bundleWorkflows(require.resolve('./roundtrip-workflow')),
    activities: { process: async (value: string) => `processed ${value}` },
    ...(noCache ? { maxCachedWorkflows: 0 } : {}),
  });
  const once = async (): Promise<number> => {
    const started = performance.now();
    const handle = await env.client.workflow.start('roundtrip', { taskQueue: worker.taskQueue, workflowId: `bench-${randomUUID()}` });
    await handle.signal(goSignal, 'x');
    const result = await handle.result();
    if (result !== 'processed x') throw new Error(`unexpected result ${String(result)}`);
    return performance.now() - started;
  };
  try {
    for (let i = 0; i < WARMUP; i++) await once();
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) samples.push(await once());
    const sorted = [...samples].sort((a, b) => a - b);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const fmt = (ms: number) => ms.toFixed(1).padStart(8);
    process.stdout.write(
      [
        `start → signal → activity → complete, ${iterations} iterations (${WARMUP} warm-up excluded), ` +
          `worker cache ${noCache ? 'off (maxCachedWorkflows: 0)' : 'on'}`,
        '',
        '| metric | ms |',
        '|--------|---:|',
        `| median | ${fmt(percentile(sorted, 50))} |`,
        `| p95    | ${fmt(percentile(sorted, 95))} |`,
        `| mean   | ${fmt(mean)} |`,
        `| min    | ${fmt(sorted[0]!)} |`,
        `| max    | ${fmt(sorted[sorted.length - 1]!)} |`,
        '',
      ].join('\n'),
    );
  } finally {
    await worker.stop();
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
