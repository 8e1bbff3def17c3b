/**
 * On-disk cache of workflow bundles. Webpack-bundling workflow code takes ~2 s per test file on a
 * small machine, and Jest isolates modules per file, so an in-memory cache cannot be shared.
 *
 * The cache key hashes the workflow module and every file it reaches through relative imports,
 * plus the lockfile (SDK and other dependency versions). A change to any of them rebuilds.
 * Set TEMPORAL_TEST_BUNDLE_CACHE=off to always rebuild.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const CACHE_DIR = resolve(__dirname, '../../node_modules/.cache/temporal-workflow-bundles');
const LOCKFILE = resolve(__dirname, '../../package-lock.json');
const IMPORT_PATTERN = /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|require\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const EXTENSIONS = ['', '.ts', '.tsx', '.js', '/index.ts', '/index.js'];

function resolveLocal(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  return EXTENSIONS.map((ext) => base + ext).find((candidate) => existsSync(candidate) && !candidate.endsWith('/'));
}

/** Content hash of `entry` and its transitive relative imports. */
function sourceHash(entry: string): string {
  const hash = createHash('sha256');
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    hash.update(file).update('\0').update(source).update('\0');
    for (const match of source.matchAll(IMPORT_PATTERN)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      const target = specifier && resolveLocal(file, specifier);
      if (target) pending.push(target);
    }
  }
  if (existsSync(LOCKFILE)) hash.update(readFileSync(LOCKFILE));
  return hash.digest('hex').slice(0, 32);
}

export function cacheEnabled(): boolean {
  return process.env.TEMPORAL_TEST_BUNDLE_CACHE !== 'off';
}

export function readCachedBundle(entry: string): { key: string; code?: string } {
  const key = sourceHash(entry);
  const file = join(CACHE_DIR, `${key}.js`);
  return { key, code: existsSync(file) ? readFileSync(file, 'utf8') : undefined };
}

export function writeCachedBundle(key: string, code: string): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  // Atomic: parallel Jest workers may write the same bundle.
  const tmp = join(CACHE_DIR, `${key}.${process.pid}.tmp`);
  writeFileSync(tmp, code);
  renameSync(tmp, join(CACHE_DIR, `${key}.js`));
}
