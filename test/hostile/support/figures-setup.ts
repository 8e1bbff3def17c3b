/** jest globalSetup of `npm run test:hostile`: a fresh directory for each file's figures. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): void {
  mkdirSync(tmpdir(), { recursive: true });
  process.env.HOSTILE_FIGURES_DIR = mkdtempSync(join(tmpdir(), 'ticket-bridge-hostile-'));
}
