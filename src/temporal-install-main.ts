/**
 * `npm run temporal:install`: finds or makes the official Temporal CLI (see runtime/temporal-cli.ts)
 * and says where it is. `npm start` and `npm test` do the same on their own when they need it.
 */
import { findTemporalCli, TemporalCliNotFound } from './runtime/temporal-cli';

findTemporalCli()
  .then((cli) => process.stdout.write(`${cli.version}\n  ${cli.path} (${cli.origin})\n`))
  .catch((err) => {
    process.stderr.write(`${err instanceof TemporalCliNotFound ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
