/**
 * jest globalSetup of `npm run test:hostile`: the run's Temporal dev server (as for `npm test`),
 * and a fresh directory for each file's figures.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import startTemporal from '../../harness/global-setup';

export default async function setup(): Promise<void> {
  await startTemporal();
  mkdirSync(tmpdir(), { recursive: true });
  process.env.HOSTILE_FIGURES_DIR = mkdtempSync(join(tmpdir(), 'ticket-bridge-hostile-'));
}
