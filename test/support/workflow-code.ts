/**
 * What "the workflow code" is, for the replay guard (test/replay): every source file the worker's
 * workflow bundle is built from (src/workflows/index.ts and what it imports, transitively, within
 * this repository), hashed without its comments. A comment or a formatting change is no
 * behaviour change; anything else is, and needs a patch id and a new recorded history.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const REPO_ROOT = resolve(__dirname, '..', '..');
const HISTORIES_DIR = join(REPO_ROOT, 'test', 'replay', 'histories');
export const MANIFEST_PATH = join(HISTORIES_DIR, 'manifest.json');

/** The sealed state of the recorded histories: the workflow code they were recorded on, and each file's hash. */
export interface HistoryManifest {
  /** Sync rules version these histories pin (see docs/sync-rules.md). */
  rules: string;
  workflowCode: string;
  histories: Record<string, string>;
  /** Each seal: when, the patch ids its new histories brought, and why (for a change without one). */
  seals: { at: string; added: string[]; patches: string[]; reason?: string }[];
}

/**
 * The repository files the workflow bundle is made of, sorted, relative to the repository:
 * imports that carry values (`import type` and imports of types only are erased from the bundle).
 */
export function workflowSourceFiles(root = REPO_ROOT): string[] {
  const entry = join(root, 'src', 'workflows', 'index.ts');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of valueImports(file)) {
      if (!spec.startsWith('.')) continue; // a package: pinned by package-lock.json, not by this guard
      const target = resolveModule(dirname(file), spec);
      if (target) visit(target);
    }
  };
  visit(entry);
  return [...seen].map((f) => relative(root, f)).sort();
}

function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const specs: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.importClause;
      const typesOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typesOnly) specs.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) && !statement.isTypeOnly) {
      specs.push(statement.moduleSpecifier.text);
    }
  }
  return specs;
}

function resolveModule(fromDir: string, spec: string): string | null {
  const base = resolve(fromDir, spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  return null;
}

/** One file as code: printed back by the TypeScript printer without comments or formatting. */
function codeOf(root: string, file: string): string {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  return ts.createPrinter({ removeComments: true }).printFile(source);
}

/** The hash of the workflow code: every file's path and comment-free code. */
export function workflowCodeHash(root = REPO_ROOT): string {
  const hash = createHash('sha256');
  for (const file of workflowSourceFiles(root)) hash.update(`${file}\0${codeOf(root, file)}\0`);
  return hash.digest('hex');
}

export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function historyFiles(): string[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'manifest.json')
    .sort();
}

export function historyPath(file: string): string {
  return join(HISTORIES_DIR, file);
}

export function readManifest(): HistoryManifest | null {
  return existsSync(MANIFEST_PATH) ? (JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as HistoryManifest) : null;
}
