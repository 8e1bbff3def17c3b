/**
 * One `npm start` per data directory. Two on one DATA_DIR would run two Temporal dev servers on
 * one SQLite file and two sandboxes handing out the same ticket ids from one `sandbox.json`;
 * other ports alone do not make a second instance safe. The lock is a file holding the owner's
 * pid: a lock whose process is gone (killed, the machine rebooted) is stale and taken over, so a
 * crash never blocks the next start.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StartupError } from './startup-errors';

export const DATA_DIR_LOCK_FILE = 'ticket-bridge.lock';

/** Another live process holds the lock. */
export class DataDirInUseError extends StartupError {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another ticket-bridge (pid ${pid}). Stop it, or start this one on a ` +
        'directory of its own: DATA_DIR=<another directory> (with other ports: PORT, TEMPORAL_DEV_PORT).',
      2,
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  file: string;
  /** Removes the lock if it is still this process's (also done at exit). */
  release(): void;
}

/** Takes the lock on `dataDir` for this process, or throws `DataDirInUseError`. */
export function lockDataDir(dataDir: string, pid = process.pid): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, DATA_DIR_LOCK_FILE);
  // Written aside, then linked in place: the lock never exists without its pid in it.
  const mine = `${file}.${pid}`;
  writeFileSync(mine, `${pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err;
      }
      const holder = holderOf(file);
      if (holder !== null && holder !== pid && alive(holder)) throw new DataDirInUseError(dir, holder);
      removeStale(file, holder, pid);
    }
  } finally {
    unlinkSync(mine);
  }
  const release = () => {
    process.removeListener('exit', release);
    if (holderOf(file) === pid) unlinkQuietly(file);
  };
  process.once('exit', release);
  return { file, release };
}

/** The pid in the lock file; null when it is gone or unreadable. */
function holderOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves a stale lock out of the way. Two starts may both find it stale: the lock is renamed
 * aside (one of them wins), and if what was moved is not the stale one (the other start had
 * already put its own there) it is put back.
 */
function removeStale(file: string, stalePid: number | null, pid: number): void {
  const aside = `${file}.stale.${pid}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (holderOf(aside) !== stalePid) {
    try {
      linkSync(aside, file);
    } catch {
      // Yet another start holds it now: its lock stands.
    }
  }
  unlinkQuietly(aside);
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}
