/** What the bench scripts share: running jobs a few at a time, percentiles, and child processes. */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

/** `n` jobs, at most `concurrency` at a time, each started as one ends. */
export async function pool(n: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      for (let i = next++; i < n; i = next++) await job(i);
    }),
  );
}

/** The `p`th percentile of values sorted ascending (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

/**
 * A bench script of this folder in a process of its own (its CPU and memory then its alone),
 * given its spec in `env`, once it has said it is ready over IPC. `stop` asks it to stop and waits.
 */
export async function forkReady(script: string, env: Record<string, string>, execArgv: string[] = []): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = fork(join(__dirname, script), [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.send('stop');
    });
  return { child, stop };
}
