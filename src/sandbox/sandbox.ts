/**
 * The sandbox: when no remote is configured (or `SANDBOX=1`), `npm start` runs the Connect,
 * helpdesk (Zendesk, or Freshdesk with `CRM=freshdesk`) and white-label simulators in-process
 * and wires their webhooks to the bridge, so a person can play the end user (or the white-label
 * client and teammate) and the agent over plain HTTP (`/sandbox/...`) and watch the bridge keep
 * them in step. With some remotes real, only the others are played: their routes alone are
 * mounted (`simulate`).
 */
import express, { type Router } from 'express';
import type { RouteDoc } from '../api/docs/route-docs';
import { quietRequestLog } from '../api/request-log';
import { agentPlayRouter } from './agent';
import { sandboxRouteDocs } from './docs';
import { DEFAULT_PLAY_WAIT_MS } from './play';
import { BridgeSettling, type WorkflowIdle } from './settle';
import type { TourIds, TourSides } from './tour';
import { userPlayRouter } from './user';
import { ConnectSource } from '../adapters/connect';
import { assigneeResolver, WhitelabelSource } from '../adapters/whitelabel';
import { FreshdeskCrm } from '../adapters/freshdesk';
import { ZendeskCrm } from '../adapters/zendesk';
import type { ActivityDeps } from '../activities';
import type { CrmKind } from '../config/freshdesk';
import type { WhitelabelWebhookConfig } from '../config/whitelabel';
import { createLogger } from '../observability/logger';
import { ConnectSimulator } from '../simulators/connect';
import { FreshdeskSimulator } from '../simulators/freshdesk';
import type { WhitelabelSimulator } from '../simulators/whitelabel';
import { ZendeskSimulator } from '../simulators/zendesk';
import { freshdeskHelpdesk, zendeskHelpdesk, type SandboxHelpdesk } from './helpdesk';
import { assertSameHelpdesk, loadSandboxState, sandboxState, SandboxStateWriter, type StateLogger } from './state';
import {
  nextPlatformTicketId,
  SANDBOX_TEAMMATE_ID,
  startWhitelabelSimulator,
  whitelabelPlayRouter,
  wireWhitelabelSimulator,
} from './whitelabel';

export interface Sandbox {
  connect: ConnectSimulator;
  /** Runs whichever the helpdesk (it keeps its tickets in the state file). */
  zendesk: ZendeskSimulator;
  /** With `helpdesk: 'freshdesk'` only. */
  freshdesk: FreshdeskSimulator | null;
  whitelabel: WhitelabelSimulator;
  /** The helpdesk the bridge writes to and the agent plays in. */
  helpdesk: SandboxHelpdesk;
  /** The ports the worker uses: the simulators, over real HTTP. */
  ports: ActivityDeps;
  /** Points the simulators' webhooks at the running API. */
  connectWebhooks(
    apiUrl: string,
    secrets: {
      connectWebhookToken: string;
      zendeskWebhookSecret: string;
      whitelabelWebhookSecret: string;
      whitelabelWebhook: WhitelabelWebhookConfig;
      /** With a simulated Freshdesk (`CRM=freshdesk`). */
      freshdeskWebhookToken: string | null;
    },
  ): void;
  /** Lets the "both sides" routes wait for the ticket's workflow (see ./settle.ts). */
  followBridge(idle: WorkflowIdle): void;
  /** Routes for a person to act as the end user and the agent (of the simulated sides only). */
  router: Router;
  /** Those routes, for `/openapi.json`. */
  routeDocs: RouteDoc[];
  /** The simulated sides. */
  simulated: TourSides;
  /** The ids the tour's tickets will get (the simulators' next ones). */
  tourIds(): TourIds;
  /** Stops the simulators, then (with a state file) saves their state a last time. */
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /**
   * Keep the simulators' tickets, users and id counters in this JSON file: loaded at start when
   * it exists, saved shortly after every change and at `stop()` (src/sandbox/state.ts).
   * Without it, everything lives in memory and is gone at stop.
   */
  stateFile?: string;
  /** Where the state file's warnings go. Default: a logger of the sandbox's own. */
  logger?: StateLogger;
  /** The sides to play (their routes are mounted); default all. All three simulators run regardless, to keep one state file. */
  simulate?: TourSides;
  /**
   * The helpdesk to simulate: Zendesk (default) or Freshdesk, its state in the file with the
   * others'. A file whose other helpdesk has tickets refuses the start (`assertSameHelpdesk`).
   */
  helpdesk?: CrmKind;
  /** How long a play route waits for the bridge's part (see ./play.ts). */
  waitMs?: number;
}

const BRIDGE_EMAIL = 'bridge@sandbox.test';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { stateFile, logger = createLogger({ base: { service: 'ticket-bridge', component: 'sandbox' } }) } = options;
  const simulated = options.simulate ?? { connect: true, helpdesk: true, whitelabel: true };
  const waitMs = options.waitMs ?? DEFAULT_PLAY_WAIT_MS;
  const saved = stateFile ? await loadSandboxState(stateFile, logger) : null;
  if (stateFile) assertSameHelpdesk(saved, options.helpdesk ?? 'zendesk', stateFile);
  // Created once all three run, as it reads them; what changes while they start (the Zendesk
  // account's first users) is in its first write. Not in the file: URLs, API keys and webhook
  // secrets, which the worker's ports and `connectWebhooks` take from the running simulators.
  let writer: SandboxStateWriter | undefined;
  const onChange = () => writer?.changed();
  const connect = await ConnectSimulator.start({ snapshot: saved?.connect, onChange });
  const zendesk = await ZendeskSimulator.start({ bridgeEmail: BRIDGE_EMAIL, snapshot: saved?.zendesk, onChange });
  const whitelabel = await startWhitelabelSimulator({ snapshot: saved?.whitelabel, onChange });
  const freshdesk = options.helpdesk === 'freshdesk' ? await FreshdeskSimulator.start({ snapshot: saved?.freshdesk, onChange }) : null;
  if (stateFile) {
    writer = new SandboxStateWriter(stateFile, () => sandboxState({ connect, zendesk, whitelabel, freshdesk, savedFreshdesk: saved?.freshdesk }), logger);
    // The file exists (and holds this start's state) from the start.
    writer.changed();
  }
  const helpdesk = freshdesk ? freshdeskHelpdesk(freshdesk) : zendeskHelpdesk(zendesk);
  const crm = freshdesk
    ? new FreshdeskCrm({ baseUrl: freshdesk.apiUrl, apiKey: freshdesk.apiKey, externalIdField: freshdesk.externalIdField })
    : new ZendeskCrm({ baseUrl: zendesk.apiUrl, email: BRIDGE_EMAIL, apiToken: zendesk.apiToken });
  const settling = new BridgeSettling([connect.webhooks, helpdesk.webhooks, whitelabel.webhooks]);
  return {
    connect,
    zendesk,
    freshdesk,
    whitelabel,
    helpdesk,
    ports: {
      sources: {
        connect: new ConnectSource({ baseUrl: connect.url, apiKey: connect.apiKey }),
        whitelabel: new WhitelabelSource({ baseUrl: whitelabel.url, apiKey: whitelabel.apiKey }),
      },
      crm,
      // The seed's teammate is the simulated helpdesk's agent; any other teammate is unmapped.
      assignees: { whitelabel: assigneeResolver({ [SANDBOX_TEAMMATE_ID]: String(helpdesk.agentId) }) },
    },
    connectWebhooks(apiUrl, secrets) {
      // A side that is real sends its own webhooks; its idle simulator stays silent.
      if (simulated.connect) connect.webhookUrl = `${apiUrl}/webhooks/connect?auth_token=${encodeURIComponent(secrets.connectWebhookToken)}`;
      if (simulated.helpdesk && freshdesk) {
        freshdesk.webhookUrl = `${apiUrl}/webhooks/freshdesk?token=${encodeURIComponent(secrets.freshdeskWebhookToken ?? '')}`;
      } else if (simulated.helpdesk) {
        zendesk.webhookUrl = `${apiUrl}/webhooks/zendesk`;
        zendesk.webhookSecret = secrets.zendeskWebhookSecret;
      }
      if (simulated.whitelabel) wireWhitelabelSimulator(whitelabel, apiUrl, secrets);
    },
    followBridge: (idle) => settling.follow(idle),
    router: playRouter({ connect, helpdesk, whitelabel }, simulated, { waitMs, settling }),
    routeDocs: sandboxRouteDocs(simulated, helpdesk),
    simulated,
    tourIds: () => {
      // The tour creates the closed ticket second: it gets the id after the first's.
      const next = connect.nextTicketId();
      const number = Number(next.replace(/^T-/, ''));
      return { connectTicket: next, closedTicket: `T-${number + 1}`, platformTicket: nextPlatformTicketId(whitelabel) };
    },
    stop: async () => {
      await connect.stop();
      await zendesk.stop();
      await freshdesk?.stop();
      await whitelabel.stop();
      await writer?.close();
    },
  };
}

/**
 * The play routes of the simulated sides. Bodies are JSON whatever their Content-Type (a bare
 * `curl -d '{…}'` sends form encoding); the request lines are logged at debug (see request-log).
 */
function playRouter(
  sims: { connect: ConnectSimulator; helpdesk: SandboxHelpdesk; whitelabel: WhitelabelSimulator },
  simulated: TourSides,
  { waitMs, settling }: { waitMs: number; settling: BridgeSettling },
): Router {
  const { connect, helpdesk, whitelabel } = sims;
  const settled = (workflowId: string) => settling.settled(workflowId, waitMs);
  const router = express.Router();
  router.use('/sandbox', quietRequestLog, express.json({ limit: '20kb', type: () => true }));
  if (simulated.connect) router.use(userPlayRouter(connect, helpdesk, { waitMs, settled }));
  if (simulated.helpdesk) {
    // What the user wrote: the app ticket's description and USER comments, the client's replies.
    const userMessages = (source: 'connect' | 'whitelabel', id: string): string[] | null => {
      if (source === 'connect') {
        const t = connect.ticket(id);
        return t ? [t.description, ...t.comments.filter((c) => c.author === 'USER').map((c) => c.message)] : null;
      }
      const t = whitelabel.ticket(id);
      return t ? t.replies.filter((r) => r.is_client_reply).map((r) => r.text) : null;
    };
    router.use(agentPlayRouter(helpdesk, userMessages, waitMs));
  }
  if (simulated.whitelabel) router.use(whitelabelPlayRouter(whitelabel, helpdesk, settled));
  return router;
}
