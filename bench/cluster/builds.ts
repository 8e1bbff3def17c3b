/**
 * An older build of the bridge, for a deploy of workflow code with tickets in flight: the tree of
 * a given commit, written outside the work tree (`git archive | tar -x`, so no `git worktree`
 * entry is left behind if the run dies), with `node_modules` a symlink to the repository's: right
 * only while the two builds' package-lock.json agree (they do from d54178f on), so the build is
 * refused when they do not. Removed by `remove()`.
 *
 * The default is the commit just before the newest patch id of src/workflows/definitions.ts
 * appeared: the newest real behaviour change of the workflow code, the one a deploy ships.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEFINITIONS = 'src/workflows/definitions.ts';

export interface OldBuild {
  commit: string;
  /** `git log --oneline -1` of the commit. */
  title: string;
  dir: string;
  /** Patch ids of the current tree that the old build does not know: what the deploy brings. */
  newPatches: string[];
  remove(): void;
}

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

/** The patch ids (`'rules-…'` values of `PATCHES`) in a definitions.ts text, in file order. */
export function patchIds(definitions: string): string[] {
  const block = /export const PATCHES = \{([\s\S]*?)\} as const;/.exec(definitions)?.[1] ?? '';
  return [...block.matchAll(/^\s*\w+: '([^']+)',/gm)].map((m) => m[1]!);
}

/** The parent of the commit that added the newest patch id of the current tree. */
export function commitBeforeNewestPatch(repo: string): string {
  const newest = patchIds(readFileSync(join(repo, DEFINITIONS), 'utf8')).at(-1);
  if (!newest) throw new Error(`no patch id in ${DEFINITIONS}: nothing to deploy`);
  const added = git(repo, 'log', '--format=%H', '--reverse', '-S', `'${newest}'`, '--', DEFINITIONS).split('\n')[0];
  if (!added) throw new Error(`patch ${newest} is not in git history yet (commit it first)`);
  return git(repo, 'rev-parse', `${added}^`);
}

/**
 * The packages an old build's package-lock.json pins that this tree's does not have at the same
 * version: the old build runs on this tree's node_modules, so each would be a different package
 * than the one it was built with. Packages this tree added (a new devDependency) do not count.
 */
export function lockDifferences(oldLock: string, currentLock: string): string[] {
  type Lock = { packages?: Record<string, { version?: string }> };
  const current = (JSON.parse(currentLock) as Lock).packages ?? {};
  return Object.entries((JSON.parse(oldLock) as Lock).packages ?? {})
    .filter(([path, pkg]) => path !== '' && current[path]?.version !== pkg.version)
    .map(([path, pkg]) => `${path.replace(/^node_modules\//, '')}@${pkg.version ?? '?'}`);
}

/**
 * Writes `commit`'s tree to a temporary directory. Refuses a commit whose patch ids are the
 * current tree's (a deploy from it would not change workflow behaviour, and prove nothing), or
 * whose package-lock.json pins a package this tree's does not have (`lockDifferences`).
 */
export function materialiseOldBuild(repo: string, commit: string): OldBuild {
  const full = git(repo, 'rev-parse', '--verify', `${commit}^{commit}`);
  const differences = lockDifferences(git(repo, 'show', `${full}:package-lock.json`), readFileSync(join(repo, 'package-lock.json'), 'utf8'));
  if (differences.length > 0) {
    throw new Error(`--old-build=${commit}: its package-lock.json differs from this tree's (${differences.slice(0, 3).join(', ')}${differences.length > 3 ? ', …' : ''}), and the build would run on this tree's node_modules`);
  }
  const oldPatches = patchIds(git(repo, 'show', `${full}:${DEFINITIONS}`));
  const newPatches = patchIds(readFileSync(join(repo, DEFINITIONS), 'utf8')).filter((id) => !oldPatches.includes(id));
  if (newPatches.length === 0) throw new Error(`--old-build=${commit}: its workflow code has every patch of the current tree; pick a commit before the newest patch`);
  const dir = mkdtempSync(join(tmpdir(), `ticket-bridge-build-${full.slice(0, 8)}-`));
  try {
    execFileSync('bash', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'archive', repo, full, dir]);
    symlinkSync(realpathSync(join(repo, 'node_modules')), join(dir, 'node_modules'));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { commit: full, title: git(repo, 'log', '--oneline', '-1', full), dir, newPatches, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
