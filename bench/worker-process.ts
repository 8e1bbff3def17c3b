/**
 * The bridge's production worker (src/runtime/bridge.ts `startWorkerHalf`, production adapters)
 * in a process of its own, for P4 of bench/report.ts: its memory is then the worker's alone.
 * Forked with an IPC channel; answers 'mem' with `process.memoryUsage()` after a full GC.
 *
 *   BENCH_WORKER_SPEC='{"temporalAddress":…}' node --import tsx --expose-gc bench/worker-process.ts
 */
import { NativeConnection } from '@temporalio/worker';
import { ConnectSource } from '../src/adapters/connect';
import { WhitelabelSource } from '../src/adapters/whitelabel';
import { ZendeskCrm } from '../src/adapters/zendesk';
import { createLogger } from '../src/observability/logger';
import { installTemporalRuntime } from '../src/observability/temporal-runtime';
import { startWorkerHalf } from '../src/runtime/bridge';
import { WORKFLOWS_PATH } from '../src/worker';
import { bundleWorkflows } from '../test/harness';

export interface BenchWorkerSpec {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  connect: { url: string; apiKey: string };
  zendesk: { apiUrl: string; email: string; apiToken: string };
  whitelabel: { url: string; apiKey: string };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_WORKER_SPEC ?? '') as BenchWorkerSpec;
  const logger = createLogger({ level: 'warn', base: { service: 'bench-worker' } });
  installTemporalRuntime({ logger, metricsAddress: null });
  const nativeConnection = await NativeConnection.connect({ address: spec.temporalAddress });
  const worker = await startWorkerHalf({
    nativeConnection,
    namespace: spec.namespace,
    taskQueue: spec.taskQueue,
    ports: {
      sources: {
        connect: new ConnectSource({ baseUrl: spec.connect.url, apiKey: spec.connect.apiKey }),
        whitelabel: new WhitelabelSource({ baseUrl: spec.whitelabel.url, apiKey: spec.whitelabel.apiKey }),
      },
      crm: new ZendeskCrm({ baseUrl: spec.zendesk.apiUrl, email: spec.zendesk.email, apiToken: spec.zendesk.apiToken }),
      assignees: {},
    },
    payloadEncryption: { mode: 'off' },
    logger,
    overrides: { workflowBundle: await bundleWorkflows(WORKFLOWS_PATH) },
  });
  process.on('message', (message) => {
    if (message === 'mem') {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      process.send!({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external });
    } else if (message === 'stop') {
      void worker
        .stop()
        .then(() => nativeConnection.close())
        .finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: true });
  await worker.done;
}

main().catch((err) => {
  process.stderr.write(`bench worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
