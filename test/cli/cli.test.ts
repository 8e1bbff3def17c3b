/**
 * `npx ticket-bridge …` run as a process (bin/ticket-bridge.js) against a running ops API on
 * loopback (the real app, a fake gateway): arguments, tables, `--json`, exit codes, the token from
 * the environment. test/bridge/operate.test.ts runs it against the real bridge and Temporal.
 */
import type { TicketPage, TicketUpdate } from '../../src/api/gateway';
import { type BackendChoice, runCli } from '../../src/cli';
import { FakeGateway, OPS_TOKEN, type RunningApi, sampleDetails, sampleState, startApi } from '../api/helpers';
import { runBin } from '../support/cli';

jest.setTimeout(60_000);

const page: TicketPage = {
  tickets: [
    {
      workflowId: 'ticket/connect/42',
      source: 'connect',
      sourceTicketId: '42',
      status: 'OPEN',
      crmTicketId: '35436',
      executionStatus: 'RUNNING',
      startTime: '2026-01-01T09:30:00.000Z',
      closeTime: null,
      deletedByUser: false,
    },
    {
      workflowId: 'ticket/whitelabel/0b7e-11',
      source: 'whitelabel',
      sourceTicketId: '0b7e-11',
      status: 'CLOSED',
      crmTicketId: null,
      executionStatus: 'COMPLETED',
      startTime: '2026-01-01T08:00:00.000Z',
      closeTime: '2026-01-02T08:00:00.000Z',
      deletedByUser: false,
    },
    {
      workflowId: 'ticket/connect/43',
      source: 'connect',
      sourceTicketId: '43',
      status: 'CLOSED',
      crmTicketId: '35437',
      executionStatus: 'COMPLETED',
      startTime: '2026-01-01T07:00:00.000Z',
      closeTime: '2026-01-01T07:30:00.000Z',
      deletedByUser: true,
    },
  ],
  nextPageToken: null,
};

describe('ticket-bridge CLI as a process, against the ops API', () => {
  let api: RunningApi;
  let gateway: FakeGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    gateway = new FakeGateway();
    api = await startApi({ gateway });
    env = { OPS_API_URL: api.url, OPS_API_TOKEN: OPS_TOKEN };
  });
  afterAll(() => api.close());
  beforeEach(() => {
    gateway.listCalls.length = 0;
    gateway.updateCalls.length = 0;
  });

  it('list: a table, filters passed through', async () => {
    gateway.onListTickets = async () => page;
    const run = await runBin(['list', '--status', 'OPEN,CLOSED', '--source', 'connect,whitelabel'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WORKFLOW ID\s+STATUS\s+CRM TICKET\s+EXECUTION\s+STARTED\s+CLOSED$/);
    expect(lines[1]).toMatch(/^ticket\/connect\/42\s+OPEN\s+35436\s+RUNNING\s+2026-01-01 09:30:00Z\s+-$/);
    expect(lines[2]).toMatch(/^ticket\/whitelabel\/0b7e-11\s+CLOSED\s+-\s+COMPLETED\s+2026-01-01 08:00:00Z\s+2026-01-02 08:00:00Z$/);
    // A ticket the user deleted says so: CLOSED alone reads as resolved.
    expect(lines[3]).toMatch(/^ticket\/connect\/43\s+CLOSED — deleted by the user\s+35437\s+COMPLETED\s/);
    expect(gateway.listCalls).toEqual([{ statuses: ['OPEN', 'CLOSED'], sources: ['connect', 'whitelabel'], pageSize: 50 }]);
  });

  it('list --json --all: follows the page tokens', async () => {
    gateway.onListTickets = async (filter) =>
      filter.pageToken ? { tickets: [page.tickets[1]!], nextPageToken: null } : { tickets: [page.tickets[0]!], nextPageToken: 'next_1' };
    const run = await runBin(['list', '--all', '--json', '--page-size', '1'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ tickets: page.tickets.slice(0, 2), nextPageToken: null });
    expect(gateway.listCalls).toEqual([{ pageSize: 1 }, { pageSize: 1, pageToken: 'next_1' }]);
  });

  it('show: the ticket sheet with pending activities and the timeline', async () => {
    gateway.onDescribeTicket = async () => sampleDetails;
    const run = await runBin(['show', 'connect', '42'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ticket/connect/42');
    expect(run.stdout).toMatch(/Execution:\s+RUNNING/);
    expect(run.stdout).toMatch(/Status:\s+OPEN \(connect OPEN, Zendesk open\)/);
    // Each count says what it counts.
    expect(run.stdout).toMatch(/Heard:\s+\d+ notifications? \(webhooks from connect or Zendesk\), \d+ syncs? \(both sides read, differences written\)/);
    expect(run.stdout).toMatch(/Copied:\s+\d+ user comments? → Zendesk, \d+ agent repl(y|ies) → connect/);
    expect(run.stdout).toMatch(/Status set:\s+\d+ in Zendesk, \d+ in connect/);
    expect(run.stdout).toMatch(/addCrmComment\s+SCHEDULED\s+4\s+2026-01-01 00:01:00Z\s+-\s+server-error: zendesk POST \/tickets\/\{id\} answered 503/);
    expect(run.stdout).toMatch(/2026-01-01 00:00:01Z\s+synced\s+zendesk ticket created/);
    const json = await runBin(['show', 'connect', '42', '--json'], env);
    // The API says which helpdesk it writes to.
    expect(JSON.parse(json.stdout)).toEqual({ ...sampleDetails, helpdesk: 'zendesk' });
  });

  it('show: exit 3 when there is no such ticket', async () => {
    gateway.onDescribeTicket = async () => null;
    const run = await runBin(['show', 'connect', 'nope'], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('no workflow for connect ticket nope');
  });

  it('resync and close: the update and its result; exit 4 when the workflow refuses', async () => {
    gateway.onUpdateTicket = async () => ({ outcome: 'completed', workflowId: 'ticket/connect/42', updateId: 'u', state: { ...sampleState, status: 'CLOSED', completed: true } });
    const closed = await runBin(['close', 'connect', '42', '--reason', 'duplicate of 41'], env);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toMatch(/^close done: ticket\/connect\/42\nStatus:\s+CLOSED/);
    const resync = await runBin(['resync', 'connect', '42'], env);
    expect(resync.code).toBe(0);
    expect(gateway.updateCalls.map((c) => c.update)).toEqual<TicketUpdate[]>([
      { name: 'close', request: { reason: 'duplicate of 41' } },
      { name: 'resync', request: {} },
    ]);

    gateway.onUpdateTicket = async () => ({ outcome: 'rejected', workflowId: 'ticket/connect/42', message: 'the ticket is closed' });
    const refused = await runBin(['resync', 'connect', '42', '--reason', 'again'], env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('resync refused by ticket/connect/42: the ticket is closed');
  });

  it('pause and resume one ticket: the update with its reason; a refusal is exit 4 with the workflow\'s message', async () => {
    gateway.onUpdateTicket = async () => ({ outcome: 'completed', workflowId: 'ticket/connect/42', updateId: 'u', state: { ...sampleState, paused: { since: '2026-01-01T10:00:00.000Z', reason: 'migration' } } });
    const paused = await runBin(['pause', 'connect', '42', '--reason', 'migration'], env);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/^Paused:\s+since 2026-01-01 10:00:00Z: migration \(nothing is synced until resume\)$/m);
    gateway.onUpdateTicket = async () => ({ outcome: 'rejected', workflowId: 'ticket/connect/42', message: 'the ticket is not paused' });
    const refused = await runBin(['resume', 'connect', '42'], env);
    expect(refused).toMatchObject({ code: 4, stderr: 'ticket-bridge: resume refused by ticket/connect/42: the ticket is not paused\n' });
    expect(gateway.updateCalls.map((c) => c.update)).toEqual<TicketUpdate[]>([
      { name: 'pause', request: { reason: 'migration' } },
      { name: 'resume', request: {} },
    ]);
    // A pause needs a reason; a resume takes one.
    expect(await runBin(['pause', 'connect', '42'], env)).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason: is required') });
  });

  it('pause over a selection through the ops API: running tickets only, paced, a line each and a summary', async () => {
    gateway.onListTickets = async () => page;
    gateway.onUpdateTicket = async (_source, id) =>
      id === '42' ? { outcome: 'completed', workflowId: 'ticket/connect/42', updateId: 'u', state: sampleState } : { outcome: 'rejected', workflowId: `ticket/connect/${id}`, message: 'x' };
    const run = await runBin(['pause', '--status', 'OPEN,CLOSED', '--source', 'connect', '--reason', 'OPS-31'], env);
    expect(run).toMatchObject({ code: 0, stdout: 'pause: 1 ticket(s): paused 1, refused 0, no longer running 0, failed 0\n' });
    expect(run.stderr).toContain('[1/1] ticket/connect/42: paused');
    expect(gateway.listCalls).toEqual([{ statuses: ['OPEN', 'CLOSED'], sources: ['connect'], pageSize: 200 }]);
    expect(gateway.updateCalls.map((c) => c.update)).toEqual([{ name: 'pause', request: { reason: 'OPS-31' } }]);

    const dry = await runBin(['resume', '--status', 'OPEN', '--dry-run', '--json'], env);
    expect(JSON.parse(dry.stdout)).toMatchObject({ update: 'resume', dryRun: true, selected: 1, done: 1, tickets: [{ workflowId: 'ticket/connect/42', outcome: 'done' }] });
    expect(gateway.updateCalls).toHaveLength(1);
  });

  it('pause over a selection: bad combinations are refused before anything is asked', async () => {
    for (const [args, message] of [
      [['pause', '--reason', 'x'], 'pause takes <source> <ticketId>, or a selection'],
      [['pause', '--query', 'TicketStatus="OPEN"', '--reason', 'x'], '--query needs --temporal'],
      [['pause', '--query', 'a', '--status', 'OPEN', '--reason', 'x'], '--query, or --status/--source, not both'],
      [['pause', '--status', 'OPEN', '--reason', 'x', '--rate', '0'], '--rate: must be a number'],
      [['pause', '--status', 'BOGUS', '--reason', 'x'], '--status: must be one or more of'],
      [['pause', 'connect', '42', '--reason', 'x', '--dry-run'], '--dry-run does not go with pause'],
      [['resync', 'connect', '42', '--query', 'a'], '--query does not go with resync'],
    ] as const) {
      expect(await runBin([...args], env)).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    }
    expect(gateway.listCalls).toEqual([]);
    expect(gateway.updateCalls).toEqual([]);
  });

  it('exit 1 with a hint when the token is wrong or missing', async () => {
    const run = await runBin(['list'], { OPS_API_URL: api.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 401 unauthorized.*OPS_API_TOKEN/);
  });

  it('exit 1 when the API cannot be reached', async () => {
    const run = await runBin(['list', '--url', 'http://127.0.0.1:9'], { OPS_API_TOKEN: OPS_TOKEN });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach the ops API at http://127.0.0.1:9');
  });
});

describe('ticket-bridge CLI arguments (in process)', () => {
  async function run(args: string[], env: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    let connected = false;
    const code = await runCli(args, {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      env,
      backend: async () => {
        connected = true;
        throw new Error('no backend in these tests');
      },
    });
    return { code, stdout, stderr, connected };
  }

  it.each([
    [[], /a command is required/],
    [['frobnicate'], /unknown command: frobnicate/],
    [['list', '--bogus'], /Unknown option '--bogus'/],
    [['list', 'extra'], /list takes no arguments/],
    [['list', '--status', 'WAITING'], /--status: must be one or more of NEW, OPEN, PENDING, SOLVED, CLOSED/],
    [['list', '--page-size', '0'], /--page-size: must be an integer from 1 to 200/],
    [['show', 'connect'], /show takes <source> <ticketId>/],
    [['show', 'jira', '42'], /source: must be one of connect, whitelabel/],
    [['show', 'connect', 'a/b'], /ticketId: must be 1-128 letters/],
    [['close', 'connect', '42'], /--reason: is required/],
    [['resync', 'connect', '42', '--status', 'OPEN'], /--status does not go with resync/],
    [['list', '--url', 'http://x', '--temporal', 'localhost:7233'], /--url or --temporal, not both/],
    [['list', '--temporal', 'http://localhost:7233'], /--temporal: must be host:port/],
    [['list', '--namespace', 'x'], /--namespace goes with --temporal/],
  ])('%j: usage error (exit 2) before connecting anywhere', async (args, message) => {
    const result = await run(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.connected).toBe(false);
  });

  it('--help prints the usage', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: ticket-bridge <command>/);
    expect(result.stdout).toContain('Exit codes: 0 done, 1 failed, 2 usage, 3 no such ticket, 4 refused by the workflow.');
  });

  it('rejects PAYLOAD_KEYS it cannot use in --temporal mode', async () => {
    const result = await run(['list', '--temporal', '127.0.0.1:7233'], { PAYLOAD_KEYS: 'nonsense' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PAYLOAD_KEYS');
  });

  it('--temporal takes TLS and the API key from the bridge\'s variables, and refuses a half mTLS pair', async () => {
    const half = await run(['list', '--temporal', '127.0.0.1:7233'], { TEMPORAL_TLS_CERT_PATH: '/etc/ticket-bridge/client.pem' });
    expect(half).toMatchObject({ code: 2, connected: false });
    expect(half.stderr).toContain('TEMPORAL_TLS_KEY_PATH: is required when TEMPORAL_TLS_CERT_PATH is set');

    const apiKey = 'tmprl-api-key-0123456789abcdef';
    const choices: BackendChoice[] = [];
    let stderr = '';
    const code = await runCli(['list', '--temporal', 'acme.a1b2c.tmprl.cloud:7233', '--namespace', 'acme.a1b2c'], {
      stdout: () => {},
      stderr: (t) => void (stderr += t),
      env: { TEMPORAL_API_KEY: apiKey },
      backend: async (choice) => {
        choices.push(choice);
        throw new Error('no backend in these tests');
      },
    });
    expect(code).toBe(1);
    expect(choices).toEqual([
      expect.objectContaining({ kind: 'temporal', address: 'acme.a1b2c.tmprl.cloud:7233', namespace: 'acme.a1b2c', connection: { tls: {}, apiKey } }),
    ]);
    expect(stderr).not.toContain(apiKey);
  });
});
