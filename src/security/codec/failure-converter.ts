/**
 * The failure converter for encrypted deployments: error messages and stack traces move from the
 * Failure's plain-text fields into its `encodedAttributes` payload, which the payload codec then
 * encrypts. Without it an activity error quoting a ticket (an upstream 422 body, say) would sit in
 * the history in clear text.
 *
 * Loaded by path (`DataConverter.failureConverterPath`) because the workflow sandbox bundles it;
 * it must stay importable from workflow code (no Node APIs).
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
