/**
 * The Temporal UI is the operators' view of the tickets: `npm start` prints its link, and every
 * ticket is a workflow there. This runs the real stack (`npm start`'s code path: the official dev
 * server with its UI, the sandbox), plays a ticket to SOLVED, and checks in a real browser
 * (headless Chromium) that an operator can find it by its TicketStatus search attribute and read
 * its memo, search attributes, `state` query and the pending SOLVED timer's summary.
 * Its screenshots go to a temporary directory; `UPDATE_SCREENSHOTS=1` refreshes the README's in
 * docs/images.
 *
 * Needs Chromium: `apt-get install -y chromium`, or CHROMIUM_PATH=/path/to/chrome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { eventually } from '../harness/eventually';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs', 'images') : join(tmpdir(), 'ticket-bridge-screenshots');
/** The summary ticketWorkflow gives its SOLVED timer (src/workflows/ticket-workflow.ts). */
const SOLVED_TIMER_SUMMARY = 'SOLVED auto-close (no confirmation from the user)';
/** The SPA renders after its API calls; one wait for any of them (a real server, a real browser). */
const UI_TIMEOUT_MS = 30_000;

/** A free port; with `plus`, one whose port+plus is free too (the dev server's UI is frontend+1000). */
async function freePort(plus = 0): Promise<number> {
  for (;;) {
    const port = await listenAndClose(0);
    if (plus === 0) return port;
    if (port + plus <= 65_535 && (await listenAndClose(port + plus).then(() => true, () => false))) return port;
  }
}

function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/** `npm start` as its own process, on fresh ports and a fresh data directory. */
class Stack {
  output = '';
  private constructor(
    readonly child: ChildProcess,
    readonly api: string,
    readonly opsToken: string,
  ) {}

  static async start(dataDir: string): Promise<{ stack: Stack; workflowsUrl: string }> {
    // Ports are picked free but can be taken before the process binds them: main.ts then exits
    // with 2 and says so; try other ports rather than fail on a neighbour's luck.
    for (let attempt = 1; ; attempt++) {
      const [port, devPort] = [await freePort(), await freePort(1000)];
      const opsToken = randomBytes(24).toString('hex');
      const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
        cwd: ROOT,
        env: {
          ...pick(process.env, ['PATH', 'HOME', 'TEMPORAL_CLI', 'TICKET_BRIDGE_CACHE', 'XDG_CACHE_HOME']),
          DATA_DIR: dataDir,
          PORT: String(port),
          TEMPORAL_DEV_PORT: String(devPort),
          WORKER_METRICS_ADDRESS: 'off',
          LOG_LEVEL: 'warn',
          OPS_API_TOKEN: opsToken,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stack = new Stack(child, `http://127.0.0.1:${port}`, opsToken);
      child.stdout!.on('data', (d) => (stack.output += String(d)));
      child.stderr!.on('data', (d) => (stack.output += String(d)));
      // The banner's last lines: the API, the sandbox and the Temporal UI are all up by then.
      const workflowsUrl = await stack.banner(120_000);
      if (workflowsUrl) return { stack, workflowsUrl };
      await stack.stop();
      if (!(/already in use/.test(stack.output) && attempt < 3)) {
        throw new Error(`npm start did not come up (exit ${stack.child.exitCode ?? stack.child.signalCode}):\n${stack.output.slice(-3000)}`);
      }
    }
  }

  /** The Temporal UI link printed last by main.ts, or null if the process exited or timed out first. */
  private async banner(timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    const banner = /Temporal UI \(every ticket is a workflow\):\s*\n\s*(\S+)/;
    while (Date.now() < deadline && this.child.exitCode === null && this.child.signalCode === null) {
      const url = banner.exec(this.output)?.[1];
      if (url) return url;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return null;
  }

  post(path: string, body: unknown): Promise<Response> {
    return fetch(`${this.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  async get<T>(path: string, auth = false): Promise<T> {
    const res = await fetch(`${this.api}${path}`, auth ? { headers: { authorization: `Bearer ${this.opsToken}` } } : {});
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** SIGINT, like Ctrl-C: main.ts stops the worker and then the dev server (its own process group). */
  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(kill);
  }
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] ? [[name, env[name]!]] : [])));
}

/** Waits until the locator is visible; the error names what an operator could not see. */
async function visible(locator: Locator, what: string, timeout = UI_TIMEOUT_MS): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout }).catch((err: Error) => {
    throw new Error(`not shown in the Temporal UI: ${what}\n${err.message}`);
  });
  return locator.first();
}

interface TicketDetails {
  workflowId: string;
  state: { status: string; crmTicketId: string | null; solvedTimerDeadline: string | null } | null;
}

describe('the Temporal UI shows a ticket legibly (real stack, headless Chromium)', () => {
  let dataDir = '';
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let workflowsUrl = '';
  let ticketId = '';
  let zendeskId = 0;

  beforeAll(async () => {
    // Missing Chromium is a failure, never a skip: this is the only test of the operators' UI.
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}. This test needs a real browser: \`apt-get install -y chromium\`, ` +
          `or set CHROMIUM_PATH to a Chrome/Chromium binary.`,
      );
    }
    browser = await chromium
      .launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
      .catch((err: Error) => {
        throw new Error(`Chromium at ${CHROMIUM} did not start (apt-get install -y chromium, or set CHROMIUM_PATH): ${err.message}`);
      });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

    dataDir = mkdtempSync(join(tmpdir(), 'ticket-bridge-ui-'));
    ({ stack, workflowsUrl } = await Stack.start(dataDir));

    // A ticket, an agent reply, a solve: SOLVED, with the auto-close timer pending for 72 h.
    const created = await stack.post('/sandbox/user/tickets', { title: 'Meter reading', description: 'It doubled overnight.' });
    expect(created.status).toBe(200);
    ({ ticketId } = (await created.json()) as { ticketId: string });
    zendeskId = await eventually(
      async () => {
        const view = await stack!.get<{ zendesk: { id: number } | null }>(`/sandbox/tickets/${ticketId}`);
        expect(view.zendesk).not.toBeNull();
        return view.zendesk!.id;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect((await stack.post(`/sandbox/agent/tickets/${zendeskId}/replies`, { body: 'Fixed: it was an estimate.' })).status).toBe(200);
    expect((await stack.post(`/sandbox/agent/tickets/${zendeskId}/status`, { status: 'solved' })).status).toBe(200);
    // The workflow itself (its `state` query, through the ops API) must say SOLVED with the timer set.
    await eventually(
      async () => {
        const details = await stack!.get<TicketDetails>(`/tickets/connect/${encodeURIComponent(ticketId)}`, true);
        expect(details.state).toMatchObject({ status: 'SOLVED', crmTicketId: String(zendeskId) });
        expect(details.state!.solvedTimerDeadline).not.toBeNull();
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }, 240_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const workflowId = () => `ticket/connect/${ticketId}`;

  /** Opens a workflow list and returns the ticket's link, reloading: visibility is eventually consistent. */
  async function listed(url: string, what: string): Promise<Locator> {
    await page.goto(url);
    const link = page.getByRole('link', { name: workflowId(), exact: true }).first();
    await eventually(
      () =>
        visible(link, `${workflowId()} in ${what}`, 10_000).catch(async (err: Error) => {
          await page.reload();
          throw err;
        }),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    return link;
  }

  // The tests run in order on one page: the first one opens the ticket's workflow page.
  test('the printed link lists the ticket, and a TicketStatus query finds it', async () => {
    // The banner's link (WorkflowType="ticketWorkflow"): what an operator clicks first.
    await listed(workflowsUrl, "the banner's workflow list");
    // Then the list an operator works from: by status.
    const byStatus = new URL(workflowsUrl);
    byStatus.searchParams.set('query', 'TicketStatus="SOLVED"');
    await (await listed(byStatus.toString(), 'the TicketStatus="SOLVED" list')).click();
    await page.waitForURL(/\/workflows\/ticket%2Fconnect%2F[^/]+\/[0-9a-f-]+\/history/, { timeout: UI_TIMEOUT_MS });
    await visible(page.getByRole('heading', { name: workflowId(), level: 1 }), 'the workflow id as the page heading');
  });

  test('history: the pending SOLVED timer shows its summary', async () => {
    // In the event history table (the Timer Started event) and on the timeline above it.
    await visible(page.getByRole('row', { name: new RegExp(`Timer Started.*${escape(SOLVED_TIMER_SUMMARY)}`) }), 'the Timer Started event with its summary');
    await visible(page.getByRole('button', { name: SOLVED_TIMER_SUMMARY }), 'the timer on the timeline, named by its summary');
    await page.screenshot({ path: screenshotPath('temporal-ui-ticket.png') });

    // User Metadata lists the events with a summary, here the still-pending timer.
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await visible(page.getByRole('main').getByText(SOLVED_TIMER_SUMMARY), 'the timer summary under User Metadata');
  });

  test('memo: ticket, CRM ticket and what waits, as plain text', async () => {
    await page.getByRole('tab', { name: 'Memo' }).click();
    await visible(page.getByRole('heading', { name: 'Memo' }), 'the Memo tab');
    // Decoded JSON, not base64 payloads: each field as a `"key": "value"` line.
    for (const line of [`"ticket": "connect ticket ${ticketId}"`, `"crmTicket": "zendesk ticket ${zendeskId}"`, `"parked": 0`]) {
      await visible(page.getByRole('main').getByText(line), `memo ${line}`);
    }
  });

  test('search attributes: TicketStatus, TicketSource, CrmTicketId, TicketFingerprints', async () => {
    await page.getByRole('tab', { name: 'Search Attributes' }).click();
    await visible(page.getByRole('heading', { name: 'Search Attributes' }), 'the Search Attributes tab');
    for (const line of ['"TicketStatus": "SOLVED"', '"TicketSource": "connect"', `"CrmTicketId": "${zendeskId}"`]) {
      await visible(page.getByRole('main').getByText(line), `search attribute ${line}`);
    }
    // Sync rules 1.6: what each side looked like at the last sync, as digests for the reconciler.
    await visible(page.getByRole('main').getByText(/"TicketFingerprints": "s:[0-9a-f]{8}:\d+ c:[0-9a-f]{8}:\d+"/), 'search attribute TicketFingerprints');
  });

  test('queries: the `state` query answers with the ticket state', async () => {
    await page.getByRole('tab', { name: 'Queries' }).click();
    // The query type is a dropdown (a button around a disabled "Query Type" textbox): pick `state`
    // explicitly rather than rely on it being the first in the list.
    const queryType = page.getByRole('button').filter({ has: page.getByRole('textbox', { name: 'Query Type' }) });
    await (await visible(queryType, 'the Query Type dropdown')).click();
    await (await visible(page.getByRole('option', { name: /^state\b/ }), 'the `state` query in the Query Type list')).click();
    await (await visible(page.getByRole('button', { name: /^(Run|Refresh) Query$/ }), 'the Run Query button')).click();
    const main = page.getByRole('main');
    for (const line of ['"status": "SOLVED"', `"sourceTicketId": "${ticketId}"`, `"crmTicketId": "${zendeskId}"`, '"solvedTimerDeadline": "']) {
      await visible(main.getByText(line), `the state query result ${line}`);
    }
    await page.screenshot({ path: screenshotPath('temporal-ui-state-query.png') });
  });
});

function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
