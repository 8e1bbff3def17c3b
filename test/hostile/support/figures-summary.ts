/** jest globalTeardown of `npm run test:hostile`: one table for all files' figures. */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import stopTemporal from '../../harness/global-teardown';
import { type Figures, Tally } from './verdict';

export default async function summary(): Promise<void> {
  await stopTemporal();
  const dir = process.env.HOSTILE_FIGURES_DIR;
  if (!dir) return;
  const tally = new Tally();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const rows = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Array<[string, Figures]>;
    for (const [endpoint, figures] of rows) tally.byEndpoint.set(endpoint, figures);
  }
  rmSync(dir, { recursive: true, force: true });
  if (tally.byEndpoint.size > 0) process.stdout.write(`\n${tally.table('Hostile input — all endpoints')}\n\n`);
}
