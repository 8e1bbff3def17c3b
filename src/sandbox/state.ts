/**
 * The sandbox's simulated remotes on disk. `npm start` keeps its ticket workflows in a durable
 * Temporal; they remember Connect, Zendesk (or Freshdesk) and white-label ids, so the simulators
 * must still hold those tickets after a restart, and hand out no id twice. One JSON file holds
 * the simulators' snapshots; it is rewritten shortly after every change, atomically.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { CrmKind } from '../config/freshdesk';
import { StartupError } from '../runtime/startup-errors';
import type { Logger } from '../observability/logger';
import { connectSnapshotSchema, type ConnectSimulator } from '../simulators/connect';
import { freshdeskSnapshotSchema, type FreshdeskSnapshot, type FreshdeskSimulator } from '../simulators/freshdesk';
import { whitelabelSnapshotSchema, type WhitelabelSimulator } from '../simulators/whitelabel';
import { zendeskSnapshotSchema, type ZendeskSimulator } from '../simulators/zendesk';

export const sandboxStateSchema = z.object({
  version: z.literal(1),
  connect: connectSnapshotSchema,
  zendesk: zendeskSnapshotSchema,
  whitelabel: whitelabelSnapshotSchema,
  /** Once a sandbox ran with `CRM=freshdesk` (files from before have none). */
  freshdesk: freshdeskSnapshotSchema.optional(),
});
export type SandboxState = z.infer<typeof sandboxStateSchema>;

export type StateLogger = Pick<Logger, 'warn' | 'error'>;

/**
 * The simulators' state. A Freshdesk that does not run this time keeps what it had
 * (`savedFreshdesk`: at most its agents, see `assertSameHelpdesk`).
 */
export function sandboxState(sims: {
  connect: ConnectSimulator;
  zendesk: ZendeskSimulator;
  whitelabel: WhitelabelSimulator;
  freshdesk?: FreshdeskSimulator | null;
  savedFreshdesk?: FreshdeskSnapshot;
}): SandboxState {
  const freshdesk = sims.freshdesk?.toSnapshot() ?? sims.savedFreshdesk;
  return {
    version: 1,
    connect: sims.connect.toSnapshot(),
    zendesk: sims.zendesk.toSnapshot(),
    whitelabel: sims.whitelabel.toSnapshot(),
    ...(freshdesk && { freshdesk }),
  };
}

/**
 * The state saved in `file`; null when there is none yet.
 *
 * A file that is not JSON, or not a snapshot this version understands, is moved aside to
 * `<file>.corrupt-<time>` and the sandbox starts empty, with a warning, rather than refusing to
 * start: the data is only ever simulated, refusing would leave the person to find and delete the
 * file before anything works again, and moving it keeps it for a look. The cost is said in the
 * warning: workflows that remember tickets of that state will find them gone at the remotes.
 * A file that cannot be read at all (permissions, a directory) is an error: that is the
 * machine's problem, and starting empty would only hide it.
 */
export async function loadSandboxState(file: string, logger: StateLogger, now: () => Date = () => new Date()): Promise<SandboxState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new StartupError(`cannot read the sandbox state file ${file} (${code ?? 'error'}); fix its permissions or delete it`);
  }
  const parsed = parseState(text);
  if (parsed.ok) return parsed.state;
  const aside = `${file}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
  try {
    await rename(file, aside);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(`sandbox state file ${file} is unusable (${parsed.reason}) and could not be moved aside (${code}); delete it`);
  }
  logger.warn(
    { file, movedTo: aside },
    `sandbox state file ${file} is unusable (${parsed.reason}): moved it to ${aside} and started the simulators empty; ` +
      'ticket workflows from before will find their tickets gone',
  );
  return null;
}

/**
 * A sandbox's ticket workflows keep the helpdesk ticket ids of the helpdesk they were started
 * on; started again on the other helpdesk, they would write to whatever ticket has that id
 * there. So a state file whose other helpdesk holds tickets refuses the start, saying what to do.
 */
export function assertSameHelpdesk(saved: SandboxState | null, helpdesk: CrmKind, file: string): void {
  const other: CrmKind = helpdesk === 'freshdesk' ? 'zendesk' : 'freshdesk';
  const tickets = (other === 'zendesk' ? saved?.zendesk.store.tickets : saved?.freshdesk?.store.tickets) ?? [];
  if (tickets.length === 0) return;
  const name = (kind: CrmKind) => (kind === 'zendesk' ? 'Zendesk' : 'Freshdesk');
  throw new StartupError(
    `the sandbox in ${file} ran on ${name(other)} (CRM=${other}) and its ticket workflows write there; ` +
      `start it with CRM=${other} again, or give ${name(helpdesk)} a DATA_DIR of its own (or delete this one)`,
  );
}

/** Why not, when not: naming fields, never values (tickets hold personal data). */
function parseState(text: string): { ok: true; state: SandboxState } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the text.
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = sandboxStateSchema.safeParse(json);
  if (parsed.success) return { ok: true, state: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, reason: `${issue.path.join('.') || 'top level'}: ${issue.message}` };
}

/**
 * Writes the state `delayMs` after a change, with every other change made until then; one write
 * at a time, each to `<file>.tmp` then renamed over the file, so a crash at any moment leaves
 * either the previous state or the new one, never half of one.
 */
export class SandboxStateWriter {
  private timer: NodeJS.Timeout | undefined;
  /** A change not on disk yet. */
  private dirty = false;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly collect: () => SandboxState,
    private readonly logger: StateLogger,
    private readonly delayMs = 150,
  ) {}

  /** Something changed: it will be on disk within about `delayMs`. */
  changed(): void {
    if (this.closed) return;
    this.dirty = true;
    // Not restarted by later changes: under a steady stream of them the file still keeps up.
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) => {
        this.logger.warn({ file: this.file, err }, 'could not save the sandbox state; trying again at the next change');
      });
    }, this.delayMs);
    // A pending write must not keep the process alive; `close()` is what saves the last changes.
    this.timer.unref();
  }

  /** Writes now if anything changed since the last write; resolves once it is on disk. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const write = this.queue.then(() => this.writeIfDirty());
    // One failed write must not fail every later one.
    this.queue = write.catch(() => {});
    return write;
  }

  /**
   * The last write; later changes are ignored. A failure is logged, not thrown: whoever stops
   * the sandbox has more to stop after it.
   */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } catch (err) {
      this.logger.error({ file: this.file, err }, 'could not save the sandbox state at stop; the latest changes are lost');
    }
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await writeAtomically(this.file, JSON.stringify(this.collect()));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}

async function writeAtomically(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await mkdir(dirname(file), { recursive: true });
  // Owner-only: the tickets a person plays hold names and messages.
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    // On disk before the rename makes it the file, or a power cut could leave an empty one.
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
