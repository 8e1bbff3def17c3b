/**
 * The sandbox: when no real Connect API or Zendesk is configured, `npm start` runs the Connect,
 * Zendesk and white-label simulators in-process and wires their webhooks to the bridge, so a
 * person can play the end user (or the white-label client and teammate) and the agent over plain
 * HTTP (`/sandbox/...`) and watch the bridge keep them in step.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { play } from './sandbox-play';
import { ConnectSource } from '../adapters/connect';
import { assigneeResolver, WhitelabelSource } from '../adapters/whitelabel';
import { ZendeskCrm } from '../adapters/zendesk';
import type { ActivityDeps } from '../activities';
import type { WhitelabelWebhookConfig } from '../config';
import { createLogger } from '../observability/logger';
import { ConnectSimulator } from '../simulators/connect';
import type { WhitelabelSimulator } from '../simulators/whitelabel';
import { ZendeskSimulator } from '../simulators/zendesk';
import { loadSandboxState, sandboxState, SandboxStateWriter, type StateLogger } from './sandbox-state';
import {
  SANDBOX_TEAMMATE_ID,
  startWhitelabelSimulator,
  whitelabelInstructions,
  whitelabelPlayRouter,
  wireWhitelabelSimulator,
} from './sandbox-whitelabel';

export interface Sandbox {
  connect: ConnectSimulator;
  zendesk: ZendeskSimulator;
  whitelabel: WhitelabelSimulator;
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
    },
  ): void;
  /** Routes for a person to act as the end user and the agent. */
  router: Router;
  /** Stops the simulators, then (with a state file) saves their state a last time. */
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /**
   * Keep the simulators' tickets, users and id counters in this JSON file: loaded at start when
   * it exists, saved shortly after every change and at `stop()` (src/runtime/sandbox-state.ts).
   * Without it, everything lives in memory and is gone at stop.
   */
  stateFile?: string;
  /** Where the state file's warnings go. Default: a logger of the sandbox's own. */
  logger?: StateLogger;
}

const BRIDGE_EMAIL = 'bridge@sandbox.test';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { stateFile, logger = createLogger({ base: { service: 'ticket-bridge', component: 'sandbox' } }) } = options;
  const saved = stateFile ? await loadSandboxState(stateFile, logger) : null;
  // Created once all three run, as it reads them; what changes while they start (the Zendesk
  // account's first users) is in its first write. Not in the file: URLs, API keys and webhook
  // secrets, which the worker's ports and `connectWebhooks` take from the running simulators.
  let writer: SandboxStateWriter | undefined;
  const onChange = () => writer?.changed();
  const connect = await ConnectSimulator.start({ snapshot: saved?.connect, onChange });
  const zendesk = await ZendeskSimulator.start({ bridgeEmail: BRIDGE_EMAIL, snapshot: saved?.zendesk, onChange });
  const whitelabel = await startWhitelabelSimulator({ snapshot: saved?.whitelabel, onChange });
  if (stateFile) {
    writer = new SandboxStateWriter(stateFile, () => sandboxState({ connect, zendesk, whitelabel }), logger);
    // The file exists (and holds this start's state) from the start.
    writer.changed();
  }
  return {
    connect,
    zendesk,
    whitelabel,
    ports: {
      sources: {
        connect: new ConnectSource({ baseUrl: connect.url, apiKey: connect.apiKey }),
        whitelabel: new WhitelabelSource({ baseUrl: whitelabel.url, apiKey: whitelabel.apiKey }),
      },
      crm: new ZendeskCrm({ baseUrl: zendesk.apiUrl, email: BRIDGE_EMAIL, apiToken: zendesk.apiToken }),
      // The seed's teammate is the simulated Zendesk agent; any other teammate is unmapped.
      assignees: { whitelabel: assigneeResolver({ [SANDBOX_TEAMMATE_ID]: String(zendesk.agent.id) }) },
    },
    connectWebhooks(apiUrl, secrets) {
      connect.webhookUrl = `${apiUrl}/webhooks/connect?auth_token=${encodeURIComponent(secrets.connectWebhookToken)}`;
      zendesk.webhookUrl = `${apiUrl}/webhooks/zendesk`;
      zendesk.webhookSecret = secrets.zendeskWebhookSecret;
      wireWhitelabelSimulator(whitelabel, apiUrl, secrets);
    },
    router: express.Router().use(sandboxRouter(connect, zendesk), whitelabelPlayRouter(whitelabel, zendesk)),
    stop: async () => {
      await connect.stop();
      await zendesk.stop();
      await whitelabel.stop();
      await writer?.close();
    },
  };
}

const newTicket = z.object({ title: z.string().min(1).max(200), description: z.string().min(1).max(5000) });
const userComment = z.object({ message: z.string().min(1).max(5000) });
const resolution = z.object({ resolved: z.boolean(), details: z.string().min(1).max(5000).optional() });
const agentReply = z.object({
  body: z.string().min(1).max(5000),
  public: z.boolean().default(true),
  status: z.enum(['open', 'pending', 'hold', 'solved']).optional(),
});
const agentStatus = z.object({ status: z.enum(['open', 'pending', 'hold', 'solved', 'closed']) });

function sandboxRouter(connect: ConnectSimulator, zendesk: ZendeskSimulator): Router {
  const router = express.Router();
  router.use('/sandbox', express.json({ limit: '20kb' }));

  const none = z.object({}).passthrough();

  router.post('/sandbox/user/tickets', play(newTicket, async (body) => {
    const { ticket } = await connect.userCreatesTicket(body);
    return { ticketId: ticket.id };
  }));
  router.post('/sandbox/user/tickets/:id/comments', play(userComment, async (body, p) => {
    await connect.userComments(p.id, body.message);
  }));
  router.post('/sandbox/user/tickets/:id/resolution', play(resolution, async (body, p) => {
    if (body.resolved) await connect.userConfirmsResolved(p.id);
    else await connect.userRejectsResolution(p.id, body.details ?? 'Not resolved.');
  }));
  router.delete('/sandbox/user/tickets/:id', play(none, async (_b, p) => {
    await connect.userDeletesTicket(p.id);
  }));
  router.post('/sandbox/agent/tickets/:zendeskId/replies', play(agentReply, async (body, p) => {
    await zendesk.agentReplies(p.zendeskId, body.body, { public: body.public, status: body.status });
  }));
  router.post('/sandbox/agent/tickets/:zendeskId/status', play(agentStatus, async (body, p) => {
    await zendesk.agentSetsStatus(p.zendeskId, body.status);
  }));
  router.get('/sandbox/tickets/:id', (req, res) => {
    const app = connect.ticket(req.params.id);
    if (!app) {
      res.status(404).json({ error: 'not_found', message: `no ticket ${req.params.id} in the app` });
      return;
    }
    const zd = zendesk.ticketByExternalId(`connect:${app.id}`);
    res.json({
      app: { id: app.id, status: app.status, comments: app.comments.map((c) => ({ author: c.author, message: c.message })) },
      zendesk: zd
        ? {
            id: zd.id,
            status: zd.status,
            comments: zendesk.comments(zd.id).map((c) => ({ authorId: c.author_id, public: c.public, body: c.body })),
          }
        : null,
    });
  });
  return router;
}

/** What `npm start` prints so a person can play both sides. */
export function sandboxInstructions(apiUrl: string, opsToken: string): string {
  return [
    '',
    '  Sandbox: the Connect API, Zendesk and the white-label platform are simulated in this process.',
    '',
    '  Play the end user (in the app):',
    `    curl -s -XPOST ${apiUrl}/sandbox/user/tickets -H 'content-type: application/json' \\`,
    `      -d '{"title":"Meter reading looks wrong","description":"My reading doubled overnight."}'`,
    `    curl -s -XPOST ${apiUrl}/sandbox/user/tickets/T-1001/comments -H 'content-type: application/json' -d '{"message":"Here is a photo"}'`,
    `    curl -s -XPOST ${apiUrl}/sandbox/user/tickets/T-1001/resolution -H 'content-type: application/json' -d '{"resolved":true}'`,
    '',
    '  Play the agent (in Zendesk; the ticket id is in the state below):',
    `    curl -s -XPOST ${apiUrl}/sandbox/agent/tickets/1/replies -H 'content-type: application/json' -d '{"body":"Could you send a photo?"}'`,
    `    curl -s -XPOST ${apiUrl}/sandbox/agent/tickets/1/status -H 'content-type: application/json' -d '{"status":"solved"}'`,
    '',
    ...whitelabelInstructions(apiUrl, opsToken),
    '  Watch both sides and the workflow:',
    `    curl -s ${apiUrl}/sandbox/tickets/T-1001`,
    `    curl -s ${apiUrl}/tickets/connect/1001 -H 'authorization: Bearer ${opsToken}'`,
    '',
  ].join('\n');
}
