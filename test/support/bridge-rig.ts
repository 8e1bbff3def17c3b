/**
 * The whole bridge on loopback for end-to-end tests: a Temporal service from the harness, the
 * Connect, white-label and Zendesk simulators, and the bridge's worker and API assembled exactly
 * as production assembles them (src/runtime/bridge.ts). The simulators send their webhooks to
 * the API, so a test plays the end user (or white-label client) and the agent and watches both sides.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, type WorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import type { AttachmentSettings } from '../../src/activities/comment-files';
import { ConnectSource } from '../../src/adapters/connect';
import { assigneeResolver, WhitelabelSource, type AssigneeMap } from '../../src/adapters/whitelabel';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import { CRM_NAMES, type CrmKind } from '../../src/config/freshdesk';
import { crmFromConfig } from '../../src/runtime/ports';
import { FreshdeskSimulator } from '../../src/simulators/freshdesk';
import type { ApiConfig } from '../../src/api/app';
import { crmExternalId, ticketWorkflowId, type SourceKind } from '../../src/domain/ticket';
import type { TicketMapping } from '../../src/mapping';
import { startApiHalf, startWorkerHalf, type RunningApiHalf, type RunningWorkerHalf } from '../../src/runtime/bridge';
import { createClient } from '../../src/runtime/client';
import { bundleOptionsFrom, type PayloadEncryption } from '../../src/security/codec/data-converter';
import { ConnectSimulator } from '../../src/simulators/connect';
import { WhitelabelSimulator } from '../../src/simulators/whitelabel';
import { ZendeskSimulator, type ZdTicket } from '../../src/simulators/zendesk';
import { WORKFLOWS_PATH } from '../../src/worker';
import { stateQuery, type TicketStateView, type TicketWorkflowSettings } from '../../src/workflows/definitions';
import { bundleWorkflows, createTestEnv, eventually, uniqueTaskQueue, type TestEnv } from '../harness';
import { helpdeskOf, type Helpdesk } from './helpdesks';
import { capturingLogger } from './log-capture';

export interface BridgeRigOptions {
  /** `TICKET_COUNTS_INTERVAL` of the API half (the `ticket_bridge_tickets` gauge); off when absent. */
  ticketCountsIntervalMs?: number;
  workflowSettings?: Partial<TicketWorkflowSettings>;
  workerOverrides?: Partial<WorkerOptions>;
  /** The Connect simulator also notifies on the bridge's own writes (echo storms). */
  connectNotifiesOnApiWrites?: boolean;
  /**
   * `WHITELABEL_ASSIGNEES` of the bridge (teammate id → Zendesk user id). A function gets the
   * Zendesk simulator, to map teammates onto agents it created. Default: no mapping.
   */
  whitelabelAssignees?: AssigneeMap | ((zendesk: ZendeskSimulator, freshdesk: FreshdeskSimulator | null) => AssigneeMap);
  /**
   * Payload encryption of the bridge's client and worker (and its codec endpoints). Default off,
   * so tests may read payloads with `env.client`; `rig.client` always matches the bridge.
   */
  payloadEncryption?: PayloadEncryption;
  /**
   * Zendesk's clock (its `updated_at`s). Zendesk's versions have one-second resolution: a clock
   * that stands still makes every change fall in the same second, deterministically.
   */
  zendeskNow?: () => Date;
  /** Freshdesk's clock (its `updated_at`s and `created_at`s, also to the second), with `crm: 'freshdesk'`. */
  freshdeskNow?: () => Date;
  /** Run the reconciler with this interval (off by default: tests that want it say so). */
  reconcileIntervalMs?: number;
  /**
   * false: start no worker in this process (the fault suite runs the worker in a child process it
   * can SIGKILL; see test/faults/worker-process.ts). `worker` and `restartWorker` then throw. Default true.
   */
  inProcessWorker?: boolean;
  /**
   * The API's inbox directory (`INBOX_DIR`). Default: a fresh temporary directory, removed at
   * teardown; a given one is left in place.
   */
  inboxDir?: string;
  /** `ATTACHMENT_MAX_BYTES` / `ATTACHMENT_ALLOWED_TYPES` of the bridge (default: the defaults). */
  attachments?: AttachmentSettings;
  /** `WHITELABEL_ATTACHMENT_HOSTS`: hosts (host:port) the platform's assets may come from besides its API. */
  whitelabelAssetHosts?: string[];
  /**
   * `CRM`: the helpdesk tickets go to (default zendesk). With freshdesk, the Freshdesk simulator
   * plays it, the adapter is made from a configuration as production makes it (`crmFromConfig`),
   * and its automation webhooks go to `/webhooks/freshdesk`.
   */
  crm?: CrmKind;
  /** `MAPPING_FILE` of the bridge, checked; a function gets the Zendesk simulator (to name its agents). Default: none. */
  mapping?: TicketMapping | ((zendesk: ZendeskSimulator) => TicketMapping);
}

export interface BridgeRig {
  env: TestEnv;
  /** The client the bridge's API uses (with the bridge's data converter); `env.client` has none. */
  client: Client;
  connect: ConnectSimulator;
  zendesk: ZendeskSimulator;
  /** The Freshdesk simulator, with `crm: 'freshdesk'` (else null). */
  freshdesk: FreshdeskSimulator | null;
  /** The helpdesk tickets go to (`crm`), as scenarios shared by both play it (./helpdesks.ts). */
  helpdesk: Helpdesk;
  /** The white-label platform; like the real one, it also sends events for the bridge's own API writes. */
  whitelabel: WhitelabelSimulator;
  api: RunningApiHalf;
  worker: RunningWorkerHalf;
  taskQueue: string;
  apiConfig: ApiConfig;
  /** Every log line the API wrote, for "no personal data in logs" checks. */
  logLines: string[];
  /** Every log line the worker wrote (one per activity attempt, src/observability/activity-log.ts). */
  workerLogLines: string[];
  /** The ticket workflow's `state` query. */
  state(connectTicketId: string): Promise<TicketStateView>;
  /** The `state` query of any source's ticket workflow. */
  stateOf(source: SourceKind, ticketId: string): Promise<TicketStateView>;
  /** Waits for the Zendesk ticket the bridge creates for a source ticket, and returns it. */
  zendeskTicketFor(sourceTicketId: string, source?: SourceKind): Promise<ZdTicket>;
  /** Waits for the ticket workflow to complete and returns its result. */
  result(connectTicketId: string): Promise<TicketStateView>;
  /** Stops the worker (a crash, a deploy) and starts a new one on the same task queue. */
  restartWorker(overrides?: Partial<WorkerOptions>): Promise<void>;
  teardown(): Promise<void>;
}

/** The API configuration of a bridge under test: fixed secrets the simulators sign with. */
export function rigApiConfig(payloadEncryption: PayloadEncryption = { mode: 'off' }): ApiConfig {
  return {
    connectWebhookToken: 'connect-webhook-token',
    zendeskWebhookSecret: 'zendesk-webhook-secret',
    whitelabelWebhookSecret: 'whitelabel-webhook-secret',
    whitelabelWebhook: { signatureHeader: 'X-Whitelabel-Signature', signedPayload: 'timestamp.body', bodyLimitBytes: 32 * 1024 * 1024 },
    opsApiToken: 'ops-token-0123456789',
    codecAuthToken: 'codec-token-0123456789',
    bodyLimitBytes: 100 * 1024,
    webhookRoutes: { connect: true, zendesk: true, whitelabel: true, freshdesk: true },
    freshdeskWebhookToken: 'freshdesk-webhook-token',
    payloadEncryption,
  };
}

export async function startBridgeRig(options: BridgeRigOptions = {}): Promise<BridgeRig> {
  const env = await createTestEnv();
  const apiConfig: ApiConfig = {
    ...rigApiConfig(options.payloadEncryption),
    ...(options.crm && { crm: options.crm }),
    ...(options.ticketCountsIntervalMs && { ticketCountsIntervalMs: options.ticketCountsIntervalMs }),
  };
  const encryption = { payloadEncryption: apiConfig.payloadEncryption! };
  // The bridge's own client: same data converter as its worker (`env.client` stays plain).
  const client = createClient(env.connection, env.namespace, encryption);
  const connect = await ConnectSimulator.start({ notifyOn: options.connectNotifiesOnApiWrites ? 'all' : 'user' });
  const bridgeEmail = 'bridge@example.test';
  const zendesk = await ZendeskSimulator.start({ bridgeEmail, webhookSecret: apiConfig.zendeskWebhookSecret, ...(options.zendeskNow && { now: options.zendeskNow }) });
  const whitelabel = await WhitelabelSimulator.start({
    signing: {
      secret: apiConfig.whitelabelWebhookSecret,
      header: apiConfig.whitelabelWebhook.signatureHeader,
      recipe: apiConfig.whitelabelWebhook.signedPayload,
    },
  });
  const freshdesk = options.crm === 'freshdesk' ? await FreshdeskSimulator.start({ ...(options.freshdeskNow && { now: options.freshdeskNow }) }) : null;
  const assignees = typeof options.whitelabelAssignees === 'function' ? options.whitelabelAssignees(zendesk, freshdesk) : (options.whitelabelAssignees ?? {});
  const ports = {
    sources: {
      connect: new ConnectSource({ baseUrl: connect.url, apiKey: connect.apiKey }),
      whitelabel: new WhitelabelSource({ baseUrl: whitelabel.url, apiKey: whitelabel.apiKey, downloads: { extraHosts: options.whitelabelAssetHosts ?? [] } }),
    },
    crm: freshdesk ? freshdeskCrm(freshdesk) : new ZendeskCrm({ baseUrl: zendesk.apiUrl, email: bridgeEmail, apiToken: zendesk.apiToken }),
    assignees: { whitelabel: assigneeResolver(assignees) },
    ...(options.attachments && { attachments: options.attachments }),
    ...(options.mapping && { mapping: typeof options.mapping === 'function' ? options.mapping(zendesk) : options.mapping }),
  };
  const taskQueue = uniqueTaskQueue('bridge');
  const workflowBundle =
    encryption.payloadEncryption.mode === 'required' ? await encryptingBundle(encryption) : await bundleWorkflows(WORKFLOWS_PATH);
  const workerLogLines: string[] = [];
  const workerLogger = capturingLogger(workerLogLines);
  const startWorker = (overrides?: Partial<WorkerOptions>) =>
    startWorkerHalf({
      nativeConnection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      ports,
      // Off by default: payloads stay plain JSON, as in the sandbox (see `payloadEncryption`).
      payloadEncryption: encryption.payloadEncryption,
      reconciler: options.reconcileIntervalMs ? { client, intervalMs: options.reconcileIntervalMs } : undefined,
      logger: workerLogger,
      overrides: { workflowBundle, ...options.workerOverrides, ...overrides },
    });
  let worker: RunningWorkerHalf | undefined = options.inProcessWorker === false ? undefined : await startWorker();
  const inProcess = (): RunningWorkerHalf => {
    if (!worker) throw new Error('this rig runs no in-process worker (inProcessWorker: false)');
    return worker;
  };

  const logLines: string[] = [];
  const logger = capturingLogger(logLines);
  const ownInboxDir = options.inboxDir ? null : mkdtempSync(join(tmpdir(), 'ticket-bridge-inbox-'));
  const api = await startApiHalf({
    client,
    taskQueue,
    config: apiConfig,
    // As `workflowSettingsFrom` writes it: the helpdesk in use names itself in the timeline and the memo.
    workflowSettings: { crmName: CRM_NAMES[options.crm ?? 'zendesk'], ...options.workflowSettings },
    logger,
    port: 0,
    inbox: { dir: options.inboxDir ?? ownInboxDir!, maxEntries: 10_000 },
  });
  connect.webhookUrl = `${api.url}/webhooks/connect?auth_token=${apiConfig.connectWebhookToken}`;
  zendesk.webhookUrl = `${api.url}/webhooks/zendesk`;
  whitelabel.webhookUrl = `${api.url}/webhooks/whitelabel`;
  if (freshdesk) freshdesk.webhookUrl = `${api.url}/webhooks/freshdesk?token=${apiConfig.freshdeskWebhookToken}`;
  // Probed once, as a load balancer does before it sends traffic: the API then knows the
  // namespace's retention (sync rules 1.7) by the first webhook.
  const readiness = await fetch(`${api.url}/readyz`);
  await readiness.text();

  const handle = (id: string, source: SourceKind = 'connect') => client.workflow.getHandle(ticketWorkflowId(source, id));
  const rig: BridgeRig = {
    env,
    client,
    connect,
    zendesk,
    freshdesk,
    helpdesk: helpdeskOf({ zendesk, freshdesk }),
    whitelabel,
    api,
    get worker() {
      return inProcess();
    },
    taskQueue,
    apiConfig,
    logLines,
    workerLogLines,
    state: (id) => handle(id).query(stateQuery),
    stateOf: (source, id) => handle(id, source).query(stateQuery),
    result: (id) => handle(id).result(),
    zendeskTicketFor: (id, source = 'connect') =>
      eventually(() => {
        const ticket = zendesk.ticketByExternalId(crmExternalId(source, id));
        if (!ticket) throw new Error(`no Zendesk ticket for ${source} ticket ${id} yet`);
        return ticket;
      }),
    restartWorker: async (overrides) => {
      await inProcess().stop();
      worker = await startWorker(overrides);
    },
    teardown: async () => {
      await api.stop();
      await worker?.stop();
      await connect.stop();
      await zendesk.stop();
      await freshdesk?.stop();
      await whitelabel.stop();
      await env.teardown();
      if (ownInboxDir) rmSync(ownInboxDir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** The Freshdesk adapter as a `CRM=freshdesk` configuration makes it (the simulator on loopback). */
function freshdeskCrm(sim: FreshdeskSimulator) {
  const freshdesk = { apiUrl: sim.apiUrl, apiKey: sim.apiKey, externalIdField: sim.externalIdField, statuses: null, attachmentHosts: [] };
  const crm = crmFromConfig({ zendesk: null, freshdesk, outbound: { attachmentHosts: { connect: [], zendesk: [], whitelabel: [] }, allowedAddresses: [] } });
  if (!crm) throw new Error('no CRM from a Freshdesk configuration');
  return crm;
}

/** The workflow bundle with the encrypting failure converter inside (`bundleOptionsFrom`), built once per file. */
let encryptingBundlePromise: Promise<WorkflowBundle> | undefined;
function encryptingBundle(encryption: { payloadEncryption: PayloadEncryption }): Promise<WorkflowBundle> {
  const quiet = () => undefined;
  const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (m: string) => process.stderr.write(`[bundler] ${m}\n`) };
  encryptingBundlePromise ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...bundleOptionsFrom(encryption),
    logger,
  });
  return encryptingBundlePromise;
}

/** A rig for the tests of one `describe`: started before them, torn down after. Call it at describe level. */
export function rigPerSuite(options: BridgeRigOptions = {}): () => BridgeRig {
  let rig: BridgeRig;
  beforeAll(async () => {
    rig = await startBridgeRig(options);
  });
  afterAll(async () => {
    await rig?.teardown();
  });
  return () => rig;
}

/** A Connect ticket its user opened, once its workflow has linked it to its helpdesk ticket (`ticketId`). */
export async function openTicket(rig: BridgeRig, idPrefix: string) {
  const id = `${idPrefix}-${randomUUID().slice(0, 8)}`;
  await rig.connect.userCreatesTicket({ id, title: 'Heating off', description: 'No heat since Sunday.' });
  const ticketId = await rig.helpdesk.ticketFor(id);
  await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(ticketId)));
  return { id, ticketId, handle: rig.env.client.workflow.getHandle(`ticket/connect/${id}`) };
}

/** `openTicket` on Zendesk, with the Zendesk ticket as it was once linked. */
export async function openConnectTicket(rig: BridgeRig, idPrefix: string) {
  const opened = await openTicket(rig, idPrefix);
  return { ...opened, zd: rig.zendesk.ticket(opened.ticketId)! };
}
