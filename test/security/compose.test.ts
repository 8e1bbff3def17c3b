/**
 * docker-compose.yml as a safe example (issue 23): only the API publishes a port, Temporal, its
 * UI, PostgreSQL and the worker's metrics stay on an internal network, the UI cannot write, and
 * every secret (the database password, the codec token) comes from the environment.
 *
 * The file is read the way Docker reads it: a compose client interpolates and validates it
 * (`docker compose config --format json`, or docker-compose v1's YAML turned into JSON by the
 * PyYAML it runs on), so what is asserted is the configuration Docker would run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config';
import { PRODUCTION_REMOTES_ENV } from '../support/production-env';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'docker-compose.yml');
const OPERATOR = join(ROOT, 'docker/compose.operator.yml');

/** What an operator puts in `.env`: valid values for the bridge, distinct from one another. */
const ENV = {
  ...PRODUCTION_REMOTES_ENV,
  PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 4).toString('base64')}`,
  CODEC_AUTH_TOKEN: 'codec-auth-token-value-0123',
  POSTGRES_PASSWORD: 'postgres-password-from-env',
};

interface ComposePort {
  published?: string | number;
  host_ip?: string;
}
interface ComposeService {
  ports?: Array<string | ComposePort>;
  environment?: Record<string, string | null>;
  networks?: Record<string, unknown> | string[];
}
interface ComposeConfig {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
}

type Client = { command: string; args: string[]; json: boolean };

/** `docker compose` (v2, JSON output) or `docker-compose` (v1, YAML output). */
function composeClient(): Client {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return { command: 'docker', args: ['compose'], json: true };
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return { command: 'docker-compose', args: [], json: false };
  throw new Error('no compose client: install docker-compose (apt) or the docker compose plugin (.ci/run does)');
}

/**
 * Runs `config` with exactly `env` (nothing inherited but PATH, and an empty env file, so a
 * developer's `.env` or shell cannot change the result).
 */
function composeConfig(files: string[], env: Record<string, string>): { status: number; stdout: string; stderr: string } {
  const client = composeClient();
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  try {
    const envFile = join(dir, 'empty.env');
    writeFileSync(envFile, '');
    const args = [...client.args, '--env-file', envFile, ...files.flatMap((f) => ['-f', f]), 'config', ...(client.json ? ['--format', 'json'] : [])];
    const run = spawnSync(client.command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: dir, ...env }, encoding: 'utf8' });
    return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parsedConfig(files: string[], env: Record<string, string> = ENV): ComposeConfig {
  const run = composeConfig(files, env);
  if (run.status !== 0) throw new Error(`compose config failed: ${run.stderr}`);
  if (composeClient().json) return JSON.parse(run.stdout) as ComposeConfig;
  // docker-compose v1 is Python with PyYAML: the same parser reads its own output.
  const script = execFileSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).trim();
  const python = /^#!\s*(\S*python\S*)/.exec(readFileSync(script, 'utf8'))?.[1] ?? 'python3';
  const json = execFileSync(python, ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: run.stdout, encoding: 'utf8' });
  return JSON.parse(json) as ComposeConfig;
}

/** `[host_ip]:published` of each published port; v1 prints short strings for some, objects for others. */
function published(service: ComposeService): Array<{ hostIp: string; port: string }> {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'string') {
      // [HOST_IP:]PUBLISHED:TARGET[/PROTOCOL]
      const parts = port.replace(/\/\w+$/, '').split(':');
      return parts.length === 3 ? { hostIp: parts[0]!, port: parts[1]! } : { hostIp: '', port: parts[0]! };
    }
    return { hostIp: port.host_ip ?? '', port: String(port.published ?? '') };
  });
}

const networksOf = (service: ComposeService): string[] =>
  Array.isArray(service.networks) ? [...service.networks].sort() : Object.keys(service.networks ?? { default: null }).sort();

describe('docker-compose.yml', () => {
  let config: ComposeConfig;
  beforeAll(() => {
    config = parsedConfig([MAIN]);
  });

  test('only the API publishes a port, on 3000', () => {
    const publishing = Object.entries(config.services).filter(([, s]) => (s.ports ?? []).length > 0);
    expect(publishing.map(([name]) => name)).toEqual(['api']);
    expect(published(config.services.api!)).toEqual([{ hostIp: '', port: '3000' }]);
    // The walk saw the whole stack (a parse that lost services would pass vacuously).
    expect(Object.keys(config.services).sort()).toEqual(['api', 'postgresql', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  test('Temporal, its UI and PostgreSQL are on the internal network only; the worker and the API reach out', () => {
    expect(config.networks?.backend).toMatchObject({ internal: true });
    for (const name of ['postgresql', 'temporal-schema', 'temporal', 'temporal-setup', 'temporal-ui']) {
      expect({ name, networks: networksOf(config.services[name]!) }).toEqual({ name, networks: ['backend'] });
    }
    for (const name of ['worker', 'api']) expect({ name, networks: networksOf(config.services[name]!) }).toEqual({ name, networks: ['backend', 'default'] });
  });

  test('the Temporal UI is read-only', () => {
    expect(config.services['temporal-ui']!.environment).toMatchObject({ TEMPORAL_DISABLE_WRITE_ACTIONS: 'true' });
  });

  test('worker metrics stay inside the worker container by default', () => {
    expect(config.services.worker!.environment!.WORKER_METRICS_ADDRESS).toBe('127.0.0.1:9464');
    expect(config.services.worker!.ports ?? []).toEqual([]);
  });

  test('the database password is the one from the environment, everywhere it is used', () => {
    expect(config.services.postgresql!.environment!.POSTGRES_PASSWORD).toBe(ENV.POSTGRES_PASSWORD);
    expect(config.services['temporal-schema']!.environment!.SQL_PASSWORD).toBe(ENV.POSTGRES_PASSWORD);
    expect(config.services.temporal!.environment!.POSTGRES_PWD).toBe(ENV.POSTGRES_PASSWORD);
    expect(readFileSync(MAIN, 'utf8')).not.toMatch(/PASSWORD: temporal|PWD: temporal/);
  });

  test.each(['POSTGRES_PASSWORD', 'CODEC_AUTH_TOKEN', 'PAYLOAD_KEYS', 'OPS_API_TOKEN'])('refuses to start without %s, naming it', (variable) => {
    const { [variable as keyof typeof ENV]: _omitted, ...rest } = ENV;
    const run = composeConfig([MAIN], rest);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`set ${variable}`);
  });

  test('the API and the worker get a configuration the bridge accepts: encryption on, a codec token of its own', () => {
    for (const name of ['api', 'worker']) {
      const env = Object.fromEntries(Object.entries(config.services[name]!.environment ?? {}).map(([k, v]) => [k, v ?? '']));
      const bridge = loadConfig(env);
      expect(bridge.payloadEncryption.mode).toBe('required');
      expect(bridge.codecAuthToken).toBe(ENV.CODEC_AUTH_TOKEN);
      expect(bridge.codecAuthToken).not.toBe(bridge.opsApiToken);
      expect(bridge.temporal).toMatchObject({ address: 'temporal:7233', tls: null });
    }
  });
});

describe('docker/compose.operator.yml', () => {
  test('publishes the Temporal UI and frontend on 127.0.0.1 only, the API as before', () => {
    const config = parsedConfig([MAIN, OPERATOR]);
    const ports = Object.fromEntries(Object.entries(config.services).map(([name, s]) => [name, published(s)]).filter(([, p]) => p.length > 0));
    expect(ports).toEqual({
      api: [{ hostIp: '', port: '3000' }],
      temporal: [{ hostIp: '127.0.0.1', port: '7233' }],
      'temporal-ui': [{ hostIp: '127.0.0.1', port: '8080' }],
    });
  });
});
