/**
 * Runs the bridge's worker in a child process (worker-process.ts), kills it with SIGKILL, starts
 * the next one, and keeps the record of every activity attempt each process reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EVENT_PREFIX, type FaultWorkerEvent, type FaultWorkerSpec } from './protocol';

const SCRIPT = resolve(__dirname, 'worker-process.ts');
const ROOT = resolve(__dirname, '../..');

export interface AttemptRecord {
  key: string;
  type: string;
  attempt: number;
  /** Which worker process (0, 1, …) ran it. */
  generation: number;
  outcome: 'ok' | 'failed' | 'in-flight';
  /** A comment write that found its comment already landed. */
  alreadyPresent?: boolean;
  /** The failure's type, when it failed (e.g. 'write-conflict'). */
  errorType?: string;
  /** A local activity: a killed one is re-run (or, on another path, not needed) by the replay. */
  local?: boolean;
}

export interface KillRecord {
  generation: number;
  pid: number;
  /** Real epoch ms of the SIGKILL. */
  at: number;
  /** Activity attempts running in the process when it was killed. */
  interrupted: AttemptRecord[];
  /** Real ms from SIGKILL to the next worker reporting ready. */
  restartMs?: number;
}

interface Generation {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  running: Map<string, AttemptRecord>;
}

export class WorkerSupervisor {
  readonly attempts: AttemptRecord[] = [];
  readonly kills: KillRecord[] = [];
  /** Every log line the workers wrote (the production pino logger), for the personal-data check. */
  readonly logLines: string[] = [];
  /** The children's stderr, for the report when something goes wrong. */
  readonly stderr: string[] = [];
  private current: Generation | null = null;
  private generation = -1;

  constructor(private readonly spec: FaultWorkerSpec) {}

  get pid(): number | null {
    return this.current?.pid ?? null;
  }

  /** Activity attempts running in the current process right now. */
  inFlight(): AttemptRecord[] {
    return [...(this.current?.running.values() ?? [])];
  }

  /** Starts a worker process and resolves once it polls (bounded by `timeoutMs`). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.current) throw new Error('a worker process is already running');
    const generation = ++this.generation;
    // node --import tsx: one process (the tsx CLI would fork a grandchild a SIGKILL would orphan).
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      cwd: ROOT,
      env: { ...process.env, FAULT_WORKER_SPEC: JSON.stringify(this.spec), FAULT_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running = new Map<string, AttemptRecord>();
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const ready = new Promise<number>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`worker process ${generation} not ready after ${timeoutMs} ms:\n${this.stderr.slice(-20).join('')}`)), timeoutMs);
      void exited.then((code) => {
        clearTimeout(timer);
        fail(new Error(`worker process ${generation} exited (${code}) before it was ready:\n${this.stderr.slice(-20).join('')}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith(EVENT_PREFIX)) {
          this.logLines.push(line);
          return;
        }
        const event = JSON.parse(line.slice(EVENT_PREFIX.length)) as FaultWorkerEvent;
        if (event.ev === 'ready') {
          clearTimeout(timer);
          ok(event.pid);
        } else if (event.ev === 'start') {
          const record: AttemptRecord = {
            key: event.key,
            type: event.type,
            attempt: event.attempt,
            generation,
            outcome: 'in-flight',
            ...(event.local && { local: true }),
          };
          running.set(`${event.key}#${event.attempt}`, record);
          this.attempts.push(record);
        } else if (event.ev === 'end') {
          const record = running.get(`${event.key}#${event.attempt}`);
          running.delete(`${event.key}#${event.attempt}`);
          if (record) {
            record.outcome = event.ok ? 'ok' : 'failed';
            if (event.alreadyPresent) record.alreadyPresent = true;
            if (event.errorType) record.errorType = event.errorType;
          }
        }
      });
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr.push(`[worker ${generation}] ${chunk}`);
      if (this.stderr.length > 500) this.stderr.splice(0, 100);
    });
    const pid = await ready;
    this.current = { child, pid, exited, running };
    const lastKill = this.kills.at(-1);
    if (lastKill && lastKill.restartMs === undefined) lastKill.restartMs = Date.now() - lastKill.at;
  }

  /** SIGKILL: no shutdown, no goodbye; in-flight attempts are left to their start-to-close timeout. */
  async kill(): Promise<KillRecord> {
    const current = this.current;
    if (!current) throw new Error('no worker process to kill');
    current.child.kill('SIGKILL');
    await current.exited;
    this.current = null;
    const record: KillRecord = {
      generation: this.generation,
      pid: current.pid,
      interrupted: [...current.running.values()],
      at: Date.now(),
    };
    this.kills.push(record);
    return record;
  }

  /** Graceful stop (SIGTERM), SIGKILL if it takes longer than `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const current = this.current;
    if (!current) return;
    this.current = null;
    current.child.kill('SIGTERM');
    const timer = setTimeout(() => current.child.kill('SIGKILL'), graceMs);
    await current.exited;
    clearTimeout(timer);
  }
}
