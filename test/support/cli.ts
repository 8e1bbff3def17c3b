/** Runs the ops CLI as `npx ticket-bridge` does: the bin shim in a fresh node process. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export const CLI_BIN = resolve(__dirname, '../../bin/ticket-bridge.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` is the whole environment of the process (plus PATH and HOME): nothing leaks in from the test's. */
export function runBin(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI_BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 50_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}
