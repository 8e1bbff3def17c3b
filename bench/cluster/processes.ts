/**
 * The bridge's production entry points as processes of their own (`src/worker-main.ts`,
 * `src/api-main.ts`, run by node with tsx's loader, configured only through the environment), as
 * a deployment runs them: each can be stopped (SIGTERM), killed (SIGKILL) and replaced, and its
 * memory is its own. Their JSON log lines go to a file; readiness is the line each writes once
 * it serves ("worker running", "API listening").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const REPO = join(__dirname, '..', '..');
const READY_MESSAGE = { worker: 'worker running', api: 'API listening' } as const;

export type BridgeRole = keyof typeof READY_MESSAGE;

export interface BridgeProcess {
  name: string;
  role: BridgeRole;
  pid: number;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<string>;
  /** Largest resident set size seen by `sample`, in bytes. */
  peakRss: number;
  /** CPU seconds (user + system) at the last `sample`: the last value stays once it has exited. */
  cpuSeconds: number;
  /** Reads its RSS and CPU time now (nothing once it has exited). */
  sample(): void;
  /** SIGTERM, and wait for the exit (the process drains: a worker finishes its tasks). */
  stop(): Promise<string>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<string>;
}

export interface SpawnOptions {
  name: string;
  role: BridgeRole;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** The tree whose entry point runs (an older build for a deploy, bench/cluster/builds.ts). Default: this repository. */
  root?: string;
  /** How long to wait for the ready line. Default 180 s (a worker bundles its workflows first). */
  readyTimeoutMs?: number;
}

export async function spawnBridgeProcess(options: SpawnOptions): Promise<BridgeProcess> {
  const root = options.root ?? REPO;
  const entry = join(root, 'src', options.role === 'worker' ? 'worker-main.ts' : 'api-main.ts');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...options.env, LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  // Never outlive the load run.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} not ready after ${(options.readyTimeoutMs ?? 180_000) / 1000} s; see ${options.logFile}`)), options.readyTimeoutMs ?? 180_000);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${how}) before it was ready; see ${options.logFile}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      if (line.includes(`"msg":"${READY_MESSAGE[options.role]}"`)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await ready.catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });

  const proc: BridgeProcess = {
    name: options.name,
    role: options.role,
    pid: child.pid!,
    exited,
    peakRss: 0,
    cpuSeconds: 0,
    sample() {
      proc.peakRss = Math.max(proc.peakRss, rssOf(child.pid!));
      proc.cpuSeconds = cpuSecondsOf(child.pid!) ?? proc.cpuSeconds;
    },
    stop: async () => {
      proc.sample();
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      proc.sample();
      child.kill('SIGKILL');
      return exited;
    },
  };
  return proc;
}

/** utime + stime of a process from /proc/<pid>/stat, in seconds; null when it is gone. */
export function cpuSecondsOf(pid: number, options: { reapedChildren?: boolean } = {}): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces), from field 3 on: utime is 14,
    // stime 15, and the CPU of its children it has waited for, cutime 16 and cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const own = fields[11]! + fields[12]!;
    return (options.reapedChildren ? own + fields[13]! + fields[14]! : own) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** `getconf CLK_TCK`: 100 on every Linux build that matters. */
const CLOCK_TICKS_PER_SECOND = 100;

/** VmRSS from /proc, in bytes; 0 when the process is gone. */
function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
