/**
 * `npm start` in each configuration a new user may try. Every configured remote is used for real
 * (here: the simulators as separate HTTP servers, standing in for the real APIs), and the banner
 * says which parts are real and which simulated; a partial configuration is refused in a few
 * lines naming what is missing, never quietly turned into a sandbox. The refusals stop before
 * Temporal starts, so they are cheap; the two production boots play one ticket each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/runtime/dev-server';
import { ConnectSimulator } from '../../src/simulators/connect';
import { FreshdeskSimulator } from '../../src/simulators/freshdesk';
import { WhitelabelSimulator } from '../../src/simulators/whitelabel';
import { ZendeskSimulator } from '../../src/simulators/zendesk';
import { eventually } from '../harness';
import { runBin } from '../support/cli';
import { BANNER_PRINTED, bannerCommands, devServerPort, npmStart, ROOT, START_ARGS, stop, TEST_CODEC_AUTH_TOKEN, TEST_PAYLOAD_KEYS, type Started } from '../support/npm-start';
import { spawnSync } from 'node:child_process';

jest.setTimeout(240_000);

const OPS_TOKEN = 'ops-token-for-the-start-test-0123';
const CONNECT_TOKEN = 'connect-webhook-token-0123456789';
const ZENDESK_SECRET = 'zendesk-webhook-secret-0123456789';
const WHITELABEL_SECRET = 'whitelabel-webhook-secret-0123456789';
const BRIDGE_EMAIL = 'bridge@start-test.example';

const dataDirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticket-bridge-configs-'));
  dataDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm start` to its exit; it must refuse before starting anything. */
async function refusal(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const started = npmStart({ PORT: String(await freePort()), DATA_DIR: dataDir(), ...env });
  const code = await started.exited;
  return { code, output: started.output() };
}

const CONNECT = { CONNECT_API_URL: 'https://connect.example', CONNECT_API_KEY: 'connect-key', CONNECT_WEBHOOK_TOKEN: CONNECT_TOKEN };
const ZENDESK = {
  ZENDESK_API_URL: 'https://acme.zendesk.com/api/v2',
  ZENDESK_EMAIL: BRIDGE_EMAIL,
  ZENDESK_API_TOKEN: 'zendesk-token',
  ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET,
};
const WHITELABEL = { WHITELABEL_API_URL: 'https://api.whitelabel.example/v1', WHITELABEL_API_KEY: 'wl-key', WHITELABEL_WEBHOOK_SECRET: WHITELABEL_SECRET };
const PRODUCTION = { OPS_API_TOKEN: OPS_TOKEN, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, CODEC_AUTH_TOKEN: TEST_CODEC_AUTH_TOKEN };

describe('a partial configuration is refused, naming what is missing', () => {
  it.each([
    ['Connect without Zendesk', { ...CONNECT, ...PRODUCTION }, /^ {2}ZENDESK_API_URL: is required when CONNECT_API_URL is set: tickets go to Zendesk \(SANDBOX=1 simulates the sides not configured\)$/m, ['ZENDESK_API_URL', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN', 'ZENDESK_WEBHOOK_SECRET']],
    ['white-label without Zendesk', { ...WHITELABEL, ...PRODUCTION }, /^ {2}ZENDESK_API_URL: is required when WHITELABEL_API_URL is set/m, ['ZENDESK_API_URL', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN', 'ZENDESK_WEBHOOK_SECRET']],
    ['Zendesk without a source', { ...ZENDESK, ...PRODUCTION }, /^ {2}CONNECT_API_URL or WHITELABEL_API_URL: a ticket source is required when ZENDESK_API_URL is set/m, ['CONNECT_API_URL or WHITELABEL_API_URL']],
    ['a side without its URL', { ...ZENDESK, ...WHITELABEL, CONNECT_API_KEY: 'connect-key', ...PRODUCTION }, /^ {2}CONNECT_API_URL: is required when CONNECT_API_KEY is set/m, ['CONNECT_API_URL']],
    ['a side without its credentials', { ...ZENDESK, WHITELABEL_API_URL: 'https://api.whitelabel.example/v1', ...PRODUCTION }, /^ {2}WHITELABEL_API_KEY: is required when WHITELABEL_API_URL is set$/m, ['WHITELABEL_API_KEY', 'WHITELABEL_WEBHOOK_SECRET']],
    ['no ops token or payload keys', { ...CONNECT, ...ZENDESK }, /^ {2}OPS_API_TOKEN: is required when/m, ['OPS_API_TOKEN', 'PAYLOAD_KEYS']],
    ['SANDBOX=0 and nothing configured', { SANDBOX: '0' }, /^ {2}SANDBOX: is off but no remote is configured/m, ['SANDBOX']],
    ['a bad payload key', { PAYLOAD_KEYS: 'k1:c2hvcnQ=' }, /^ {2}PAYLOAD_KEYS: key "k1" must decode to 32 bytes/m, ['PAYLOAD_KEYS']],
  ])('%s', async (_case, env, message, variables) => {
    const { code, output } = await refusal(env);
    expect(code).toBe(2);
    expect(output).toMatch(/^Invalid configuration:\n/);
    expect(output).toMatch(message);
    expect(output.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(': ')[0])).toEqual(variables);
    expect(output).not.toMatch(/Sandbox|simulated|\n\s+at /);
  });
});

describe('other start-up failures say so in one line', () => {
  it('the worker metrics port in use (WORKER_METRICS_ADDRESS)', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const dir = dataDir();
      const { code, output } = await refusal({ WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`, DATA_DIR: dir });
      expect(code).toBe(2);
      expect(output.trim().split('\n')).toEqual([
        `ticket-bridge: port ${port} (worker metrics, WORKER_METRICS_ADDRESS) is already in use. Is another \`npm start\` running? ` +
          `Stop it, or choose other ports (PORT, TEMPORAL_DEV_PORT, WORKER_METRICS_ADDRESS) and a DATA_DIR of its own (this one's: ${dir}), ` +
          'or use a running Temporal with TEMPORAL_ADDRESS.',
      ]);
    } finally {
      taken.close();
    }
  });

  it('a warning logged before a refusal comes before its fatal line, the last one (one stream, as a terminal shows them)', async () => {
    // The default worker metrics address taken (a second npm start meets the first one's): a
    // warning, and the start goes on; the Temporal dev server's port taken: the refusal.
    const metrics = createServer().listen(9464, '127.0.0.1');
    await new Promise((resolve) => metrics.once('listening', resolve).once('error', resolve));
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    const devPort = (taken.address() as { port: number }).port;
    try {
      const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, PORT: String(await freePort()), DATA_DIR: dataDir(), TEMPORAL_DEV_PORT: String(devPort) };
      // stdout and stderr into one pipe: the order they were written in is the order read.
      const run = spawnSync('sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, ...START_ARGS], { cwd: ROOT, env, encoding: 'utf8' });
      expect(run.status).toBe(2);
      const lines = run.stdout.trim().split('\n');
      const warning = lines.findIndex((l) => l.includes('worker metrics disabled'));
      expect(warning).toBeGreaterThanOrEqual(0);
      expect(lines.at(-1)).toMatch(new RegExp(`^ticket-bridge: port ${devPort} \\(Temporal frontend\\) is already in use\\.`));
      expect(lines.slice(warning + 1, -1).some((l) => l.startsWith('ticket-bridge:'))).toBe(false);
    } finally {
      taken.close();
      metrics.close();
    }
  });

  it('Temporal unreachable at TEMPORAL_ADDRESS', async () => {
    const { code, output } = await refusal({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    expect(code).toBe(1);
    const lines = output.trim().split('\n').filter((l) => !/PAYLOAD ENCRYPTION OFF/.test(l));
    expect(lines).toEqual([expect.stringMatching(/^ticket-bridge: Temporal at 127\.0\.0\.1:\d+ \(TEMPORAL_ADDRESS\) cannot be reached \(.+\)\. Is it running there\?/)]);
  });
});

describe('a production configuration uses every configured remote, for real', () => {
  let started: Started | undefined;
  afterEach(async () => {
    await stop(started);
    started = undefined;
  });

  /** Starts the bridge against `env` and waits for its banner; the API's URL. */
  async function start(env: Record<string, string>): Promise<string> {
    const port = await freePort();
    started = npmStart({ PORT: String(port), DATA_DIR: dataDir(), TEMPORAL_DEV_PORT: String(await devServerPort()), ...PRODUCTION, ...env });
    await eventually(() => expect(started!.output()).toMatch(BANNER_PRINTED), { timeoutMs: 120_000, intervalMs: 200 });
    return `http://127.0.0.1:${port}`;
  }

  /** The banner's commands, pasted: `export OPS_API_URL=…` then `npx ticket-bridge list`, with the token in the shell. */
  function pasteBanner(): void {
    const commands = bannerCommands(started!.stdout());
    expect(commands).toEqual([expect.stringMatching(/^export OPS_API_URL=http:\/\/127\.0\.0\.1:\d+ {4}# and OPS_API_TOKEN/), 'npx ticket-bridge list']);
    const shell = spawnSync('bash', ['-c', commands.join('\n')], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, OPS_API_TOKEN: OPS_TOKEN }, encoding: 'utf8' });
    expect({ status: shell.status, stderr: shell.stderr }).toEqual({ status: 0, stderr: '' });
    expect(shell.stdout).toMatch(/^WORKFLOW ID/);
  }

  /** What every production banner says: no sandbox, and a token it never prints. */
  function expectProductionBanner(): void {
    const stdout = started!.stdout();
    expect(stdout).not.toMatch(/sandbox|simulated|quick tour/i);
    expect(stdout).not.toContain(OPS_TOKEN);
    expect(stdout).toMatch(/Temporal UI \(every ticket is a workflow\):/);
  }

  it('Connect + Zendesk', async () => {
    const connect = await ConnectSimulator.start({ apiKey: 'connect-key' });
    const zendesk = await ZendeskSimulator.start({ bridgeEmail: BRIDGE_EMAIL, apiToken: 'zendesk-token', webhookSecret: ZENDESK_SECRET });
    try {
      const api = await start({
        ...CONNECT,
        CONNECT_API_URL: connect.url,
        ...ZENDESK,
        ZENDESK_API_URL: zendesk.apiUrl,
      });
      expectProductionBanner();
      expect(started!.stdout()).toMatch(new RegExp(`Connect API\\s+real: ${connect.url.replace(/\./g, '\\.')}\\n`));
      expect(started!.stdout()).toMatch(new RegExp(`Zendesk\\s+real: ${zendesk.apiUrl.replace(/\./g, '\\.')}\\n`));
      expect(started!.stdout()).toMatch(/white-label platform\s+not configured\n/);
      // No play routes without simulators.
      expect((await fetch(`${api}/sandbox/tickets/T-1001`)).status).toBe(404);

      connect.webhookUrl = `${api}/webhooks/connect?auth_token=${CONNECT_TOKEN}`;
      zendesk.webhookUrl = `${api}/webhooks/zendesk`;
      const { ticket } = await connect.userCreatesTicket({ title: 'Meter', description: 'Doubled overnight.' });
      const zd = await eventually(() => {
        const found = zendesk.ticketByExternalId(`connect:${ticket.id}`);
        expect(found).toBeDefined();
        return found!;
      }, { timeoutMs: 30_000 });
      await zendesk.agentReplies(zd.id, 'We are on it.');
      await eventually(() => expect(connect.ticket(ticket.id)!.comments.map((c) => c.message)).toEqual(['We are on it.']), { timeoutMs: 30_000 });
      pasteBanner();
      const shown = await runBin(['show', 'connect', ticket.id], { OPS_API_URL: api, OPS_API_TOKEN: OPS_TOKEN });
      expect(shown).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Copied: +\d+ user comments? → Zendesk, 1 agent reply → connect$/m) });
    } finally {
      await connect.stop();
      await zendesk.stop();
    }
  });

  it('Connect + Freshdesk (CRM inferred from FRESHDESK_URL)', async () => {
    const connect = await ConnectSimulator.start({ apiKey: 'connect-key' });
    const freshdesk = await FreshdeskSimulator.start({ apiKey: 'freshdesk-key' });
    const token = 'freshdesk-webhook-token-0123456789';
    try {
      const api = await start({
        ...CONNECT,
        CONNECT_API_URL: connect.url,
        FRESHDESK_URL: freshdesk.apiUrl,
        FRESHDESK_API_KEY: 'freshdesk-key',
        FRESHDESK_WEBHOOK_TOKEN: token,
        FRESHDESK_EXTERNAL_ID_FIELD: freshdesk.externalIdField,
      });
      expectProductionBanner();
      expect(started!.stdout()).toMatch(new RegExp(`Freshdesk\\s+real: ${freshdesk.apiUrl.replace(/\./g, '\\.')}\\n`));
      expect(started!.stdout()).not.toMatch(/Zendesk/);
      expect(started!.stdout()).not.toContain(token);
      // Only the helpdesk in use has a door.
      expect((await fetch(`${api}/webhooks/zendesk`, { method: 'POST' })).status).toBe(404);

      connect.webhookUrl = `${api}/webhooks/connect?auth_token=${CONNECT_TOKEN}`;
      freshdesk.webhookUrl = `${api}/webhooks/freshdesk?token=${token}`;
      const { ticket } = await connect.userCreatesTicket({ title: 'Meter', description: 'Doubled overnight.' });
      const fd = await eventually(() => {
        const found = freshdesk.ticketByExternalId(`connect:${ticket.id}`);
        expect(found).toBeDefined();
        return found!;
      }, { timeoutMs: 30_000 });
      const { webhooks } = await freshdesk.agentReplies(fd.id, 'We are on it.');
      expect(webhooks.map((w) => w.status)).toEqual([202]);
      await eventually(() => expect(connect.ticket(ticket.id)!.comments.map((c) => c.message)).toEqual(['We are on it.']), { timeoutMs: 30_000 });
      pasteBanner();
      const shown = await runBin(['show', 'connect', ticket.id], { OPS_API_URL: api, OPS_API_TOKEN: OPS_TOKEN });
      expect(shown).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Freshdesk: +ticket \d+$/m) });
      expect(shown.stdout).toMatch(/^Copied: +\d+ user comments? → Freshdesk, 1 agent reply → connect$/m);
      // The timeline names the helpdesk in use (the workflow's crmName, from CRM), never another.
      expect(shown.stdout).toMatch(new RegExp(`Freshdesk ticket ${fd.id} created`));
      expect(shown.stdout).not.toMatch(/zendesk/i);
    } finally {
      await connect.stop();
      await freshdesk.stop();
    }
  });

  it('white-label + Zendesk, without Connect', async () => {
    const whitelabel = await WhitelabelSimulator.start({ apiKey: 'wl-key', signing: { secret: WHITELABEL_SECRET } });
    const zendesk = await ZendeskSimulator.start({ bridgeEmail: BRIDGE_EMAIL, apiToken: 'zendesk-token', webhookSecret: ZENDESK_SECRET });
    try {
      const api = await start({ ...WHITELABEL, WHITELABEL_API_URL: whitelabel.url, ...ZENDESK, ZENDESK_API_URL: zendesk.apiUrl });
      expectProductionBanner();
      expect(started!.stdout()).toMatch(/Connect API\s+not configured\n/);
      expect(started!.stdout()).toMatch(new RegExp(`white-label platform\\s+real: ${whitelabel.url.replace(/\./g, '\\.')}\\n`));
      expect(started!.stdout()).toMatch(/Zendesk\s+real: /);

      whitelabel.webhookUrl = `${api}/webhooks/whitelabel`;
      zendesk.webhookUrl = `${api}/webhooks/zendesk`;
      const { ticket, webhooks } = await whitelabel.clientCreatesTicket({ title: 'Billing', text: 'My invoice is wrong.' });
      expect(webhooks.map((w) => w.status)).toEqual([202]);
      const zd = await eventually(() => {
        const found = zendesk.ticketByExternalId(`whitelabel:${ticket.id}`);
        expect(found).toBeDefined();
        return found!;
      }, { timeoutMs: 30_000 });
      await zendesk.agentReplies(zd.id, 'A corrected invoice is on its way.');
      await eventually(() => expect(whitelabel.ticket(ticket.id)!.replies.map((r) => r.text)).toContain('A corrected invoice is on its way.'), { timeoutMs: 30_000 });
      pasteBanner();
    } finally {
      await whitelabel.stop();
      await zendesk.stop();
    }
  });
});
