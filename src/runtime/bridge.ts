/**
 * The bridge's two halves, wired: the Temporal worker (workflows + activities over the ports)
 * and the HTTP API (webhooks → signals, ops → queries). `npm start`, `npm run worker`,
 * `npm run api` and the end-to-end tests all assemble the bridge through these functions.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { createReconcilerActivities } from '../activities/reconcile';
import type { Router } from 'express';
import { API_ROUTERS, createApp, type ApiConfig } from '../api/app';
import { type RunningCodecServer, startCodecServer } from '../api/codec/router';
import { createTemporalGateway } from '../api/temporal-gateway';
import { createApiServer } from '../api/client-error';
import { createApiMetrics } from '../api/metrics';
import type { RouteDoc } from '../api/docs/route-docs';
import { openWebhookInbox, type RunningWebhookInbox, type WebhookInboxOptions } from '../api/inbox';
import { startTicketCounts } from '../api/ticket-counts';
import { activityAttemptLogger } from '../observability/activity-log';
import type { Logger } from '../observability/logger';
import { dataConverterFrom, type PayloadEncryption } from '../security/codec/data-converter';
import type { TicketWorkflowSettings } from '../workflows/definitions';
import { createBridgeWorker } from '../worker';
import { ensureReconciler } from './reconciler';
import { DEFAULT_WORKER_MAX_CACHED_WORKFLOWS } from '../config/worker';

export interface WorkerHalfOptions {
  nativeConnection: NativeConnection;
  namespace: string;
  taskQueue: string;
  ports: ActivityDeps;
  /**
   * Must match the clients' (`createClient`): the worker decrypts what they send and encrypts
   * what it records. A prebuilt `overrides.workflowBundle` must be bundled with `bundleOptionsFrom`.
   */
  payloadEncryption: PayloadEncryption;
  /** Run the reconciler's activity here and make sure the reconciler workflow runs. */
  reconciler?: { client: Client; intervalMs: number };
  /** Where the one-line-per-activity-attempt log goes (src/observability/activity-log.ts); none when absent. */
  logger?: Logger;
  /**
   * `WORKER_MAX_CACHED_WORKFLOWS`: an explicit bound, so the worker's memory does not grow with
   * the number of open tickets (the SDK's default sizes the cache from the heap).
   */
  maxCachedWorkflows?: number;
  overrides?: Partial<WorkerOptions>;
}

export interface RunningWorkerHalf {
  worker: Worker;
  /** Settles when the worker has stopped (rejects on a fatal worker error). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerHalf(options: WorkerHalfOptions): Promise<RunningWorkerHalf> {
  const worker = await createBridgeWorker({
    connection: options.nativeConnection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: {
      // File transfers log sizes, types and hashes where the activity attempts log.
      ...createActivities({ ...(options.logger && { logger: options.logger }), ...options.ports }),
      ...(options.reconciler && createReconcilerActivities({ client: options.reconciler.client, ...options.ports })),
    },
    overrides: {
      dataConverter: dataConverterFrom(options),
      maxCachedWorkflows: options.maxCachedWorkflows ?? DEFAULT_WORKER_MAX_CACHED_WORKFLOWS,
      ...options.overrides,
      interceptors: {
        ...options.overrides?.interceptors,
        activity: [...(options.logger ? [activityAttemptLogger(options.logger)] : []), ...(options.overrides?.interceptors?.activity ?? [])],
      },
    },
  });
  const done = worker.run();
  if (options.reconciler) await ensureReconciler(options.reconciler.client, options.taskQueue, options.reconciler.intervalMs);
  return {
    worker,
    done,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

export interface ApiHalfOptions {
  client: Client;
  taskQueue: string;
  config: ApiConfig;
  workflowSettings: Partial<TicketWorkflowSettings>;
  logger: Logger;
  port: number;
  host?: string;
  /** Routers mounted after the API's own (the sandbox's play routes). */
  extraRouters?: Router[];
  /** Their routes, for `/openapi.json`. */
  extraRouteDocs?: readonly RouteDoc[];
  /**
   * The durable inbox of webhooks Temporal cannot take (`INBOX_DIR`, `INBOX_MAX_ENTRIES`; see
   * src/api/inbox). Each API instance needs a directory of its own that outlives the process.
   * Its entries are encrypted with `config.payloadEncryption`'s keyring.
   */
  inbox: { dir: string; maxEntries: number; retry?: WebhookInboxOptions['retry'] };
}

export interface RunningApiHalf {
  server: Server;
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  /** The codec server's own listener (`CODEC_LISTEN`); absent: it is on `url`, or not served. */
  codecUrl?: string;
  /** The inbox's depth and age (what `/readyz` and the metrics show). */
  inbox: Pick<RunningWebhookInbox, 'stats'>;
  /** Closes the HTTP server, then stops delivering from the inbox and closes it. */
  stop(): Promise<void>;
}

export async function startApiHalf(options: ApiHalfOptions): Promise<RunningApiHalf> {
  const metrics = createApiMetrics({ processMetrics: true });
  const gateway = createTemporalGateway({
    client: options.client,
    taskQueue: options.taskQueue,
    workflowSettings: options.workflowSettings,
    onCallError: metrics.temporalCallError,
  });
  // Before the server listens: what a previous process queued starts on its way at once.
  const inbox = await openWebhookInbox({
    ...options.inbox,
    payloadEncryption: options.config.payloadEncryption ?? { mode: 'off' },
    // The plain gateway: a replay that fails must stay in the inbox, not be queued again.
    gateway,
    logger: options.logger,
    onDelivered: metrics.inboxDelivered,
  });
  const deps = { config: options.config, gateway, inbox, logger: options.logger, metrics, extraRouteDocs: options.extraRouteDocs };
  const extra = (options.extraRouters ?? []).map((router) => () => router);
  const app = createApp(deps, [...API_ROUTERS, ...extra]);
  const host = options.host ?? '127.0.0.1';
  let codec: RunningCodecServer | undefined;
  let server: Server;
  try {
    // The codec server's own listener (CODEC_LISTEN) first: a bad address stops the start.
    if (options.config.codecListen) codec = await startCodecServer({ config: options.config, logger: options.logger }, options.config.codecListen);
    server = await new Promise<Server>((resolve, reject) => {
      // JSON errors for malformed HTTP too (see createApiServer), not Node's bare 400s.
      const s = createApiServer(app, options.config.http);
      s.once('error', reject);
      s.listen(options.port, host, () => resolve(s));
    });
  } catch (err) {
    await codec?.close();
    await inbox.stop();
    throw err;
  }
  // Tickets by status for the metrics (TICKET_COUNTS_INTERVAL), once the API is up.
  const countsEvery = options.config.ticketCountsIntervalMs;
  const ticketCounts = countsEvery ? startTicketCounts({ count: gateway.countTickets, counted: metrics.ticketsCounted, intervalMs: countsEvery, logger: options.logger }) : null;
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${port}`,
    ...(codec && { codecUrl: codec.url }),
    inbox,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await codec?.close();
      await inbox.stop();
      await ticketCounts?.stop();
      // The handlers cut off above may still wait on Temporal: let them end before the connection does.
      await gateway.drain();
    },
  };
}
