/**
 * CPU seconds of the cluster's own processes (`scripts/cluster.sh pids`): each Temporal service,
 * and PostgreSQL as its postmaster plus every backend (live ones, and those that have exited,
 * which the postmaster has reaped).
 */
import { execFileSync } from 'node:child_process';
import { cpuSecondsOf } from './processes';

export interface ClusterCpu {
  /** part → { pid, seconds } */
  parts: Map<string, { pid: number; seconds: number }>;
}

export function clusterCpu(clusterScript: string): ClusterCpu {
  const parts = new Map<string, { pid: number; seconds: number }>();
  const out = execFileSync('bash', [clusterScript, 'pids'], { encoding: 'utf8' });
  for (const [, part, pidText] of out.matchAll(/^(\S+) (\d+)$/gm)) {
    const pid = Number(pidText);
    let seconds = cpuSecondsOf(pid, { reapedChildren: part === 'postgresql' }) ?? 0;
    if (part === 'postgresql') {
      const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean);
      for (const child of children) seconds += cpuSecondsOf(Number(child)) ?? 0;
    }
    parts.set(part!, { pid, seconds });
  }
  return { parts };
}

/** CPU seconds used between two readings, per part; a part restarted in between is left out. */
export function cpuBetween(before: ClusterCpu, after: ClusterCpu): Map<string, number> {
  const used = new Map<string, number>();
  for (const [part, end] of after.parts) {
    const start = before.parts.get(part);
    if (start && start.pid === end.pid) used.set(part, end.seconds - start.seconds);
  }
  return used;
}
