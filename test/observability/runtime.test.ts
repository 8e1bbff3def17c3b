/**
 * The bridge's Temporal runtime (src/observability/temporal-runtime.ts), as `npm start` and
 * `npm run worker` install it: the SDK's worker metrics scraped from their Prometheus endpoint and
 * parsed, and the workflow logger's and activity logger's lines arriving as the bridge's redacted
 * JSON lines, correlated by workflow id. `Runtime.install` is once per process and jest's process
 * already has the harness's runtime, so this runs in a child process (fixtures/runtime-child.ts).
 */
import { resolve } from 'node:path';
import { eventually } from '../harness/eventually';
import { parsePrometheus } from '../support/prometheus';
import { freePort, startReadyChild, type ReadyChild } from '../support/ready-child';

jest.setTimeout(90_000);

describe('Temporal runtime: worker metrics and SDK logs through pino (child process)', () => {
  type Ready = { metricsUrl: string; workflowId: string; result: string; failures: Record<string, string> };
  let child: ReadyChild<Ready>;
  let ready: Ready;
  const logLines = () =>
    child
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    child = await startReadyChild(resolve(__dirname, 'fixtures/runtime-child.ts'), [`127.0.0.1:${await freePort()}`]);
    ready = child.ready;
  });
  afterAll(() => child?.stop());

  it('ran a workflow with an activity', () => {
    expect(ready.result).toBe('hello 42');
  });

  it("serves the SDK's worker metrics in Prometheus format", async () => {
    const res = await fetch(ready.metricsUrl);
    expect(res.status).toBe(200);
    const metrics = parsePrometheus(await res.text());
    const names = new Set(metrics.samples.map((s) => s.name));
    // Counters end in _total (Prometheus convention).
    expect(metrics.types.temporal_workflow_completed_total).toBe('counter');
    expect(metrics.value('temporal_workflow_completed_total', { workflow_type: 'loggingWorkflow' })).toBeGreaterThanOrEqual(1);
    expect(metrics.types.temporal_activity_execution_latency).toBe('histogram');
    const activity = metrics.find('temporal_activity_execution_latency_count', { activity_type: 'greet' });
    expect(activity[0]?.value).toBeGreaterThanOrEqual(1);
    // Durations in seconds: the greeting took well under one.
    expect(metrics.find('temporal_activity_execution_latency_sum', { activity_type: 'greet' })[0]!.value).toBeLessThan(1);
    for (const name of ['temporal_workflow_task_execution_latency_bucket', 'temporal_workflow_task_schedule_to_start_latency_bucket', 'temporal_worker_task_slots_available', 'temporal_num_pollers', 'temporal_sticky_cache_size']) {
      expect(names).toContain(name);
    }
  });

  it('routes the workflow and activity loggers to pino, redacted, with the workflow id', async () => {
    const parse = () =>
      child
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    // pino writes to a pipe asynchronously: the lines may trail the ready marker.
    const lines = await eventually(() => {
      const parsed = parse();
      expect(parsed.map((l) => l.msg)).toEqual(expect.arrayContaining(['workflow says hello', 'activity says hello', 'workflow is done']));
      return parsed;
    });
    const hello = lines.find((l) => l.msg === 'workflow says hello');
    expect(hello).toMatchObject({
      level: 'info',
      service: 'runtime-child',
      sdkComponent: 'workflow',
      workflowId: ready.workflowId,
      workflowType: 'loggingWorkflow',
      ticket: '42',
      email: '[redacted]',
    });
    expect(lines.find((l) => l.msg === 'workflow is done')).toMatchObject({ level: 'warn', workflowId: ready.workflowId });
    expect(lines.find((l) => l.msg === 'activity says hello')).toMatchObject({
      sdkComponent: 'activity',
      workflowId: ready.workflowId,
      activityType: 'greet',
      name: '[redacted]',
    });
    expect(lines.find((l) => l.msg === 'activity says hello')).not.toHaveProperty('taskToken');
    expect(child.stdout()).not.toContain('jane@example.com');
    expect(child.stdout()).not.toContain('Jane Doe');
    // The SDK's own INFO chatter (worker state changes, bundle reports) stays out.
    expect(lines.filter((l) => l.sdkComponent === 'worker' && l.level === 'info')).toEqual([]);
  });

  it('logs an expected outcome (a write-conflict) as one calm line without a stack; a bug keeps its warning and stack', async () => {
    const conflictId = 'ticket/connect/runtime-conflicting';
    const brokenId = 'ticket/connect/runtime-broken';
    expect(ready.failures).toEqual({ [conflictId]: 'conflicting failed', [brokenId]: 'broken failed' });
    // pino writes to a pipe asynchronously: the lines may trail the ready marker.
    const lines = await eventually(() => {
      const parsed = logLines();
      expect(parsed.filter((l) => l.workflowId === brokenId).map((l) => l.msg)).toEqual(expect.arrayContaining(['Activity failed']));
      return parsed;
    });

    const conflict = lines.filter((l) => l.workflowId === conflictId);
    expect(conflict).toEqual([
      expect.objectContaining({ level: 'info', msg: 'activity attempt', outcome: 'failed', failureType: 'write-conflict', willRetry: false, service: 'zendesk', status: 409 }),
    ]);
    expect(JSON.stringify(conflict)).not.toMatch(/stack|\bat /);

    const broken = lines.filter((l) => l.workflowId === brokenId);
    expect(broken.find((l) => l.msg === 'activity attempt')).toMatchObject({ level: 'warn', outcome: 'failed', failureType: 'TypeError' });
    expect(broken.find((l) => l.msg === 'Activity failed')).toMatchObject({
      level: 'warn',
      error: { type: 'TypeError', stack: expect.stringMatching(/\n?\s*at /) },
    });
    expect(child.stdout()).not.toContain('jane@example.com');
  });
});
