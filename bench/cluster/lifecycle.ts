/**
 * One Connect ticket's whole lifecycle, played on the simulators (the people), timed step by
 * step; and, afterwards, the check of its end state on both sides and in Temporal.
 *
 * Each step is an action on one side, then a wait until its effect shows on the other: the time
 * between is what a person waits for the bridge (webhook, workflow, activities, both remotes).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { crmExternalId, ticketWorkflowId } from '../../src/domain/ticket';
import type { ConnectSimulator } from '../../src/simulators/connect';
import type { ZendeskSimulator } from '../../src/simulators/zendesk';

export interface Step {
  name: string;
  /** When the action was taken (epoch ms) and how long until its effect showed on the other side. */
  at: number;
  ms: number;
}

export interface Lifecycle {
  id: string;
  zendeskId: number | null;
  steps: Step[];
  /** Every step's effect showed within the step timeout. */
  completed: boolean;
  /** The step that did not show in time. */
  timedOut?: string;
  texts: { agentReply: string; userReply: string };
}

interface Remotes {
  connect: ConnectSimulator;
  zendesk: ZendeskSimulator;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * `thinkMs`: how long the person waits before each step after the first (reading, then acting);
 * 0 acts the moment the previous step showed. Timing a step starts with its action.
 */
export async function runLifecycle(options: Remotes & { id: string; stepTimeoutMs: number; thinkMs?: number }): Promise<Lifecycle> {
  const { connect, zendesk, id } = options;
  const texts = { agentReply: `Could you send a photo of the meter? (${id})`, userReply: `Here it is: 10432 kWh (${id})` };
  const lc: Lifecycle = { id, zendeskId: null, steps: [], completed: false, texts };
  const step = async (name: string, act: () => Promise<unknown>, shows: () => boolean): Promise<boolean> => {
    if (lc.steps.length > 0 && options.thinkMs) await sleep(options.thinkMs);
    const at = Date.now();
    await act();
    if (!(await until(shows, options.stepTimeoutMs))) {
      lc.timedOut = name;
      return false;
    }
    lc.steps.push({ name, at, ms: Date.now() - at });
    return true;
  };
  const zdTicket = () => zendesk.ticketByExternalId(crmExternalId('connect', id));
  const cnTicket = () => connect.ticket(id)!;

  if (!(await step('user creates → Zendesk ticket', () => connect.userCreatesTicket({ id, title: 'Meter reading looks wrong', description: `My reading doubled overnight. (${id})` }), () => zdTicket() !== undefined))) return lc;
  const zd = zdTicket()!.id;
  lc.zendeskId = zd;
  if (!(await step('agent replies → in Connect', () => zendesk.agentReplies(zd, texts.agentReply), () => cnTicket().comments.some((c) => c.message === texts.agentReply)))) return lc;
  if (!(await step('user replies → in Zendesk', () => connect.userComments(id, texts.userReply), () => zendesk.comments(zd).some((c) => c.body === texts.userReply)))) return lc;
  if (!(await step('agent solves → SOLVED in Connect', () => zendesk.agentSetsStatus(zd, 'solved'), () => cnTicket().status === 'SOLVED'))) return lc;
  if (!(await step('user confirms → closed in Zendesk', () => connect.userConfirmsResolved(id), () => zendesk.ticket(zd)?.status === 'closed'))) return lc;
  lc.completed = true;
  return lc;
}

export type ProblemKind = 'lost' | 'duplicated' | 'echoed' | 'stuck';

export interface TicketVerdict {
  id: string;
  problems: { kind: ProblemKind; detail: string }[];
}

/**
 * The end state of one ticket: lost (a step never showed, or a side not closed), duplicated (two
 * Zendesk tickets, a comment twice), echoed (a comment copied back to the side it came from),
 * stuck (its workflow still running at `settleUntil`).
 */
export async function checkTicket(options: Remotes & { client: Client; lifecycle: Lifecycle; settleUntil: number }): Promise<TicketVerdict> {
  const { connect, zendesk, lifecycle: lc } = options;
  const problems: TicketVerdict['problems'] = [];
  const add = (kind: ProblemKind, detail: string) => problems.push({ kind, detail });
  if (!lc.completed) add('lost', `"${lc.timedOut}" did not show within the step timeout`);

  const copies = zendesk.tickets().filter((t) => t.external_id === crmExternalId('connect', lc.id));
  if (copies.length > 1) add('duplicated', `${copies.length} Zendesk tickets`);
  const cn = connect.ticket(lc.id);
  if (lc.zendeskId !== null && cn) {
    const zdComments = zendesk.comments(lc.zendeskId);
    const inZendesk = (text: string) => zdComments.filter((c) => c.body === text).length;
    const inConnect = (text: string) => cn.comments.filter((c) => c.message === text).length;
    if (inConnect(lc.texts.agentReply) > 1) add('duplicated', `agent reply ${inConnect(lc.texts.agentReply)}× in Connect`);
    if (inZendesk(lc.texts.userReply) > 1) add('duplicated', `user reply ${inZendesk(lc.texts.userReply)}× in Zendesk`);
    if (inZendesk(lc.texts.agentReply) > 1) add('echoed', `agent reply copied back into Zendesk`);
    if (inConnect(lc.texts.userReply) > 1) add('echoed', `user reply copied back into Connect`);
    if (lc.completed && cn.status !== 'CLOSED') add('lost', `Connect status ${cn.status}`);
    if (lc.completed && zendesk.ticket(lc.zendeskId)?.status !== 'closed') add('lost', `Zendesk status ${zendesk.ticket(lc.zendeskId)?.status}`);
  }

  // The workflow ends once both sides are closed; give it (and the echoes) time to get there.
  const handle = options.client.workflow.getHandle(ticketWorkflowId('connect', lc.id));
  for (;;) {
    const status = await handle.describe().then(
      (d) => d.status.name,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND' as const;
        throw err;
      },
    );
    if (status === 'NOT_FOUND') {
      // Its first webhook never reached Temporal, and nothing else starts a ticket's workflow.
      add('lost', 'no workflow');
      break;
    }
    if (status !== 'RUNNING') {
      if (status !== 'COMPLETED') add('stuck', `workflow ${status}`);
      break;
    }
    if (Date.now() > options.settleUntil) {
      add('stuck', 'workflow still RUNNING');
      break;
    }
    await sleep(1_000);
  }
  return { id: lc.id, problems };
}
