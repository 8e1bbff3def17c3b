/**
 * The raw engine's worker for P6 of bench/report.ts, in a process of its own so that its CPU is
 * its alone: the round-trip workflows (bench/roundtrip-workflow.ts) and one activity that waits
 * as long as a remote's request takes. Forked with an IPC channel, like bench/worker-process.ts.
 *
 *   BENCH_RAW_WORKER_SPEC='{"temporalAddress":…}' node --import tsx bench/raw-worker-process.ts
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../test/harness';

export interface RawWorkerSpec {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** How long the activity takes: a remote's latency. */
  activityMs: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_RAW_WORKER_SPEC ?? '') as RawWorkerSpec;
  const connection = await NativeConnection.connect({ address: spec.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: spec.namespace,
    taskQueue: spec.taskQueue,
    workflowBundle: await bundleWorkflows(require.resolve('./roundtrip-workflow')),
    activities: { process: (value: string) => new Promise<string>((resolve) => setTimeout(() => resolve(`processed ${value}`), spec.activityMs)) },
  });
  process.on('message', (message) => {
    if (message === 'stop') {
      worker.shutdown();
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: true });
  await worker.run();
  await connection.close();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`bench raw worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
