/**
 * `npm run replay:seal [-- --reason "..."]`: records in test/replay/histories/manifest.json that the
 * histories beside it were recorded on the current workflow code. The replay test fails while
 * the workflow code differs from what the manifest says, so a change to workflow code lands only
 * with a new recorded history (see docs/sync-rules.md). Refuses to seal:
 *  - a history that was sealed before and changed or vanished: recorded histories are never
 *    re-recorded (that would hide a change that breaks tickets in flight);
 *  - changed workflow code without a new history;
 *  - new histories that carry no patch id the sealed ones lack, unless `--reason` says why the
 *    change needs none (a refactor that provably replays: its new history shows it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { patchIdsIn } from '../support/histories';
import { fileHash, historyFiles, historyPath, MANIFEST_PATH, readManifest, workflowCodeHash, type HistoryManifest } from '../support/workflow-code';

const RULES = '1.1';

function patchesOf(file: string): string[] {
  return patchIdsIn(historyFromJSON(JSON.parse(readFileSync(historyPath(file), 'utf8'))));
}

function seal(reason: string | undefined): string {
  const before = readManifest();
  const files = historyFiles();
  const code = workflowCodeHash();
  const sealed = before?.histories ?? {};
  for (const [file, hash] of Object.entries(sealed)) {
    if (!files.includes(file)) throw new Error(`${file} was sealed and is gone: recorded histories stay (tickets in flight replay them)`);
    if (fileHash(historyPath(file)) !== hash) throw new Error(`${file} changed since it was sealed: record the changed path under a new name instead`);
  }
  const added = files.filter((f) => !(f in sealed));
  const known = new Set(Object.keys(sealed).flatMap(patchesOf));
  const patches = [...new Set(added.flatMap(patchesOf))].filter((p) => !known.has(p));
  if (before !== null) {
    if (before.workflowCode === code && added.length === 0) return 'nothing to seal: the workflow code and the histories are as sealed';
    if (added.length === 0) throw new Error('the workflow code changed and no new history was recorded: record the changed path (RECORD_HISTORIES=1 npx jest <its test>)');
    if (patches.length === 0 && !reason) {
      throw new Error(`the new histories (${added.join(', ')}) carry no new patch id: a behaviour change needs patched('<new id>'); if this change needs none, say why with --reason`);
    }
  }
  const manifest: HistoryManifest = {
    rules: RULES,
    workflowCode: code,
    histories: Object.fromEntries(files.map((f) => [f, fileHash(historyPath(f))])),
    seals: [...(before?.seals ?? []), { at: new Date().toISOString(), added, patches, ...(reason && { reason }) }],
  };
  writeFileSync(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
  return `sealed ${files.length} histories (${added.length} new${patches.length ? `, patches ${patches.join(', ')}` : ''}) on workflow code ${code.slice(0, 12)}`;
}

const reasonAt = process.argv.indexOf('--reason');
try {
  process.stdout.write(`${seal(reasonAt >= 0 ? process.argv[reasonAt + 1] : undefined)}\n`);
} catch (err) {
  process.stderr.write(`replay:seal: ${(err as Error).message}\n`);
  process.exit(1);
}
