/**
 * The inbound secrets `npm start` generates for a sandbox (the ops token, the webhook secrets),
 * kept in `$DATA_DIR/sandbox-secrets.json` so a restart keeps them: the `export OPS_API_TOKEN=…`
 * a person pasted into their shell, and `npx ticket-bridge` with it, go on working.
 *
 * Only generated secrets live here; a secret from the environment is never written anywhere.
 * The file is the owner's only (0600), like the rest of the data directory's contents.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { StartupError } from '../runtime/startup-errors';
import { loadConfig, type Config, type LoadConfigOptions } from '../config';
import type { SecretVariable } from '../config/inbound-secrets';

export const SANDBOX_SECRETS_FILE = 'sandbox-secrets.json';

const secretsFileSchema = z.object({
  version: z.literal(1),
  secrets: z.partialRecord(z.enum(['CONNECT_WEBHOOK_TOKEN', 'ZENDESK_WEBHOOK_SECRET', 'WHITELABEL_WEBHOOK_SECRET', 'FRESHDESK_WEBHOOK_TOKEN', 'OPS_API_TOKEN']), z.string().min(16)),
});
type SavedSecrets = NonNullable<LoadConfigOptions['savedSecrets']>;

/**
 * The configuration `npm start` runs with: `loadConfig`, and in a sandbox the generated secrets
 * of an earlier start (new ones are generated and saved for the next). Throws a `ConfigError`
 * like `loadConfig`.
 */
export async function loadStartConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const first = loadConfig(env);
  if (!first.sandbox || first.generatedSecrets.length === 0) return first;
  const file = join(first.dataDir, SANDBOX_SECRETS_FILE);
  const saved = await readSecrets(file);
  const missing = first.generatedSecrets.filter((name) => saved[name] === undefined);
  if (missing.length > 0) {
    for (const name of missing) saved[name] = randomBytes(24).toString('base64url');
    await writeSecrets(file, saved);
  }
  return loadConfig(env, { savedSecrets: saved });
}

/** The saved secrets; none when there is no file, or it cannot be used (it is rewritten then). */
async function readSecrets(file: string): Promise<SavedSecrets> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new StartupError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); fix its permissions or delete it`);
  }
  try {
    const parsed = secretsFileSchema.safeParse(JSON.parse(text));
    // Unusable: new secrets replace it. They only guard a sandbox, whose player reads them off the banner.
    return parsed.success ? { ...parsed.data.secrets } : {};
  } catch {
    return {};
  }
}

async function writeSecrets(file: string, secrets: Partial<Record<SecretVariable, string>>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify({ version: 1, secrets }, null, 2), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
