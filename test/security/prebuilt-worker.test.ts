/**
 * The production worker runs workflow code bundled at build time (issue 23): the compiled
 * worker, started as the Docker image starts it (`node dist/src/worker-main.js`), loads the
 * bundle `npm run build` wrote and never calls webpack. Proven with webpack made to throw when
 * called (support/no-bundling.js): the same worker without its bundle fails to start.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { temporal } from '@temporalio/proto';
import { RECONCILER_WORKFLOW_ID } from '../../src/workflows/reconciler';
import { createTestEnv, eventually, type TestEnv } from '../harness';
import { payloadKeysEnv } from './keys';

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '../..');
/**
 * Compiled like `npm run build` does, but elsewhere: inside node_modules' cache, so that the
 * compiled files resolve their dependencies the way dist/ does, and a developer's dist/ is untouched.
 */
const OUT = join(ROOT, 'node_modules', '.cache', `ticket-bridge-build-test-${process.pid}`);
const BUNDLES = join(OUT, 'src', 'workflow-bundles');
const NO_BUNDLING = join(__dirname, 'support', 'no-bundling.js');

interface Started {
  child: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
}

function startCompiledWorker(env: TestEnv, taskQueue: string): Started {
  const child = spawn(process.execPath, ['--require', NO_BUNDLING, join(OUT, 'src', 'worker-main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      // Real remotes in name only: nothing here makes the worker call them.
      CONNECT_API_URL: 'https://connect.invalid',
      CONNECT_API_KEY: 'connect-api-key-value',
      CONNECT_WEBHOOK_TOKEN: 'connect-webhook-token-value',
      ZENDESK_API_URL: 'https://acme.zendesk.invalid/api/v2',
      ZENDESK_EMAIL: 'bridge@acme.example',
      ZENDESK_API_TOKEN: 'zendesk-api-token-value',
      ZENDESK_WEBHOOK_SECRET: 'zendesk-webhook-secret-value',
      OPS_API_TOKEN: 'ops-api-token-value-0123',
      PAYLOAD_KEYS: payloadKeysEnv('build-test'),
      CODEC_AUTH_TOKEN: 'codec-auth-token-value-0123',
      WORKER_METRICS_ADDRESS: 'off',
      RECONCILE_INTERVAL: '1h',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, lines, exit };
}

async function stop(started: Started): Promise<void> {
  if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGTERM');
  await started.exit;
}

describe('the compiled worker with its prebuilt workflow bundle', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
    // `npm run build`: tsc, then `npm run build:workflows` (node dist/src/build-workflows-main.js).
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', OUT], { cwd: ROOT, stdio: 'pipe' });
    execFileSync(process.execPath, [join(OUT, 'src', 'build-workflows-main.js')], { cwd: ROOT, stdio: 'pipe' });
  });
  afterAll(async () => {
    await env?.teardown();
    rmSync(OUT, { recursive: true, force: true });
  });

  test('the build writes one bundle per encryption mode; only the encrypted one carries the encoding failure converter', () => {
    const required = readFileSync(join(BUNDLES, 'required.js'), 'utf8');
    const off = readFileSync(join(BUNDLES, 'off.js'), 'utf8');
    expect(required).toMatch(/encodeCommonAttributes:\s*true/);
    expect(off).not.toMatch(/encodeCommonAttributes:\s*true/);
  });

  test('runs workflow code from the bundle without calling webpack', async () => {
    const worker = startCompiledWorker(env, `build-test-${randomUUID()}`);
    try {
      await eventually(
        () => {
          if (worker.child.exitCode !== null) throw new Error(`worker exited ${worker.child.exitCode}:\n${worker.lines.join('\n')}`);
          const messages = worker.lines.flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as { msg?: string; path?: string }] : []));
          expect(messages).toContainEqual(expect.objectContaining({ msg: 'workflow code: prebuilt bundle', path: realpathSync(join(BUNDLES, 'required.js')) }));
          expect(messages).toContainEqual(expect.objectContaining({ msg: 'worker running' }));
        },
        { timeoutMs: 60_000 },
      );
      // The reconciler workflow the worker starts has completed a workflow task: its code ran,
      // from the bundle (webpack throws in this process).
      await eventually(
        async () => {
          const { history } = await env.client.workflowService.getWorkflowExecutionHistory({
            namespace: env.namespace,
            execution: { workflowId: RECONCILER_WORKFLOW_ID },
          });
          const types = (history?.events ?? []).map((e) => e.eventType);
          expect(types).toContain(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
        },
        { timeoutMs: 60_000 },
      );
      expect(worker.lines.join('\n')).not.toContain('no-bundling');
    } finally {
      await stop(worker);
    }
  });

  test('control: without the bundle the same worker would bundle at start, and webpack refuses here', async () => {
    const hidden = join(OUT, 'hidden-bundles');
    mkdirSync(hidden, { recursive: true });
    renameSync(join(BUNDLES, 'required.js'), join(hidden, 'required.js'));
    try {
      const worker = startCompiledWorker(env, `build-test-${randomUUID()}`);
      const code = await worker.exit;
      expect(code).not.toBe(0);
      expect(worker.lines.join('\n')).toContain('no-bundling: webpack was called to bundle workflow code at worker start');
      expect(worker.lines.join('\n')).toContain('no prebuilt bundle');
    } finally {
      renameSync(join(hidden, 'required.js'), join(BUNDLES, 'required.js'));
    }
    expect(existsSync(join(BUNDLES, 'required.js'))).toBe(true);
  });
});
