/**
 * Finds, or makes, the official Temporal CLI (`temporal`): the Temporal server with SQLite
 * persistence and the Temporal Web UI compiled in, which `npm start` and every test run on.
 *
 * Tried in this order, first hit wins:
 *   1. `TEMPORAL_CLI`: a path to the binary (an error if it is not one);
 *   2. a `temporal` on PATH;
 *   3. the cached build, outside the work tree (so every clone on this machine reuses it);
 *   4. a build from the published Go source, when `go` is installed (minutes, once);
 *   5. the Temporal SDK's download of the CLI, where the internet is reachable;
 *   6. else an error that names the ways to get it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The newest CLI release `go install` accepts (later ones carry a `replace` directive). */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type CliOrigin = 'TEMPORAL_CLI' | 'PATH' | 'cache' | 'go build' | 'download';

export interface TemporalCli {
  path: string;
  origin: CliOrigin;
  /** What `temporal --version` says, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)". */
  version: string;
}

export class TemporalCliNotFound extends Error {
  constructor(detail: string) {
    super(
      `The Temporal CLI is needed to run a local Temporal server, and none was found${detail ? ` (${detail})` : ''}. Either:\n` +
        `  - install Go (https://go.dev/dl) and run \`npm run temporal:install\`, which builds it from source once;\n` +
        `  - put the official \`temporal\` CLI on PATH, or set TEMPORAL_CLI=/path/to/temporal;\n` +
        `  - or point the bridge at a running server with TEMPORAL_ADDRESS=host:port.`,
    );
    this.name = 'TemporalCliNotFound';
  }
}

export interface FindOptions {
  env?: NodeJS.ProcessEnv;
  /** Build or download when nothing is installed. Default true. */
  install?: boolean;
  /** Progress lines of a long build (default: stderr). */
  progress?: (line: string) => void;
}

/** `$TICKET_BRIDGE_CACHE`, else `$XDG_CACHE_HOME/ticket-bridge`, else `~/.cache/ticket-bridge`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TICKET_BRIDGE_CACHE) return env.TICKET_BRIDGE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ticket-bridge');
}

export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

export async function findTemporalCli(options: FindOptions = {}): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));

  if (env.TEMPORAL_CLI) {
    const version = versionOf(env.TEMPORAL_CLI);
    if (!version) throw new TemporalCliNotFound(`TEMPORAL_CLI=${env.TEMPORAL_CLI} is not a working temporal binary`);
    return { path: env.TEMPORAL_CLI, origin: 'TEMPORAL_CLI', version };
  }
  const onPath = whichTemporal(env);
  if (onPath) {
    const version = versionOf(onPath);
    if (version) return { path: onPath, origin: 'PATH', version };
  }
  const cached = cachedCliPath(env);
  const cachedVersion = existsSync(cached) ? versionOf(cached) : undefined;
  if (cachedVersion) return { path: cached, origin: 'cache', version: cachedVersion };
  if (options.install === false) throw new TemporalCliNotFound('run `npm run temporal:install`');

  if (hasGo(env)) {
    await buildWithGo(cached, env, progress);
    return { path: cached, origin: 'go build', version: versionOf(cached) ?? TEMPORAL_CLI_VERSION };
  }
  const downloaded = await downloadWithSdk(cached, progress);
  if (downloaded) return { path: downloaded, origin: 'download', version: versionOf(downloaded) ?? 'unknown' };
  throw new TemporalCliNotFound('no Go toolchain to build it, and the SDK could not download it');
}

function versionOf(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    if (!statSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function whichTemporal(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'temporal');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function hasGo(env: NodeJS.ProcessEnv): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore', env }).status === 0;
}

/**
 * `go install` into a fresh directory beside the cache entry, then one rename: a build that is
 * interrupted, or two that race (a test run and `npm start`), never leave a half-written binary.
 * Go's own module and build caches (outside the work tree) make a second build quick.
 */
async function buildWithGo(target: string, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<void> {
  const dir = join(target, '..');
  mkdirSync(dir, { recursive: true });
  const gobin = mkdtempSync(join(dir, 'build-'));
  progress(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from its Go source (once per machine, a few minutes)…`);
  const started = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        'go',
        ['install', '-v', '-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, `${MODULE}@v${TEMPORAL_CLI_VERSION}`],
        { env: { ...env, CGO_ENABLED: '0', GOBIN: gobin }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      // `-v` names each package as it is compiled: count them, report every 15 s.
      let packages = 0;
      let tail: string[] = [];
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter(Boolean)) {
          if (!line.startsWith('go: ')) packages++;
          tail = [...tail.slice(-20), line];
        }
      });
      const ticker = setInterval(() => progress(`  … ${Math.round((Date.now() - started) / 1000)} s, ${packages} packages compiled`), 15_000);
      child.on('error', (err) => {
        clearInterval(ticker);
        reject(err);
      });
      child.on('exit', (code) => {
        clearInterval(ticker);
        if (code === 0) resolve();
        else reject(new Error(`go install ${MODULE}@v${TEMPORAL_CLI_VERSION} failed (exit ${code}):\n${tail.join('\n')}`));
      });
    });
    renameSync(join(gobin, 'temporal'), target);
    progress(`Built ${target} in ${Math.round((Date.now() - started) / 1000)} s.`);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
}

/**
 * The SDK can download the CLI for its `createLocal()` environment; it only does so as part of
 * starting a server, so start one, stop it, and keep the binary it fetched. Fails within
 * milliseconds where only package registries are reachable.
 */
async function downloadWithSdk(target: string, progress: (line: string) => void): Promise<string | undefined> {
  let testing: typeof import('@temporalio/testing');
  try {
    testing = await import('@temporalio/testing'); // a dev dependency: absent in production installs
  } catch {
    return undefined;
  }
  const downloadDir = join(target, '..', 'download');
  mkdirSync(downloadDir, { recursive: true });
  progress('Downloading the Temporal CLI through the Temporal SDK…');
  try {
    const env = await testing.TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir, version: TEMPORAL_CLI_VERSION } },
    });
    await env.teardown();
  } catch {
    return undefined;
  }
  const found = readdirSync(downloadDir, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(downloadDir, entry))
    .find((path) => /temporal(-cli)?[^/]*$/.test(path) && versionOf(path));
  return found;
}
