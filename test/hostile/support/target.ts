/**
 * The bridge's API under attack, assembled as production assembles it (`startApiHalf`: the
 * real Temporal gateway, the JSON clientError handler), on the Temporal test harness, with the
 * production data converter (payload encryption on).
 *
 * "No workflow is started or signalled" is checked two ways: a client interceptor counts every
 * start / signal / signal-with-start / update the gateway attempts (must stay 0 during hostile
 * cases), and at the end visibility lists the ticket workflows that exist (must be exactly the
 * ones the positive controls started). The controls prove both checks can see a workflow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ApiConfig } from '../../../src/api/app';
import { startApiHalf, type RunningApiHalf } from '../../../src/runtime/bridge';
import { createClient } from '../../../src/runtime/client';
import { TICKET_WORKFLOW_TYPE } from '../../../src/workflows/definitions';
import { createTestEnv, uniqueTaskQueue, type TestEnv } from '../../harness';
import { encryptionWith } from '../../security/keys';
import { rawRequest } from './raw-http';
import { capturingLogger } from '../../support/log-capture';

export const SECRETS = {
  connect: 'hostile-connect-token-0123456789',
  zendesk: 'hostile-zendesk-secret-0123456789',
  whitelabel: 'hostile-whitelabel-secret-0123456789',
  ops: 'hostile-ops-token-0123456789abcd',
  codec: 'hostile-codec-token-0123456789ab',
  metrics: 'hostile-metrics-token-0123456789',
} as const;
export const UI_ORIGIN = 'http://localhost:8233';
export const WHITELABEL_HEADER = 'X-Whitelabel-Signature';
export const BODY_LIMIT = 16 * 1024;

export const apiConfig: ApiConfig = {
  connectWebhookToken: SECRETS.connect,
  zendeskWebhookSecret: SECRETS.zendesk,
  whitelabelWebhookSecret: SECRETS.whitelabel,
  whitelabelWebhook: { signatureHeader: WHITELABEL_HEADER, signedPayload: 'timestamp.body', bodyLimitBytes: 64 * 1024 },
  opsApiToken: SECRETS.ops,
  bodyLimitBytes: BODY_LIMIT,
  webhookRoutes: { connect: true, zendesk: true, whitelabel: true },
  payloadEncryption: encryptionWith('hostile-2025', 'hostile-2024'),
  codecAuthToken: SECRETS.codec,
  codecCorsOrigins: [UI_ORIGIN],
  metricsToken: SECRETS.metrics,
};

export type GatewayCall = 'start' | 'signal' | 'signalWithStart' | 'update';

export interface Target {
  env: TestEnv;
  api: RunningApiHalf;
  port: number;
  /** Workflow starts/signals/updates the API attempted, by kind. */
  calls: Record<GatewayCall, number>;
  totalCalls(): number;
  /** Every line the API logged. */
  logLines: string[];
  /** Unhandled rejections and uncaught exceptions seen while the target ran. */
  processErrors: unknown[];
  /** The server still answers `GET /healthz` with 200. */
  alive(): Promise<boolean>;
  /** Ids of every ticket workflow Temporal knows (visibility). */
  ticketWorkflowIds(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const env = await createTestEnv();
  const calls: Record<GatewayCall, number> = { start: 0, signal: 0, signalWithStart: 0, update: 0 };
  const counting: WorkflowClientInterceptor = {
    startWithDetails: (input, next) => ((calls.start += 1), next(input)),
    signal: (input, next) => ((calls.signal += 1), next(input)),
    signalWithStart: (input, next) => ((calls.signalWithStart += 1), next(input)),
    startUpdate: (input, next) => ((calls.update += 1), next(input)),
    startUpdateWithStart: (input, next) => ((calls.update += 1), next(input)),
  };
  const client = createClient(env.connection, env.namespace, { payloadEncryption: apiConfig.payloadEncryption! }, { interceptors: { workflow: [counting] } });

  const logLines: string[] = [];
  const logger = capturingLogger(logLines);
  const inboxDir = mkdtempSync(join(tmpdir(), 'ticket-bridge-hostile-inbox-'));
  const api = await startApiHalf({
    client,
    taskQueue: uniqueTaskQueue('hostile'),
    config: apiConfig,
    workflowSettings: {},
    logger,
    port: 0,
    inbox: { dir: inboxDir, maxEntries: 1_000 },
  });
  const port = Number(new URL(api.url).port);

  const processErrors: unknown[] = [];
  const onError = (err: unknown) => processErrors.push(err);
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);

  return {
    env,
    api,
    port,
    calls,
    totalCalls: () => calls.start + calls.signal + calls.signalWithStart + calls.update,
    logLines,
    processErrors,
    alive: async () => {
      const res = await rawRequest(port, { method: 'GET', target: '/healthz' }, 5_000);
      return res.kind === 'response' && res.status === 200;
    },
    ticketWorkflowIds: async () => {
      const ids: string[] = [];
      for await (const w of client.workflow.list({ query: `WorkflowType = "${TICKET_WORKFLOW_TYPE}"` })) ids.push(w.workflowId);
      return ids.sort();
    },
    stop: async () => {
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
      await api.stop();
      await env.teardown();
      rmSync(inboxDir, { recursive: true, force: true });
    },
  };
}
