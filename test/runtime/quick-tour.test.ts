/**
 * The banner of a new sandbox is a working quick tour: every command it prints, pasted in order
 * into one shell in the project's directory, succeeds (curl gets a 2xx, the CLI exits 0), and the
 * bridge does its part meanwhile. The README shows the same tour (Zendesk's). The same tour, in
 * Freshdesk's words, runs on a sandbox started with `CRM=freshdesk`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/runtime/dev-server';
import type { CrmKind } from '../../src/config/freshdesk';
import { HELPDESK_TERMS } from '../../src/sandbox/helpdesk';
import { README_TOUR_IDS, renderTour, tourSections } from '../../src/sandbox/tour';
import { SANDBOX_TEAMMATE_ID } from '../../src/sandbox/whitelabel';
import { eventually } from '../harness';
import { BANNER_PRINTED, bannerCommands, devServerPort, npmStart, ROOT, stop, type Started } from '../support/npm-start';

jest.setTimeout(240_000);

const ALL_SIMULATED = { connect: true, helpdesk: true, whitelabel: true };

/**
 * What differs between the helpdesks, as a person reading the check lines sees it: the start's
 * environment, the banner's row, and the helpdesk side of the "both sides" views.
 */
const HELPDESKS: Array<{ kind: CrmKind; env: Record<string, string>; row: RegExp; messages: (side: any) => Array<{ author: string; public: boolean; body: string }> }> = [
  { kind: 'zendesk', env: {}, row: /Zendesk\s+simulated in this process \(sandbox\)/, messages: (side) => side.comments },
  {
    kind: 'freshdesk',
    env: { CRM: 'freshdesk' },
    row: /Freshdesk\s+simulated in this process \(sandbox\)/,
    messages: (side) => [{ ...side.description, public: true }, ...side.conversations],
  },
];

/** Runs `commands` one after the other in one bash, as pasted; each one's exit code and output. */
function paste(commands: readonly string[]): Promise<Array<{ command: string; code: number; output: string }>> {
  const marker = '__ticket_bridge_exit_code__';
  const script = [
    // What pasting checks by eye: any HTTP error status fails the command (and still shows the body).
    'curl() { command curl --fail-with-body "$@"; }',
    ...commands.flatMap((command) => [command, `echo "${marker}$?"`]),
  ].join('\n');
  return new Promise((resolve, reject) => {
    const shell = spawn('bash', ['-c', script], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME! }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    shell.stdout.on('data', (d) => (output += String(d)));
    shell.stderr.on('data', (d) => (output += String(d)));
    shell.on('error', reject);
    shell.on('exit', () => {
      const parts = output.split(new RegExp(`${marker}(\\d+)\\n`));
      resolve(commands.map((command, i) => ({ command, output: parts[i * 2] ?? '', code: Number(parts[i * 2 + 1] ?? -1) })));
    });
  });
}

describe.each(HELPDESKS)('the quick tour on $kind', ({ kind, env, row, messages }) => {
  const helpdesk = HELPDESK_TERMS[kind];
  const dataDir = mkdtempSync(join(tmpdir(), 'ticket-bridge-tour-'));
  let started: Started | undefined;
  let api = '';
  /** The pasted tour's commands with their output, in order (the second test pastes it). */
  let runs: Awaited<ReturnType<typeof paste>> = [];

  beforeAll(async () => {
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    started = npmStart({ ...env, PORT: String(port), DATA_DIR: dataDir, TEMPORAL_DEV_PORT: String(await devServerPort()) });
    await eventually(() => expect(started!.stdout()).toMatch(BANNER_PRINTED), { timeoutMs: 120_000, intervalMs: 200 });
  });
  afterAll(async () => {
    await stop(started);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is in the banner (as in the README, for Zendesk), and every sandbox action is in it', () => {
    const tour = renderTour(tourSections(README_TOUR_IDS, ALL_SIMULATED, helpdesk));
    // A new sandbox hands out the README's ids.
    expect(started!.stdout()).toContain(tour.split('\n').map((l) => (l ? `    ${l}` : '')).join('\n'));
    if (kind === 'zendesk') expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(tour);
    // The README says how to run it on Freshdesk.
    else expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} npm start`);
    for (const action of [
      '/sandbox/user/tickets"',
      '/comments"',
      '/replies" -d \'{"body"',
      '"public":false',
      `{"status":"${helpdesk.solvedStatus}"}`,
      '"resolved":false,"details"',
      '"resolved":true',
      '-XDELETE',
      '/teammate-replies"',
      '/assign"',
      '/sandbox/whitelabel/tickets"',
      '/sandbox/whitelabel/seed"',
      'npx ticket-bridge list',
    ]) {
      expect(tour).toContain(action);
    }
    // Where to look, and how the CLI gets in.
    expect(started!.stdout()).toMatch(/Temporal UI \(every ticket is a workflow\):\n\s+http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\?query=/);
    expect(started!.stdout()).toMatch(new RegExp(`^ {6}export OPS_API_URL=${api.replace(/\./g, '\\.')} OPS_API_TOKEN=[\\w-]{16,}$`, 'm'));
    expect(started!.stdout()).toMatch(/Connect API\s+simulated in this process \(sandbox\)/);
    expect(started!.stdout()).toMatch(row);
  });

  it('works pasted, command after command: every curl gets a 2xx, every CLI call exits 0', async () => {
    const commands = bannerCommands(started!.stdout());
    expect(commands[0]).toMatch(/^export OPS_API_URL=/);
    expect(commands.length).toBeGreaterThan(20);
    runs = await paste(commands);
    for (const run of runs) expect({ command: run.command, code: run.code, output: run.output }).toEqual({ command: run.command, code: 0, output: run.output });

    const shown = runs.find((r) => r.command.startsWith('npx ticket-bridge show connect'))!;
    expect(shown.output).toMatch(/^Heard: +\d+ notifications/m);
  });

  /**
   * The check lines, read once each, as a person pasting the tour reads them: right after the
   * action, with no second look. Each shows what the comment above it promises.
   */
  it('shows, on each check line, the state its comment promises, the first time', async () => {
    const { connectTicket: t, closedTicket: d, platformTicket: w } = README_TOUR_IDS;
    /**
     * `seen` (from the line's output) must be `promised`; when it is not, the ticket's timeline,
     * read now, goes into the failure: what the bridge had done, and when.
     */
    const expectPromised = async (seen: object, promised: object, workflow: string) => {
      let timeline: string[] = [];
      if (JSON.stringify(seen) !== JSON.stringify(promised)) {
        const token = /OPS_API_TOKEN=(\S+)/.exec(started!.stdout())![1];
        const details = (await (await fetch(`${api}/tickets/${workflow}`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
        timeline = (details.state?.timeline ?? []).map((e: { at: string; kind: string; detail: string }) => `${e.at} ${e.kind} ${e.detail}`);
      }
      expect({ ...seen, timeline }).toEqual({ ...promised, timeline: [] });
    };
    const output = (path: string) => {
      const run = runs.find((r) => r.command === `curl -s "$OPS_API_URL${path}"`);
      expect(run).toBeDefined();
      return JSON.parse(run!.output) as any;
    };

    // "The user deletes ticket T-1001: Zendesk keeps it, solved, with an internal note."
    const deleted = output(`/sandbox/tickets/${t}`);
    await expectPromised({ app: deleted.app, [kind]: deleted[kind].status }, { app: { id: t, deleted: true }, [kind]: helpdesk.solvedStatus }, `connect/${t}`);
    const bridgeNotes = messages(deleted[kind]).filter((c) => c.author === 'bridge' && !c.public);
    expect(bridgeNotes.map((c) => c.body).join('\n')).toMatch(/deleted/i);

    // "Ticket T-1002: ... closed on both sides."
    const closed = output(`/sandbox/tickets/${d}`);
    await expectPromised({ app: closed.app.status, [kind]: closed[kind].status }, { app: 'CLOSED', [kind]: 'closed' }, `connect/${d}`);

    // "... assigned to a teammate, who answers in the platform; the agent answers in Zendesk and solves it."
    const platform = output(`/sandbox/whitelabel/tickets/${w}`);
    expect(platform.platform.teammateId).toBe(SANDBOX_TEAMMATE_ID);
    expect(platform.platform.replies.map((r: any) => r.text)).toEqual(
      expect.arrayContaining(['It is the March invoice.', 'Looking into it.', expect.stringContaining('A corrected invoice is on its way.')]),
    );
    await expectPromised({ [kind]: platform[kind].status, open: platform.platform.isOpen }, { [kind]: helpdesk.solvedStatus, open: false }, `whitelabel/${w}`);

    // The bridge's side says what became of each: a deletion is not a resolution.
    const cli = (command: string) => runs.find((r) => r.command === command)!.output;
    expect(cli(`npx ticket-bridge show connect ${t}`)).toMatch(/^Status: +CLOSED — deleted by the user \(connect /m);
    const listed = cli('npx ticket-bridge list');
    expect(listed).toMatch(new RegExp(`^ticket/connect/${t} +CLOSED — deleted by the user +\\d+ +COMPLETED `, 'm'));
    expect(listed).toMatch(new RegExp(`^ticket/connect/${d} +CLOSED +\\d+ +COMPLETED `, 'm'));
  });
});
