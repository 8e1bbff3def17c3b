/**
 * Workflow code bundled at build time: `npm run build` writes one bundle per payload-encryption
 * mode into dist/src/workflow-bundles/, and a worker started from the compiled code loads the
 * one matching its configuration. A production worker then starts without running webpack and
 * swc (seconds of CPU and hundreds of MB at every start), and every replica runs byte-identical
 * workflow code.
 *
 * From the TypeScript sources (`npm start`, `npm run worker` through tsx, the tests) there is no
 * such directory beside this file, and the worker bundles `WORKFLOWS_PATH` at start as before.
 *
 * Why one bundle per mode: with encryption on, the failure converter that moves error messages
 * into encrypted payloads runs inside the workflow sandbox, so it is part of the bundle
 * (`bundleOptionsFrom`). A worker must never load the other mode's bundle.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleOptionsFrom, type PayloadEncryption } from './security/codec/data-converter';
import { WORKFLOWS_PATH } from './worker';

/** Beside the compiled worker: dist/src/workflow-bundles (absent next to the .ts sources). */
export const WORKFLOW_BUNDLE_DIR = join(__dirname, 'workflow-bundles');

type Mode = PayloadEncryption['mode'];
const MODES: readonly Mode[] = ['required', 'off'];

/** `required.js` or `off.js`: the file name says which data converter the bundle belongs to. */
export function workflowBundlePath(mode: Mode, dir: string = WORKFLOW_BUNDLE_DIR): string {
  return join(dir, `${mode}.js`);
}

/**
 * The prebuilt bundle for this configuration (the SDK's `workflowBundle` option), or null when
 * none was built: the worker then bundles the sources at start.
 */
export function prebuiltWorkflowBundle(
  config: { payloadEncryption: Pick<PayloadEncryption, 'mode'> },
  dir: string = WORKFLOW_BUNDLE_DIR,
): { codePath: string } | null {
  const codePath = workflowBundlePath(config.payloadEncryption.mode, dir);
  return existsSync(codePath) ? { codePath } : null;
}

/** Bundles the workflows once per mode into `dir`; each file appears whole or not at all. */
export async function buildWorkflowBundles(dir: string = WORKFLOW_BUNDLE_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const mode of MODES) {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundleOptionsFrom({ payloadEncryption: { mode } }) });
    const path = workflowBundlePath(mode, dir);
    await writeFile(`${path}.tmp`, code);
    await rename(`${path}.tmp`, path);
    written.push(path);
  }
  return written;
}
