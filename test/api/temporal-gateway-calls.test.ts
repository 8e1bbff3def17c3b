/**
 * What the gateway asks of the Temporal client, and how it reads the answers, with a recording
 * client. (temporal-gateway.test.ts proves the same calls land in a real Temporal.)
 */
import {
  type Client,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { TemporalUnavailableError } from '../../src/api/gateway';
import { createTemporalGateway } from '../../src/api/temporal-gateway';
import { crmChangedSignal, DEFAULT_WORKFLOW_SETTINGS, sourceChangedSignal, type SourceNotification } from '../../src/workflows/definitions';
import { TicketSourceKey, TicketStatusKey } from '../../src/workflows/search-attributes';
import { sampleState } from './helpers';

function recordingClient() {
  const deadlines: number[] = [];
  const calls = {
    signalWithStart: jest.fn(async (_type: string, _options: Record<string, unknown>) => ({})),
    signal: jest.fn(async (_workflowId: string, _def: unknown, _arg: unknown) => undefined),
    query: jest.fn(async (_workflowId: string, _def: unknown): Promise<unknown> => sampleState),
    list: jest.fn((_options: { query: string }): string[] => []),
    // A day, as cluster.sh and the dev server keep closed runs.
    describeNamespace: jest.fn(async (_request: { namespace: string }): Promise<unknown> => ({ config: { workflowExecutionRetentionTtl: { seconds: 86_400 } } })),
  };
  const client = {
    options: { namespace: 'ns' },
    workflowService: { describeNamespace: calls.describeNamespace },
    connection: {
      withDeadline: (deadline: number, fn: () => Promise<unknown>) => {
        deadlines.push(deadline - Date.now());
        return fn();
      },
      workflowService: { getSystemInfo: jest.fn(async () => ({})) },
    },
    workflow: {
      signalWithStart: calls.signalWithStart,
      getHandle: (workflowId: string) => ({
        signal: (def: unknown, arg: unknown) => calls.signal(workflowId, def, arg),
        query: (def: unknown) => calls.query(workflowId, def),
        describe: async () => ({ closeTime: new Date('2026-01-02T03:04:05.000Z') }),
      }),
      list: (options: { query: string }) =>
        (async function* () {
          for (const workflowId of calls.list(options)) yield { workflowId };
        })(),
    },
  };
  return { client: client as unknown as Client, calls, deadlines };
}

const notification: SourceNotification = { kind: 'created', eventId: null, receivedAt: '2026-01-01T00:00:00.000Z', snapshot: null };
const crmNotification = { crmTicketId: '35436', eventId: 'e1', receivedAt: '2026-01-01T00:00:00.000Z' };

describe('createTemporalGateway', () => {
  it('signal-with-starts the ticket workflow with id, queue, input, signal, search attributes and reuse policy', async () => {
    const { client, calls, deadlines } = recordingClient();
    const gateway = createTemporalGateway({
      client,
      taskQueue: 'tq',
      workflowSettings: { solvedAutoCloseAfterMs: 1000, reopenSourceStatus: 'OPEN' },
      rpcTimeoutMs: 1234,
    });
    await gateway.ready(); // Temporal answered: the namespace's retention is read (rules 1.7)
    await expect(gateway.notifySource('connect', '42', notification)).resolves.toEqual({ outcome: 'signalled', workflowId: 'ticket/connect/42' });
    expect(calls.signalWithStart).toHaveBeenCalledWith('ticketWorkflow', {
      workflowId: 'ticket/connect/42',
      taskQueue: 'tq',
      args: [{ source: 'connect', sourceTicketId: '42', settings: { ...DEFAULT_WORKFLOW_SETTINGS, solvedAutoCloseAfterMs: 1000, reopenSourceStatus: 'OPEN' }, noEarlierRun: true }],
      signal: sourceChangedSignal,
      signalArgs: [notification],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: TicketSourceKey, value: 'connect' },
        { key: TicketStatusKey, value: 'NEW' },
      ],
    });
    expect(deadlines.at(-1)).toBeGreaterThan(1000);
    expect(deadlines.at(-1)).toBeLessThanOrEqual(1234);
  });

  it('writes the default settings, in full, into the input when none are configured', async () => {
    const { client, calls } = recordingClient();
    const gateway = createTemporalGateway({ client, taskQueue: 'tq' });
    await gateway.ready();
    await gateway.notifySource('whitelabel', 'u-1', notification);
    expect(calls.signalWithStart.mock.calls[0]![1].args).toEqual([{ source: 'whitelabel', sourceTicketId: 'u-1', settings: DEFAULT_WORKFLOW_SETTINGS, noEarlierRun: true }]);
  });

  it('news for a completed ticket starts a new run that reads it first (afterEnd); a DELETE of it is ignored', async () => {
    const { client, calls } = recordingClient();
    const gateway = createTemporalGateway({ client, taskQueue: 'tq' });
    await gateway.ready();
    const started = () => new WorkflowExecutionAlreadyStartedError('done', 'ticket/connect/42', 'ticketWorkflow');
    calls.signalWithStart.mockRejectedValueOnce(started()).mockRejectedValueOnce(started());
    await expect(gateway.notifySource('connect', '42', notification)).resolves.toEqual({ outcome: 'signalled', workflowId: 'ticket/connect/42' });
    const [first, second, third] = calls.signalWithStart.mock.calls.map((c) => c[1]);
    expect(first).toMatchObject({ workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE });
    expect(second).toMatchObject({ workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY });
    expect((second!.args as unknown[])[0]).not.toHaveProperty('afterEnd');
    expect(third).toMatchObject({ workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE, signalArgs: [notification] });
    expect((third!.args as unknown[])[0]).toMatchObject({ source: 'connect', sourceTicketId: '42', afterEnd: { endedAt: '2026-01-02T03:04:05.000Z' } });
    expect((third!.args as unknown[])[0]).not.toHaveProperty('noEarlierRun');
  });

  it('news other than a CREATE, and any news through a gateway without freshCreates (the backfill), never claims noEarlierRun', async () => {
    const { client, calls } = recordingClient();
    await createTemporalGateway({ client, taskQueue: 'tq' }).notifySource('connect', '42', { ...notification, kind: 'updated' });
    await createTemporalGateway({ client, taskQueue: 'tq', freshCreates: false }).notifySource('connect', '43', notification);
    const starts = calls.signalWithStart.mock.calls.map((c) => c[1]);
    expect(starts.map((s) => s.workflowIdReusePolicy)).toEqual([WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY, WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY]);
    for (const start of starts) expect((start.args as unknown[])[0]).not.toHaveProperty('noEarlierRun');
  });

  it("claims noEarlierRun only where the namespace keeps closed runs two hours or more: read once, and again after a failed read", async () => {
    const short = recordingClient();
    short.calls.describeNamespace.mockResolvedValue({ config: { workflowExecutionRetentionTtl: { seconds: 3_600 } } });
    const hourly = createTemporalGateway({ client: short.client, taskQueue: 'tq' });
    await hourly.ready();
    await hourly.notifySource('connect', '1', notification);
    await hourly.notifySource('connect', '2', notification);
    expect(short.calls.signalWithStart.mock.calls.map((c) => c[1].workflowIdReusePolicy)).toEqual([
      WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    ]);
    expect(short.calls.describeNamespace.mock.calls).toEqual([[{ namespace: 'ns' }]]);

    const flaky = recordingClient();
    flaky.calls.describeNamespace.mockRejectedValueOnce(new ServiceError('unavailable'));
    const gateway = createTemporalGateway({ client: flaky.client, taskQueue: 'tq' });
    await gateway.ready();
    await expect(gateway.notifySource('connect', '3', notification)).resolves.toEqual({ outcome: 'signalled', workflowId: 'ticket/connect/3' });
    await gateway.notifySource('connect', '4', notification);
    const [first, second] = flaky.calls.signalWithStart.mock.calls.map((c) => c[1]);
    expect((first!.args as unknown[])[0]).not.toHaveProperty('noEarlierRun');
    expect((second!.args as unknown[])[0]).toMatchObject({ noEarlierRun: true });
    expect(flaky.calls.describeNamespace).toHaveBeenCalledTimes(2);
  });

  it('a CREATE waits for the retention read only a moment: a slow read means no claim for it, and the next CREATE has the answer', async () => {
    const { client, calls } = recordingClient();
    let answer: (value: unknown) => void = () => undefined;
    calls.describeNamespace.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
    const gateway = createTemporalGateway({ client, taskQueue: 'tq' });
    await gateway.ready();
    const started = Date.now();
    await gateway.notifySource('connect', '5', notification);
    expect(Date.now() - started).toBeLessThan(1_000); // not held until the read's own deadline
    answer({ config: { workflowExecutionRetentionTtl: { seconds: 86_400 } } });
    await gateway.notifySource('connect', '6', notification);
    const [first, second] = calls.signalWithStart.mock.calls.map((c) => c[1]);
    expect((first!.args as unknown[])[0]).not.toHaveProperty('noEarlierRun');
    expect((second!.args as unknown[])[0]).toMatchObject({ noEarlierRun: true });
    expect(calls.describeNamespace).toHaveBeenCalledTimes(1);
  });

  it('reads the retention only once Temporal has answered: never against one that is not there', async () => {
    const { client, calls } = recordingClient();
    const gateway = createTemporalGateway({ client, taskQueue: 'tq' });
    expect(calls.describeNamespace).not.toHaveBeenCalled();
    calls.signalWithStart.mockRejectedValueOnce(new ServiceError('unavailable'));
    await expect(gateway.notifySource('connect', '7', notification)).rejects.toThrow();
    expect(calls.describeNamespace).not.toHaveBeenCalled();
    // The first start that succeeds claims nothing yet, and has the retention read for the next.
    await gateway.notifySource('connect', '8', notification);
    await gateway.notifySource('connect', '9', notification);
    const [, first, second] = calls.signalWithStart.mock.calls.map((c) => c[1]);
    expect((first!.args as unknown[])[0]).not.toHaveProperty('noEarlierRun');
    expect((second!.args as unknown[])[0]).toMatchObject({ noEarlierRun: true });
    expect(calls.describeNamespace).toHaveBeenCalledTimes(1);
  });

  it('a failed or terminated run is restarted without noEarlierRun: its create looks for the copy the run before made', async () => {
    const { client, calls } = recordingClient();
    calls.signalWithStart.mockRejectedValueOnce(new WorkflowExecutionAlreadyStartedError('failed', 'ticket/connect/42', 'ticketWorkflow'));
    const gateway = createTemporalGateway({ client, taskQueue: 'tq' });
    await gateway.ready();
    await expect(gateway.notifySource('connect', '42', notification)).resolves.toEqual({
      outcome: 'signalled',
      workflowId: 'ticket/connect/42',
    });
    const [first, second] = calls.signalWithStart.mock.calls.map((c) => c[1]);
    expect(first).toMatchObject({ workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE });
    expect((first!.args as unknown[])[0]).toMatchObject({ noEarlierRun: true });
    expect(second).toMatchObject({ workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY, signalArgs: [notification] });
    expect((second!.args as unknown[])[0]).toStrictEqual({ source: 'connect', sourceTicketId: '42', settings: DEFAULT_WORKFLOW_SETTINGS });
    expect(calls.signalWithStart).toHaveBeenCalledTimes(2);
  });

  it('reports a DELETE of a completed workflow (start rejected by the reuse policy) as ignored', async () => {
    const { client, calls } = recordingClient();
    calls.signalWithStart.mockRejectedValueOnce(new WorkflowExecutionAlreadyStartedError('done', 'ticket/connect/42', 'ticketWorkflow'));
    await expect(createTemporalGateway({ client, taskQueue: 'tq' }).notifySource('connect', '42', { ...notification, kind: 'deleted' })).resolves.toEqual({
      outcome: 'ignored',
      workflowId: 'ticket/connect/42',
      reason: 'completed',
    });
  });

  it('turns service errors into TemporalUnavailableError and lets bugs through', async () => {
    const { client, calls } = recordingClient();
    const gateway = createTemporalGateway({ client, taskQueue: 'tq' });
    calls.signalWithStart.mockRejectedValueOnce(new ServiceError('unavailable'));
    await expect(gateway.notifySource('connect', '42', notification)).rejects.toBeInstanceOf(TemporalUnavailableError);
    calls.signalWithStart.mockRejectedValueOnce(new TypeError('bug'));
    await expect(gateway.notifySource('connect', '42', notification)).rejects.toBeInstanceOf(TypeError);
  });

  describe('notifyCrm', () => {
    it('signals the workflow named by the external id without a visibility lookup', async () => {
      const { client, calls } = recordingClient();
      const result = await createTemporalGateway({ client, taskQueue: 'tq' }).notifyCrm(crmNotification, 'connect:42');
      expect(result).toEqual({ outcome: 'signalled', workflowId: 'ticket/connect/42' });
      expect(calls.signal).toHaveBeenCalledWith('ticket/connect/42', crmChangedSignal, crmNotification);
      expect(calls.list).not.toHaveBeenCalled();
    });

    it('falls back to visibility on CrmTicketId for a missing or foreign external id', async () => {
      const { client, calls } = recordingClient();
      calls.list.mockReturnValue(['ticket/whitelabel/u-9']);
      const gateway = createTemporalGateway({ client, taskQueue: 'tq' });
      for (const externalId of [null, 'someone-else:7']) {
        await expect(gateway.notifyCrm(crmNotification, externalId)).resolves.toEqual({ outcome: 'signalled', workflowId: 'ticket/whitelabel/u-9' });
      }
      expect(calls.list).toHaveBeenCalledWith({ query: 'CrmTicketId = "35436"', pageSize: 1 });
    });

    it('ignores a CRM ticket no workflow owns, without signalling', async () => {
      const { client, calls } = recordingClient();
      await expect(createTemporalGateway({ client, taskQueue: 'tq' }).notifyCrm(crmNotification, null)).resolves.toEqual({
        outcome: 'ignored',
        reason: 'no-workflow',
      });
      expect(calls.signal).not.toHaveBeenCalled();
    });

    it('ignores a workflow that is no longer running', async () => {
      const { client, calls } = recordingClient();
      calls.signal.mockRejectedValueOnce(new WorkflowNotFoundError('completed', 'ticket/connect/42', undefined));
      await expect(createTemporalGateway({ client, taskQueue: 'tq' }).notifyCrm(crmNotification, 'connect:42')).resolves.toEqual({
        outcome: 'ignored',
        reason: 'not-running',
      });
    });
  });
});
