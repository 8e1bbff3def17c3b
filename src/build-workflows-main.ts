/**
 * `npm run build:workflows` (part of `npm run build`): the workflow bundles a production worker
 * loads instead of bundling at start (see src/workflow-bundles.ts). Runs from the compiled
 * dist/src, so the bundles land beside the compiled worker and bundle the compiled workflows.
 */
import { buildWorkflowBundles, WORKFLOW_BUNDLE_DIR } from './workflow-bundles';

buildWorkflowBundles(WORKFLOW_BUNDLE_DIR).then(
  (paths) => process.stdout.write(`workflow bundles written: ${paths.join(', ')}\n`),
  (err: unknown) => {
    process.stderr.write(`workflow bundling failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
