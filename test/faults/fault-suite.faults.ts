/**
 * The fault suite (`npm run test:faults`): 200+ tickets driven through their whole lifecycle on
 * the simulators and the official Temporal dev server while the remotes fail, every webhook
 * arrives three times and shuffled, and the worker process is SIGKILLed mid-activity. At the end
 * every ticket must be in its correct final state on both sides, with no lost, duplicated or
 * echoed comment.
 *
 * Shape: the tickets move in lock-step phases (create → agent reply → user reply → solved → the
 * user's answer → second round → confirmations → SOLVED timers), each phase with its own faults,
 * so every fault overlaps many tickets. Everything runs in real time (a real server does not skip
 * time): fault windows last tens of seconds, so that activity retries (1 s, doubling) are back
 * within seconds of a window's end, and the SOLVED timer is configured to a few minutes. See
 * README.md beside this file.
 *
 * Beside phase 8 (which mostly waits for timers), a track of tickets of their own where users and
 * agents act on the same tickets at once, round after round, without waiting for the bridge or
 * the webhooks: comments racing comments, agent status changes racing user replies, users
 * closing while an agent replies — each round in outages of its own, with a fourth kill.
 *
 * Beside phases 2–7, the edges track (issue 17) on tickets of its own: a Zendesk ticket an admin
 * deleted, a requester merged or deleted, an agent reply whose landed-copy check was refused, a
 * message after the end, 404 incidents of minutes on Connect reads (per ticket, through
 * ticket-fault-proxy.ts) with the reads while parked counted against the re-read schedule.
 *
 * Knobs: FAULT_TICKETS (Connect tickets, default 200), FAULT_WL_TICKETS (white-label tickets,
 * default 24), FAULT_RACE_TICKETS (Connect tickets of the interleaved track, default 40),
 * FAULT_RACE_WL_TICKETS (its white-label tickets, default 8), FAULT_EDGE_TICKETS (the edges track's
 * tickets per case, default 3), FAULT_KILLS (0–4, default 4),
 * FAULT_SOLVED_TIMER_MS (default 6 minutes).
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { deriveStatus } from '../../src/adapters/whitelabel/mapping';
import { DELETED_NOTE } from '../../src/domain/lifecycle';
import { ticketWorkflowId, type SourceKind } from '../../src/domain/ticket';
import type { FaultHandle, FaultSpec } from '../../src/simulators/common/faults';
import type { ConnectSimulator } from '../../src/simulators/connect';
import type { ZdComment, ZdStatus, ZdTicket, ZendeskSimulator } from '../../src/simulators/zendesk';
import type { TicketStateView } from '../../src/workflows/definitions';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { TicketFaultProxy, type TicketFaultHandle } from './ticket-fault-proxy';
import { WebhookShuffler } from './webhook-shuffler';
import { WorkerSupervisor } from './worker-supervisor';

const { EventType, TimeoutType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

const CONNECT_TICKETS = Number(process.env.FAULT_TICKETS ?? 200);
const WL_TICKETS = Number(process.env.FAULT_WL_TICKETS ?? 24);
/** The interleaved track (see `interleavedTrack`): Connect tickets, half of them closed by their users. */
const RACE_TICKETS = Number(process.env.FAULT_RACE_TICKETS ?? 40);
const RACE_WL_TICKETS = Number(process.env.FAULT_RACE_WL_TICKETS ?? 8);
/** The edges track (see `edgesTrack`): tickets per edge case (six cases). */
const EDGE_TICKETS = Number(process.env.FAULT_EDGE_TICKETS ?? 3);
/** Kills in phases 1, 3 and 6, and a fourth in the interleaved track. */
const KILLS = Math.min(4, Number(process.env.FAULT_KILLS ?? 4));
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/**
 * The rig's SOLVED auto-close timer (production: 72 h). The timers of phase 8's tickets start
 * when the agents solve (phase 4), so phases 5–7 must fit inside it with room to spare, and the
 * users of phases 5 and 7 answer right after a solve, minutes before its timer: both are checked
 * per ticket against the deadline the workflow reports, not assumed.
 */
const SOLVED_TIMER_MS = Number(process.env.FAULT_SOLVED_TIMER_MS ?? 6 * MINUTE);
/** A user's answer must reach the workflow (webhook, shuffler, signal) before the timer fires: it is sent at least this long before. */
const ANSWER_LEAD_MS = MINUTE;
/** Phase 8 opens its status-write outage this long before a group's first timer fires. */
const OUTAGE_LEAD_MS = 5 * SECOND;
/** …and ends it this long after the last of the group's closes was refused (they are refused again meanwhile). */
const OUTAGE_TAIL_MS = 5 * SECOND;
/** A phase is over once no webhook came for this long (see `quiet`). */
const QUIET_MS = 3 * SECOND;
/** After the last phase: webhooks still in the shuffler are delivered, and anything that would wrongly write again has time to. */
const SETTLE_MS = 15 * SECOND;
/** The interleaved track: its rounds start this far apart, whatever the bridge has done of the last one. */
const RACE_ROUND_MS = 30 * SECOND;
/** …and its tickets must have settled (both sides agreeing, the webhooks quiet) this long after its last round. */
const RACE_SETTLE_TIMEOUT_MS = 4 * MINUTE;
/**
 * The workflows' `sourceGoneAfterMs` (production: 10 minutes): how long a side answers 404
 * before the source ticket is parked, or the Zendesk ticket is taken as deleted by an admin.
 * No other track sees a 404 (the edges track's come from its own proxy, per ticket).
 */
const SOURCE_GONE_AFTER_MS = 45 * SECOND;
/** The workflows' `refusedWriteRetryMs` (production: 5 minutes): a refused comment is parked after 2+4+8+16 s. */
const REFUSED_RETRY_MS = 2 * SECOND;
/** The documented re-read schedule of a side that answers 404: 2 s, doubling, at most every 5 minutes. */
const REREAD_FIRST_MS = 2 * SECOND;
const REREAD_MAX_MS = 5 * MINUTE;

jest.setTimeout(30 * MINUTE);

type Scenario =
  | 'confirm'
  | 'timer'
  | 'reopen-confirm'
  | 'reopen-timer'
  | 'delete'
  /** Interleaved track: the user closes the ticket (CLOSED) while the agent replies. */
  | 'race-close'
  /** Interleaved track: the ticket stays with the agents and users; it ends in whatever status the last race left. */
  | 'race-open'
  /** Edges track (see `edgesTrack`). */
  | `edge ${EdgeCase}`;

/** The edges track's cases, each on tickets of its own. */
const EDGE_CASES = ['zd-deleted', 'requester-merged', 'requester-deleted', 'landed-403', 'late-followup', 'source-404'] as const;
type EdgeCase = (typeof EDGE_CASES)[number];

/** Connect: 30% confirm, 20% timer, 20% reopen → confirm, 20% reopen → timer, 10% deleted. */
function connectScenario(i: number): Scenario {
  const r = i % 10;
  if (r < 3) return 'confirm';
  if (r < 5) return 'timer';
  if (r < 7) return 'reopen-confirm';
  if (r < 9) return 'reopen-timer';
  return 'delete';
}

/** The white-label platform has no "closed" and no deletion: its tickets end by the SOLVED timer. */
function whitelabelScenario(i: number): Scenario {
  return i % 2 === 0 ? 'timer' : 'reopen-timer';
}

interface TicketPlan {
  i: number;
  source: SourceKind;
  id: string;
  scenario: Scenario;
  description: string;
  /** Written by the user in the app: each must reach Zendesk once, as the requester's public comment. */
  userComments: string[];
  /** Public replies by the agent in Zendesk: each must reach the app once, as SUPPORT. */
  agentReplies: string[];
  /** Internal notes in Zendesk: never in the app. */
  notes: string[];
  zdId?: number;
  /** Epoch ms at which the SOLVED timer of the ticket's latest solve fires (the workflow's `solvedTimerDeadline`). */
  solvedTimerAt?: number;
  /** Deleted tickets: the app's comments just before the deletion (the app forgets them after). */
  commentsBeforeDelete?: SourceComment[];
  /** Interleaved track: the user closed the ticket (Connect CLOSED); that is final. */
  userClosed?: boolean;
  /**
   * Interleaved track: agent replies written while the user was closing the ticket. One the bridge
   * read only after the close may not reach the user: "not deliverable", when Zendesk has the
   * bridge's internal note saying so (see `verify`).
   */
  closeRaceReplies?: string[];
  /** Edges track: what its case did, for the checks. */
  edge?: EdgeFacts;
}

interface EdgeFacts {
  case: EdgeCase;
  /** zd-deleted: the message written after the admin deleted the Zendesk ticket (it cannot reach Zendesk). */
  strandedComment?: string;
  /** requester-merged: the Zendesk user the requester was merged into. */
  mergedInto?: number;
  /** requester-deleted: the message Zendesk refuses for good, and its Connect comment id. */
  refusedComment?: { text: string; id: string };
  /** landed-403: the proxy's faults (the lost write answer, the refused landed-copy read). */
  dropped?: TicketFaultHandle;
  refusedRead?: TicketFaultHandle;
  /** source-404: the incident (its reads answered 404), when it ended, and whether `parked` was seen during it. */
  incident?: TicketFaultHandle;
  incidentStartedAt?: number;
  incidentEndedAt?: number;
  parkedSeen?: boolean;
  /** late-followup: the follow-up Zendesk ticket. */
  followUpId?: number;
}

interface SourceComment {
  author: 'USER' | 'SUPPORT';
  message: string;
}

/** A source ticket as the suite checks it, whichever platform holds it. */
interface SourceView {
  /** Connect's status; the white-label status the adapter derives (no CLOSED there: SOLVED). */
  status: string;
  comments: SourceComment[];
}

const isReopen = (t: TicketPlan) => t.scenario === 'reopen-confirm' || t.scenario === 'reopen-timer';
const isRace = (t: TicketPlan) => t.scenario === 'race-close' || t.scenario === 'race-open';
const isEdge = (t: TicketPlan) => t.edge !== undefined;
const alive = (t: TicketPlan) => t.scenario !== 'delete';
const externalId = (t: TicketPlan) => `${t.source}:${t.id}`;
/** The source status a ticket ends in: Connect CLOSED; the white-label platform only knows `is_open: false`. */
const finalSourceStatus = (t: TicketPlan) => (t.source === 'connect' ? 'CLOSED' : 'SOLVED');

/**
 * The Zendesk statuses that mirror a source status under the bridge's rules: NEW↔new/open,
 * OPEN↔open/hold, PENDING↔pending, SOLVED↔solved, CLOSED↔closed — and PENDING↔open, the guide's
 * "support replied" (README, lifecycle table): an agent's public reply that set no status makes
 * the app wait on the user (PENDING) while Zendesk stays open. The interleaved track reaches it
 * when the bridge's late write of an older user comment reopens a ticket the agent had set
 * pending (Zendesk's own rule for a requester's comment), and the agent's reply is read after it.
 */
const ZD_MIRRORS: Record<string, readonly string[]> = {
  NEW: ['new', 'open'],
  OPEN: ['open', 'hold'],
  PENDING: ['pending', 'open'],
  SOLVED: ['solved'],
  CLOSED: ['closed'],
};
const statusesAgree = (sourceStatus: string | undefined, zdStatus: string | undefined) =>
  sourceStatus !== undefined && zdStatus !== undefined && (ZD_MIRRORS[sourceStatus]?.includes(zdStatus) ?? false);

/** The workflow applied the user's reply: OPEN for the agents, every user comment written. */
const reopenedInBridge = (s: TicketStateView, t: TicketPlan) =>
  s.status === 'OPEN' && s.crmStatus === 'open' && s.counts.userCommentsToCrm === t.userComments.length;
/** The workflow applied the agent's solve: SOLVED on both sides, every agent reply posted. */
const solvedInBridge = (s: TicketStateView, t: TicketPlan) =>
  s.status === 'SOLVED' && s.sourceStatus === 'SOLVED' && s.counts.agentRepliesToSource === t.agentReplies.length;

// ── faults ───────────────────────────────────────────────────────────────────────────────

interface BookedFault {
  phase: string;
  sim: string;
  spec: FaultSpec;
  handle: FaultHandle;
  /** Real epoch ms it was added. */
  at: number;
  /** How long it was in place, when the suite ended it by hand (`close`). */
  openMs?: number;
}

type FaultTarget = { fault(spec: FaultSpec): FaultHandle };

/** Every fault the suite injects, by phase, for the report. Windows are the simulators' own `forMs` (real time). */
class FaultBook {
  readonly all: BookedFault[] = [];
  phase = 'setup';

  /** `phase`: the interleaved track books its faults under its own rounds while phase 8 runs beside it. */
  add(sim: FaultTarget, simName: string, spec: FaultSpec, phase = this.phase): BookedFault {
    const booked: BookedFault = { phase, sim: simName, spec, handle: sim.fault(spec), at: Date.now() };
    this.all.push(booked);
    return booked;
  }

  /** Ends a fault that lasts until the suite says so. */
  close(f: BookedFault): void {
    f.handle.remove();
    f.openMs = Date.now() - f.at;
  }

  /** Ends every fault of the current phase, or of `phase` (counted faults may be left over). */
  endPhase(phase = this.phase): void {
    for (const f of this.all) if (f.phase === phase) f.handle.remove();
  }

  stop(): void {
    for (const f of this.all) f.handle.remove();
  }
}

// ── the suite ────────────────────────────────────────────────────────────────────────────────

describe(`fault suite: ${CONNECT_TICKETS + WL_TICKETS + RACE_TICKETS + RACE_WL_TICKETS + EDGE_CASES.length * EDGE_TICKETS} tickets through outages, rate limits, lost responses, shuffled webhooks, SIGKILLed workers and users racing agents`, () => {
  let rig: BridgeRig;
  let shuffler: WebhookShuffler;
  let workers: WorkerSupervisor;
  let faults: FaultBook;
  /** Between the worker and Connect: the edges track's faults of one ticket (see ticket-fault-proxy.ts). */
  let ticketFaults: TicketFaultProxy;
  const startedAt = Date.now();

  beforeAll(async () => {
    rig = await startBridgeRig({
      inProcessWorker: false,
      connectNotifiesOnApiWrites: true,
      workflowSettings: { solvedAutoCloseAfterMs: SOLVED_TIMER_MS, sourceGoneAfterMs: SOURCE_GONE_AFTER_MS, refusedWriteRetryMs: REFUSED_RETRY_MS },
    });
    ticketFaults = await TicketFaultProxy.start(rig.connect.url);
    shuffler = await WebhookShuffler.start({ target: rig.api.url, times: 3, windowMs: 150, concurrency: 12 });
    // The simulators send to the shuffler, which sends to the API (same paths and query).
    for (const sim of [rig.connect, rig.zendesk, rig.whitelabel]) {
      const url = new URL(sim.webhookUrl!);
      sim.webhookUrl = `${shuffler.url}${url.pathname}${url.search}`;
    }
    workers = new WorkerSupervisor({
      temporalAddress: rig.env.address,
      namespace: rig.env.namespace,
      taskQueue: rig.taskQueue,
      connect: { url: ticketFaults.url, apiKey: rig.connect.apiKey },
      zendesk: { apiUrl: rig.zendesk.apiUrl, email: rig.zendesk.bridgeUser.email!, apiToken: rig.zendesk.apiToken },
      whitelabel: { url: rig.whitelabel.url, apiKey: rig.whitelabel.apiKey },
      whitelabelAssignees: {},
    });
    await workers.start();
    faults = new FaultBook();
  }, 5 * MINUTE);

  afterAll(async () => {
    clearInterval(raceWatch);
    faults?.stop();
    await workers?.stop();
    await shuffler?.stop();
    await ticketFaults?.stop();
    await rig?.teardown();
  }, 2 * MINUTE);

  /** Waits for `done`, polling. Bounded; on timeout, says which tickets are stuck. */
  async function until(label: string, done: () => boolean | Promise<boolean>, opts: { timeoutMs?: number; stuck?: () => Promise<string> } = {}) {
    const timeoutMs = opts.timeoutMs ?? 5 * MINUTE;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await done()) return;
      if (Date.now() > deadline) {
        const detail = opts.stuck ? await opts.stuck().catch((e) => `(diagnostics failed: ${e})`) : '';
        throw new Error(`${label}: not done after ${timeoutMs / 1000} s\n${detail}\n${workers.stderr.slice(-10).join('')}`);
      }
      await realDelay(500);
    }
  }

  const plans: TicketPlan[] = [
    ...Array.from({ length: CONNECT_TICKETS }, (_, i): TicketPlan => {
      const id = `F${String(i).padStart(4, '0')}`;
      return { i, source: 'connect', id, scenario: connectScenario(i), description: `[${id}] The meter shows nothing since Monday.`, userComments: [], agentReplies: [], notes: [] };
    }),
    ...Array.from({ length: WL_TICKETS }, (_, i): TicketPlan => {
      const id = randomUUID();
      const tag = `W${String(i).padStart(3, '0')}`;
      return { i, source: 'whitelabel', id, scenario: whitelabelScenario(i), description: `[${tag}] The billing settings page stays blank.`, userComments: [], agentReplies: [], notes: [] };
    }),
  ];
  /**
   * The interleaved track's tickets: created in phase 1 with the others, then left alone until
   * phase 8, when their users and agents act at once (see `interleavedTrack`).
   */
  const races: TicketPlan[] = [
    ...Array.from({ length: RACE_TICKETS }, (_, i): TicketPlan => {
      const id = `R${String(i).padStart(4, '0')}`;
      const scenario = i % 2 === 0 ? 'race-close' : 'race-open';
      return { i, source: 'connect', id, scenario, description: `[${id}] The app logs me out every hour.`, userComments: [], agentReplies: [], notes: [] };
    }),
    ...Array.from({ length: RACE_WL_TICKETS }, (_, i): TicketPlan => {
      const id = randomUUID();
      const tag = `X${String(i).padStart(3, '0')}`;
      return { i, source: 'whitelabel', id, scenario: 'race-open', description: `[${tag}] Exports stop at 1000 rows.`, userComments: [], agentReplies: [], notes: [] };
    }),
  ];
  const everyone = [...plans, ...races];
  /**
   * The edges track's tickets: created when phase 1 is over, each case driven beside phases 2–7
   * (see `edgesTrack`); checked apart (`verifyEdges`), since each case ends its own way.
   */
  const edges: TicketPlan[] = EDGE_CASES.flatMap((edgeCase, c) =>
    Array.from({ length: EDGE_TICKETS }, (_, k): TicketPlan => {
      const i = c * EDGE_TICKETS + k;
      const source: SourceKind = edgeCase === 'late-followup' ? 'whitelabel' : 'connect';
      const id = source === 'connect' ? `E${String(i).padStart(4, '0')}` : randomUUID();
      const label = source === 'connect' ? id : `Y${String(i).padStart(3, '0')}`;
      return { i, source, id, scenario: `edge ${edgeCase}`, description: `[${label}] The app shows last year's bill.`, userComments: [], agentReplies: [], notes: [], edge: { case: edgeCase } };
    }),
  );
  /** A short, unique prefix for a ticket's texts. */
  const tag = (t: TicketPlan) => (t.source === 'connect' ? t.id : `${isEdge(t) ? 'Y' : isRace(t) ? 'X' : 'W'}${String(t.i).padStart(3, '0')}`);

  async function eachPlan(items: TicketPlan[], fn: (t: TicketPlan) => Promise<unknown>, chunk = 25): Promise<void> {
    for (let k = 0; k < items.length; k += chunk) await Promise.all(items.slice(k, k + chunk).map(fn));
  }

  /** Faults of the white-label platform, when the run has white-label tickets. */
  const wlFault = (spec: FaultSpec, phase?: string) =>
    WL_TICKETS + RACE_WL_TICKETS > 0 ? faults.add(rig.whitelabel, 'whitelabel', spec, phase) : undefined;

  // ── the people: end users in the apps, agents in Zendesk ───────────────────────────────────

  const user = {
    creates: (t: TicketPlan) =>
      t.source === 'connect'
        ? rig.connect.userCreatesTicket({ id: t.id, title: `Ticket ${t.id}`, description: t.description })
        : rig.whitelabel.clientCreatesTicket({
            id: t.id,
            title: `Ticket ${tag(t)}`,
            text: t.description,
            client: { id: randomUUID(), name: `Client ${tag(t)}`, email: `client.${tag(t).toLowerCase()}@example.test` },
          }),
    comments: (t: TicketPlan, text: string) => {
      t.userComments.push(text);
      return t.source === 'connect' ? rig.connect.userComments(t.id, text) : rig.whitelabel.clientReplies(t.id, text);
    },
    /** "Not resolved" on a SOLVED ticket: Connect's guide flow; on the white-label platform just a reply. */
    rejects: (t: TicketPlan, text: string) => {
      beforeSolvedTimer(t);
      t.userComments.push(text);
      return t.source === 'connect' ? rig.connect.userRejectsResolution(t.id, text) : rig.whitelabel.clientReplies(t.id, text);
    },
    /** "Resolved" on a SOLVED Connect ticket. */
    confirms: (t: TicketPlan) => {
      beforeSolvedTimer(t);
      return rig.connect.userConfirmsResolved(t.id);
    },
  };

  // ── the SOLVED timer, in real time ───────────────────────────────────────────────────────

  /** Records when each ticket's SOLVED timer fires, as its workflow computed it. */
  async function readSolvedTimers(items: TicketPlan[]): Promise<void> {
    await eachPlan(items, async (t) => {
      const state = await stateOf(t);
      if (state.status !== 'SOLVED' || state.solvedTimerDeadline === null) {
        throw new Error(`${t.source} ${t.id}: ${state.status} in the bridge, SOLVED timer ${state.solvedTimerDeadline ?? 'none'}; expected SOLVED with a timer`);
      }
      t.solvedTimerAt = Date.parse(state.solvedTimerDeadline);
    });
  }

  /** How long before its SOLVED timer each user's answer was sent (phases 5 and 7). */
  const answerLeads: number[] = [];

  /**
   * A user answering a SOLVED ticket must do so well before its timer closes it; a machine so
   * slow that this fails says so here rather than with a ticket stuck in a later phase.
   */
  function beforeSolvedTimer(t: TicketPlan): void {
    const lead = t.solvedTimerAt! - Date.now();
    if (lead < ANSWER_LEAD_MS) {
      throw new Error(`${t.source} ${t.id}: the user answers ${formatDuration(lead)} before the SOLVED timer fires (want ≥ ${formatDuration(ANSWER_LEAD_MS)}): raise FAULT_SOLVED_TIMER_MS`);
    }
    answerLeads.push(lead);
  }

  /** How long before each group's first SOLVED timer phase 8 was reached. */
  const timerLeads: number[] = [];

  /**
   * Phase 8, for the tickets of one solve: opens an outage of the apps' status writes just before
   * the first of their SOLVED timers fires, and ends it once the close of every one of them was
   * refused at least once. So every close meets the outage, and its retries (1 s, doubling) wait
   * no longer than the group's timers are spread.
   *
   * Watched on the server (`describe`), not with the `state` query: a query that reaches a cached
   * workflow between its timer firing and the task that handles it has made the workflow see its
   * old clock and re-arm the timer (see README.md, known bugs).
   */
  async function timersFireInOutage(group: TicketPlan[]): Promise<void> {
    if (group.length === 0) return;
    const lead = Math.min(...group.map((t) => t.solvedTimerAt!)) - Date.now();
    if (lead < OUTAGE_LEAD_MS) {
      throw new Error(`phase 8 began ${formatDuration(OUTAGE_LEAD_MS - lead)} too late to start its outage before the first SOLVED timer: phases 5–7 took too long for FAULT_SOLVED_TIMER_MS`);
    }
    timerLeads.push(lead);
    await realDelay(lead - OUTAGE_LEAD_MS);
    const outage = [
      faults.add(rig.connect, 'connect', { kind: 'error', status: 503, match: 'PUT /tickets/:id' }),
      wlFault({ kind: 'error', status: 503, match: 'PUT /tickets/:id' }),
    ];
    const refused = new Set<TicketPlan>();
    const allRefused = async () => {
      await eachPlan(
        group.filter((t) => !refused.has(t)),
        async (t) => {
          if (await closeRefused(t).catch(() => false)) refused.add(t);
        },
      );
      return refused.size === group.length;
    };
    const last = Math.max(...group.map((t) => t.solvedTimerAt!));
    await until(`phase 8: the timer-decided closes of ${group.length} tickets refused`, allRefused, {
      timeoutMs: last - Date.now() + 2 * MINUTE,
      stuck: () => describeStuck(group, (t) => refused.has(t)),
    });
    await realDelay(OUTAGE_TAIL_MS);
    for (const f of outage) if (f) faults.close(f);
  }

  /** The ticket's workflow is retrying a refused status write to the app (its SOLVED timer fired during the outage). */
  async function closeRefused(t: TicketPlan): Promise<boolean> {
    const { raw } = await workflowOf(t).describe();
    return raw.pendingActivities?.some((a) => a.activityType?.name === 'setSourceStatus' && (a.attempt ?? 0) > 1) ?? false;
  }

  /** Kills the worker while at least `minHeld` requests to `match` are held by a latency fault (the writes land after the kill). */
  async function killMidActivity(sim: ConnectSimulator | ZendeskSimulator, simName: string, match: string, minHeld: number, phase?: string) {
    if (workers.kills.length >= KILLS) return;
    const hold = faults.add(sim, simName, { kind: 'latency', match, delayMs: 7_000 }, phase);
    await until(`kill: ${minHeld} requests to ${simName} ${match} held`, () => hold.handle.hits >= minHeld, { timeoutMs: 2 * MINUTE });
    const record = await workers.kill();
    hold.handle.remove();
    process.stderr.write(`[faults] SIGKILLed worker pid ${record.pid}: ${record.interrupted.length} activities in flight, ${hold.handle.hits} requests held\n`);
    await workers.start();
  }

  // ── what the simulators show ─────────────────────────────────────────────────────────────

  const zdTicket = (t: TicketPlan): ZdTicket | undefined => (t.zdId === undefined ? undefined : rig.zendesk.ticket(t.zdId));
  const zdComments = (t: TicketPlan): ZdComment[] => (t.zdId === undefined ? [] : rig.zendesk.comments(t.zdId));

  function sourceView(t: TicketPlan): SourceView | undefined {
    if (t.source === 'connect') {
      const ticket = rig.connect.ticket(t.id);
      return ticket && { status: ticket.status, comments: ticket.comments.map((c) => ({ author: c.author, message: c.message })) };
    }
    const ticket = rig.whitelabel.ticket(t.id);
    if (!ticket) return undefined;
    // The opening reply is the description; the status is the adapter's own rule.
    const comments = ticket.replies.slice(1).map((r): SourceComment => ({ author: r.is_client_reply ? 'USER' : 'SUPPORT', message: r.text }));
    return { status: deriveStatus(ticket), comments };
  }
  const sourceStatus = (t: TicketPlan) => sourceView(t)?.status;
  const supportTexts = (t: TicketPlan) => sourceView(t)?.comments.filter((c) => c.author === 'SUPPORT').map((c) => c.message) ?? [];
  const containsAll = (have: string[], want: string[]) => want.every((w) => have.includes(w));
  const userCommentsInZendesk = (t: TicketPlan) => {
    const requester = zdTicket(t)?.requester_id;
    return zdComments(t).filter((c) => c.public && c.author_id === requester).map((c) => c.body);
  };
  const stateOf = (t: TicketPlan) => rig.stateOf(t.source, t.id);
  const workflowOf = (t: TicketPlan) => rig.client.workflow.getHandle(ticketWorkflowId(t.source, t.id));

  /**
   * The notes of every run of the ticket's workflow. A note belongs to the run that wrote it: the
   * deletion note is in the run that saw the 404s, and news after the close (the app's own
   * notification of it) may start a later run that ends without it.
   */
  async function notesOfEveryRun(t: TicketPlan): Promise<string[]> {
    const workflowId = ticketWorkflowId(t.source, t.id);
    const notes: string[] = [];
    for await (const run of rig.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      if (run.status.name !== 'COMPLETED') continue;
      const result = (await rig.client.workflow.getHandle(workflowId, run.runId).result()) as TicketStateView;
      notes.push(...result.notes);
    }
    return notes;
  }

  /** What the server holds for the ticket's workflow: a workflow task that keeps failing, an activity that keeps retrying. */
  async function pendingWork(t: TicketPlan) {
    const { raw } = await workflowOf(t).describe();
    const task = raw.pendingWorkflowTask;
    return {
      workflowTask: task && { state: task.state, attempt: task.attempt, ...(task.attempt && task.attempt > 1 && { lastFailure: await lastWorkflowTaskFailure(t) }) },
      activities: raw.pendingActivities?.map((a) => ({ type: a.activityType?.name, attempt: a.attempt, lastFailure: a.lastFailure?.message })),
    };
  }

  /** Why the workflow task keeps failing (a nondeterminism, a deadlock, a bug): the history's last failed or timed-out task. */
  async function lastWorkflowTaskFailure(t: TicketPlan): Promise<string> {
    const history = await workflowOf(t).fetchHistory();
    const last = [...(history.events ?? [])].reverse().find((e) => e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes);
    if (!last) return 'none in history';
    if (last.workflowTaskTimedOutEventAttributes) return `timed out (${TimeoutType[last.workflowTaskTimedOutEventAttributes.timeoutType ?? 0]})`;
    const failed = last.workflowTaskFailedEventAttributes!;
    return `${WorkflowTaskFailedCause[failed.cause ?? 0]}: ${failed.failure?.message ?? ''}`.slice(0, 600);
  }

  async function describeStuck(items: TicketPlan[], isDone: (t: TicketPlan) => boolean): Promise<string> {
    const stuck = items.filter((t) => !isDone(t));
    const lines = [`${stuck.length} of ${items.length} not done; first ones:`];
    for (const t of stuck.slice(0, 4)) {
      const state = await stateOf(t).then(
        (s) => ({ ...s, timeline: s.timeline.slice(-12).map((e) => `${e.at} ${e.kind} ${e.detail}`), fingerprints: undefined }),
        (e: Error) => ({ error: e.message }),
      );
      const z = zdTicket(t);
      lines.push(
        JSON.stringify({
          id: t.id,
          source: t.source,
          scenario: t.scenario,
          app: sourceView(t),
          zendesk: z && { status: z.status, comments: zdComments(t).map((c) => `${c.author_id}${c.public ? '' : '(note)'}:${c.body.slice(0, 60)}`) },
          state,
          server: await pendingWork(t).catch((e: Error) => ({ error: e.message })),
        }),
      );
    }
    return lines.join('\n');
  }

  /**
   * The bridge's own writes come back as webhooks, late (the shuffler's queue runs tens of
   * seconds behind at the busiest) and in any order, and a late one can still move a ticket
   * (see README.md, known bugs): quiet means every webhook was delivered and none came for
   * QUIET_MS, time for the syncs those deliveries started to write what they decided.
   */
  async function quiet(): Promise<boolean> {
    await shuffler.drain(2 * MINUTE);
    const received = shuffler.stats.received;
    await realDelay(QUIET_MS);
    return shuffler.idle() && shuffler.stats.received === received;
  }

  /**
   * Waits until every ticket of the phase shows the expected state in the simulators (`sims`)
   * AND its workflow has finished applying it (`bridge`, on the `state` query), and still does
   * once the webhooks are quiet: the people of the next phase act on what they see, and the
   * bridge must not still be writing the last step (see README.md: a late status write can
   * override a newer human change).
   */
  async function phase(
    name: string,
    items: TicketPlan[],
    sims: (t: TicketPlan) => boolean,
    bridge: (s: TicketStateView, t: TicketPlan) => boolean,
    opts: {
      refresh?: () => Promise<void>;
      timeoutMs?: number;
      /** The fault phases it ends (default: the current one), and when it began (default: `beginPhase`). */
      faultPhases?: string[];
      startedAt?: number;
      /** Given: a timeout is handed to it instead of failing the run (the interleaved track; `verify` says what is wrong). */
      onTimeout?: (err: Error) => void;
    } = {},
  ) {
    const done = new Set<TicketPlan>();
    const check = async () => {
      await opts.refresh?.();
      const candidates = items.filter((t) => !done.has(t) && sims(t));
      await eachPlan(candidates, async (t) => {
        const state = await stateOf(t).catch(() => null);
        if (state && bridge(state, t)) done.add(t);
      });
      return done.size === items.length;
    };
    const settled = async () => {
      if (!(await check()) || !(await quiet())) return false;
      done.clear(); // look again: a late webhook may have moved a ticket counted done
      return check();
    };
    try {
      await until(`phase ${name}`, settled, { timeoutMs: opts.timeoutMs ?? 6 * MINUTE, stuck: () => describeStuck(items, (t) => done.has(t)) });
    } catch (err) {
      if (!opts.onTimeout) throw err;
      opts.onTimeout(err as Error);
    }
    for (const p of opts.faultPhases ?? [faults.phase]) faults.endPhase(p);
    const took = Date.now() - (opts.startedAt ?? phaseStartedAt);
    phaseDurations.push([name, took]);
    process.stderr.write(`[faults] phase ${name}: ${items.length} tickets done in ${formatDuration(took)}, ${formatDuration(Date.now() - startedAt)} since the start\n`);
  }

  /** Real time each phase took, from its first action to its last ticket done. */
  const phaseDurations: [string, number][] = [];
  let phaseStartedAt = 0;
  function beginPhase(name: string): void {
    faults.phase = name;
    phaseStartedAt = Date.now();
  }

  // ── the interleaved track: users and agents on the same tickets at once ─────────────────

  /** What the interleaved track did, for the report. */
  const raceStats = {
    /** Actions by users and agents on the track's tickets. */
    actions: 0,
    /** …of which came while the ticket's earlier actions were not yet mirrored on both sides (a comment not across, the statuses not agreeing). */
    onUnmirrored: 0,
    /** Agent writes Zendesk refused because the bridge had already closed the ticket (the user's CLOSED won the race). */
    agentRefused: 0,
    /** Real ms from the track's start to each round's first action. */
    rounds: [] as [string, number][],
    /** The settle wait's timeout, if it ran out (then `verify` says which tickets are wrong). */
    settleTimeout: null as string | null,
  };

  /** Every comment so far on both sides and, for Connect, the two statuses mirroring each other. */
  function mirrored(t: TicketPlan): boolean {
    const view = sourceView(t);
    const z = zdTicket(t);
    if (!view || !z) return false;
    if (!containsAll(userCommentsInZendesk(t), t.userComments) || !containsAll(supportTexts(t), t.agentReplies)) return false;
    return t.source === 'connect' ? statusesAgree(view.status, z.status) : true;
  }

  /** A person's action: what it is (for the ticket's log) and doing it. */
  type Move = [label: string, fn: () => Promise<unknown>];
  /** What the people did on each track ticket, when (real time), and what both sides showed just before: printed for a ticket that ends wrong. */
  const raceLog = new Map<TicketPlan, string[]>();
  let raceStartedAt = 0;
  const raceClock = () => `${((Date.now() - raceStartedAt) / 1000).toFixed(2)} s`;
  const bothSides = (t: TicketPlan) => `app ${sourceStatus(t)} / Zendesk ${zdTicket(t)?.status}`;

  /**
   * Every status change of a track ticket on either side, as the simulators show it (polled every
   * 100 ms from the track's start to the end of the run), in the ticket's log.
   */
  let raceWatch: NodeJS.Timeout | undefined;
  function watchRaceStatuses(): void {
    const last = new Map<TicketPlan, string>();
    const look = () => {
      for (const t of races) {
        const now = bothSides(t);
        const before = last.get(t);
        if (before !== undefined && before !== now) {
          const log = raceLog.get(t) ?? [];
          raceLog.set(t, log);
          log.push(`${raceClock()}   sides now ${now}`);
        }
        last.set(t, now);
      }
    };
    look();
    raceWatch = setInterval(look, 100);
  }

  /** One person's action on a track ticket, counted (and whether it came before the ticket was mirrored). */
  async function act(t: TicketPlan, [label, fn]: Move): Promise<void> {
    raceStats.actions++;
    const ahead = !mirrored(t);
    if (ahead) raceStats.onUnmirrored++;
    const log = raceLog.get(t) ?? [];
    raceLog.set(t, log);
    log.push(`${raceClock()} ${label} (${bothSides(t)}${ahead ? ', not mirrored yet' : ''})`);
    await fn();
  }

  /** Two people act on one ticket at once: `first`, then `second` `gapMs` later, neither waiting for the other or for the bridge. */
  async function race(t: TicketPlan, first: Move, second: Move, gapMs: number): Promise<void> {
    const a = act(t, first);
    a.catch(() => undefined); // awaited below
    await realDelay(gapMs);
    await Promise.all([a, act(t, second)]);
  }

  /** A deterministic spread for the track (no two tickets race the same way at the same moment): 0–1.4 s. */
  const gapOf = (t: TicketPlan, round: number) => ((t.i * 7 + round * 3) % 8) * 200;
  /** Who moves first, alternating by ticket and round. */
  const userFirst = (t: TicketPlan, round: number) => (t.i + round) % 2 === 0;
  const inOrder = (t: TicketPlan, round: number, userAct: Move, agentAct: Move) =>
    userFirst(t, round) ? race(t, userAct, agentAct, gapOf(t, round)) : race(t, agentAct, userAct, gapOf(t, round));

  /** Agents in Zendesk. What they write is recorded first; a write Zendesk refuses because the bridge already closed the ticket is taken back. */
  const agent = {
    async write(t: TicketPlan, text: string | null, fn: () => Promise<unknown>): Promise<void> {
      if (text !== null) t.agentReplies.push(text);
      try {
        await fn();
      } catch (err) {
        if (zdTicket(t)?.status !== 'closed') throw err;
        raceStats.agentRefused++;
        if (text !== null) t.agentReplies = t.agentReplies.filter((r) => r !== text);
        if (text !== null) t.closeRaceReplies = t.closeRaceReplies?.filter((r) => r !== text);
      }
    },
    replies(t: TicketPlan, text: string, status?: ZdStatus) {
      return agent.write(t, text, async () => {
        if (status === 'solved' && zdTicket(t)?.assignee_id === null) await rig.zendesk.agentAssigns(t.zdId!, rig.zendesk.agent.id);
        await rig.zendesk.agentReplies(t.zdId!, text, status ? { status } : {});
      });
    },
    setsStatus(t: TicketPlan, status: ZdStatus) {
      return agent.write(t, null, () => rig.zendesk.agentSetsStatus(t.zdId!, status));
    },
    addsNote(t: TicketPlan, text: string) {
      t.notes.push(text);
      return agent.write(t, null, () => rig.zendesk.agentAddsNote(t.zdId!, text));
    },
  };

  /**
   * Beside phase 8: three rounds, `RACE_ROUND_MS` apart whatever the bridge has done of the last
   * one, in which the user and the agent of every track ticket act at once (0–1.4 s apart, either
   * first), each round in outages of its own:
   *
   * 1. comments racing comments (and internal notes), while Zendesk holds then refuses the
   *    bridge's writes (the fourth kill), loses answers, and Connect fails reads and loses
   *    comment answers;
   * 2. the agent solves (race-close) or sets pending (race-open), some with a reply, while the user
   *    replies: Connect down, Zendesk 429s, dropped status writes;
   * 3. race-close: the user confirms (CLOSED) while the agent replies (half of them "submit as
   *    pending"); race-open: the user replies while the agent puts it on hold or replies pending;
   *    white-label: comments racing again. Zendesk down, lost answers, failing Connect status writes.
   *
   * Then it waits for the track's tickets to settle (every comment across or not deliverable, the
   * statuses agreeing, the webhooks quiet); `verify` checks them with the others.
   */
  async function interleavedTrack(): Promise<void> {
    if (races.length === 0) return;
    const { connect, zendesk } = rig;
    const startedAt = Date.now();
    raceStartedAt = startedAt;
    watchRaceStatuses();
    const round = async (name: string, at: number, faultsOf: () => void, actions: (t: TicketPlan) => Promise<void>) => {
      await realDelay(startedAt + at - Date.now());
      raceStats.rounds.push([name, Date.now() - startedAt]);
      faultsOf();
      await Promise.all(races.map(actions));
    };
    const userSays = (t: TicketPlan, text: string): Move => [`user: "${text}"`, () => user.comments(t, `[${tag(t)}] user: ${text}`)];
    const agentSays = (t: TicketPlan, text: string, status?: ZdStatus): Move => [
      `agent: "${text}"${status ? ` + ${status}` : ''}`,
      () => agent.replies(t, `[${tag(t)}] agent: ${text}`, status),
    ];
    const agentSets = (t: TicketPlan, status: ZdStatus): Move => [`agent sets ${status}`, () => agent.setsStatus(t, status)];

    // 1. Comments racing comments.
    const I1 = 'I1 comments';
    let kill: Promise<void> = Promise.resolve();
    await round(
      I1,
      0,
      () => {
        kill = killMidActivity(zendesk, 'zendesk', 'PUT /tickets/:id.json', heldFor(races, 8), I1);
        kill.catch(() => undefined); // awaited below
        faults.add(connect, 'connect', { kind: 'error', status: 502, match: 'GET /tickets/:id', forMs: 15 * SECOND }, I1);
        faults.add(connect, 'connect', { kind: 'drop-after-write', match: 'POST /tickets/:id/comment', times: 8 }, I1);
        // Counted, not windowed: the track's white-label workflows are often still retrying
        // Zendesk when a window would end (a run saw 0 hits on 15 s windows).
        wlFault({ kind: 'drop-after-write', match: 'POST /tickets/:id/replies', times: 4 }, I1);
      },
      async (t) => {
        await inOrder(t, 1, userSays(t, 'it happened again at 9:14'), agentSays(t, 'which app version do you use?'));
        await realDelay(1_500 + (t.i % 5) * 400);
        const wifi = agentSays(t, 'does it happen on wifi too?');
        const noteThenWifi: Move = [
          `agent: internal note, then ${wifi[0]}`,
          async () => {
            await agent.addsNote(t, `[${tag(t)}] note: known logout bug, internal only`);
            await wifi[1]();
          },
        ];
        await inOrder(t, 2, userSays(t, 'version 4.2, on my phone'), t.i % 3 === 0 ? noteThenWifi : wifi);
      },
    );
    await kill;
    faults.add(zendesk, 'zendesk', { kind: 'error', status: 500, match: 'PUT /tickets/:id.json', forMs: 20 * SECOND }, I1);
    faults.add(zendesk, 'zendesk', { kind: 'drop-after-write', match: 'PUT /tickets/:id.json', times: 8 }, I1);

    // 2. Agent status changes racing user replies.
    const I2 = 'I2 status';
    await round(
      I2,
      RACE_ROUND_MS,
      () => {
        faults.add(connect, 'connect', { kind: 'error', status: 503, match: '*', forMs: 20 * SECOND }, I2);
        // Counted, and windowed too: a count alone can fall on the last ticket still writing, whose
        // retries then take every one left, each after a longer back-off (a run saw one ticket take
        // 8 of I3's 500s in a row: 4 min), which tests the settle time's luck, not the bridge.
        faults.add(connect, 'connect', { kind: 'drop', match: 'PUT /tickets/:id', times: 10, forMs: 60 * SECOND }, I2);
        faults.add(zendesk, 'zendesk', { kind: 'rate-limit', match: '*', retryAfter: 5, forMs: 15 * SECOND }, I2);
        wlFault({ kind: 'error', status: 503, match: 'GET /tickets/:id', times: 8 }, I2);
      },
      async (t) => {
        if (t.source === 'whitelabel') {
          await inOrder(t, 3, userSays(t, 'it stops at row 1000 again'), agentSays(t, 'could you send the export settings?', 'pending'));
        } else if (t.scenario === 'race-close') {
          const solves = t.i % 4 === 0 ? agentSays(t, 'fixed in 4.3, solving this.', 'solved') : agentSets(t, 'solved');
          await inOrder(t, 3, userSays(t, 'and now it logged me out twice'), solves);
        } else {
          const parks = t.i % 4 === 1 ? agentSays(t, 'waiting for your logs.', 'pending') : agentSets(t, 'pending');
          await inOrder(t, 3, userSays(t, 'still happening today'), parks);
        }
      },
    );

    // 3. The user closes while the agent replies; the others race again.
    const I3 = 'I3 close';
    await round(
      I3,
      2 * RACE_ROUND_MS,
      () => {
        faults.add(zendesk, 'zendesk', { kind: 'error', status: 503, match: '*', forMs: 20 * SECOND }, I3);
        faults.add(zendesk, 'zendesk', { kind: 'drop-after-write', match: 'PUT /tickets/:id.json', times: 10 }, I3);
        faults.add(connect, 'connect', { kind: 'error', status: 500, match: 'PUT /tickets/:id', times: 15, forMs: 60 * SECOND }, I3); // see I2's drop
        faults.add(connect, 'connect', { kind: 'drop-after-write', match: 'POST /tickets/:id/comment', times: 6 }, I3);
      },
      async (t) => {
        if (t.source === 'whitelabel') {
          await inOrder(t, 4, userSays(t, 'same with CSV'), agentSays(t, 'the limit is lifted tonight.'));
        } else if (t.scenario === 'race-close') {
          const tip = agentSays(t, 'one more tip: update to 4.3.1.', t.i % 4 === 2 ? 'pending' : undefined);
          t.closeRaceReplies = [`[${tag(t)}] agent: one more tip: update to 4.3.1.`];
          const closes: Move = [
            'user confirms: CLOSED',
            async () => {
              t.userClosed = true;
              await connect.userConfirmsResolved(t.id);
            },
          ];
          await inOrder(t, 4, closes, tip);
        } else {
          const agentMove = t.i % 4 === 1 ? agentSets(t, 'hold') : agentSays(t, 'please send the logs from today.', 'pending');
          await inOrder(t, 4, userSays(t, 'here are more details'), agentMove);
        }
      },
    );

    // Settle: faults over (windows end by themselves; counted ones when this is done), both sides agreeing.
    const settleStart = Date.now();
    await phase(
      'interleaved',
      races,
      raceSettledInSims,
      (s, t) => {
        if (t.userClosed) return s.completed;
        const z = zdTicket(t);
        return (
          s.counts.userCommentsToCrm === t.userComments.length &&
          s.counts.agentRepliesToSource === t.agentReplies.length &&
          s.crmStatus === z?.status &&
          (t.source !== 'connect' || s.sourceStatus === sourceStatus(t))
        );
      },
      {
        faultPhases: [I1, I2, I3],
        startedAt,
        timeoutMs: RACE_SETTLE_TIMEOUT_MS,
        onTimeout: (err) => {
          raceStats.settleTimeout = err.message;
          process.stderr.write(`[faults] interleaved track did not settle in ${formatDuration(Date.now() - settleStart)}:\n${err.message}\n`);
        },
      },
    );
  }

  /**
   * A track ticket is where the rules leave both sides: every user comment in Zendesk; every agent
   * reply in the app, apart from those racing the user's close; a ticket the user closed CLOSED
   * and closed; any other: Connect's status mirroring Zendesk's, white-label open with Zendesk open.
   */
  function raceSettledInSims(t: TicketPlan): boolean {
    const view = sourceView(t);
    const z = zdTicket(t);
    if (!view || !z) return false;
    if (!containsAll(userCommentsInZendesk(t), t.userComments)) return false;
    const support = supportTexts(t);
    if (!t.userClosed) return containsAll(support, t.agentReplies) && raceStatusesAgree(t, view.status, z.status);
    const accounted = (reply: string) =>
      support.includes(reply) ||
      undeliveredNotesFor(t, reply).length > 0 ||
      (t.closeRaceReplies?.includes(reply) === true && !workerWritesUndeliveredNotes());
    return t.agentReplies.every(accounted) && view.status === 'CLOSED' && z.status === 'closed';
  }

  /** A note by the bridge in Zendesk saying an agent's reply did not reach the user. */
  const isUndeliveredNote = (c: ZdComment) =>
    !c.public && c.author_id === rig.zendesk.bridgeUser.id && /did not reach|not (?:been )?delivered|undeliverable/i.test(c.body);

  /** The bridge's "did not reach the user" notes that name `reply` (by its Zendesk comment id, or quote it). */
  function undeliveredNotesFor(t: TicketPlan, reply: string): ZdComment[] {
    const comments = zdComments(t);
    const ids = comments.filter((c) => c.body === reply).map((c) => String(c.id));
    return comments.filter((c) => isUndeliveredNote(c) && (c.body.includes(reply) || ids.some((id) => new RegExp(`\\b${id}\\b`).test(c.body))));
  }

  /**
   * The status check of a track ticket that its user did not close. Connect: the mirror mapping.
   * White-label: its status is derived from who spoke last and `is_open`, and the bridge can only
   * set `is_open` — it cannot make the platform say PENDING or OPEN when comments raced (each side
   * holds them in the order they reached it) — so both sides open: `is_open` (not SOLVED) and
   * Zendesk new/open/pending/hold (nobody solved these tickets).
   */
  function raceStatusesAgree(t: TicketPlan, sourceStatus: string, zdStatus: string): boolean {
    if (t.source === 'connect') return statusesAgree(sourceStatus, zdStatus);
    return sourceStatus !== 'SOLVED' && ['new', 'open', 'pending', 'hold'].includes(zdStatus);
  }

  // ── the edges track: refusals for good, deleted and merged things, late messages, 404s of minutes ──

  /** What the edges track did, for the report. */
  const edgeStats = {
    /** Why a step of the track gave up waiting (then `verifyEdges` says which tickets are wrong). */
    errors: [] as string[],
    /** Real ms from the track's start to its tickets linked, and to its last case done. */
    linkedMs: 0,
    tookMs: 0,
  };

  /** A wait of the edges track: on timeout it is recorded (the checks say what is wrong), the run goes on. */
  async function edgeWait(label: string, items: TicketPlan[], done: (t: TicketPlan) => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
    const ok = new Set<TicketPlan>();
    try {
      await until(
        `edges: ${label}`,
        async () => {
          for (const t of items.filter((x) => !ok.has(x))) if (await done(t)) ok.add(t);
          return ok.size === items.length;
        },
        { timeoutMs, stuck: () => describeStuck(items, (t) => ok.has(t)) },
      );
    } catch (err) {
      edgeStats.errors.push((err as Error).message.split('\n').slice(0, 3).join(' | '));
    }
  }

  const edgeCase = (c: EdgeCase) => edges.filter((t) => t.edge!.case === c);
  const workflowStatus = async (t: TicketPlan) => (await workflowOf(t).describe()).status.name;
  const parkedNow = async (t: TicketPlan) => (await stateOf(t).catch(() => null))?.parked ?? [];
  /** The bridge's internal notes on a ticket (the Zendesk ticket it was created with). */
  const bridgeNotes = (t: TicketPlan) => zdComments(t).filter((c) => !c.public && c.author_id === rig.zendesk.bridgeUser.id);

  /**
   * Tickets of their own, created once phase 1 is over and driven beside phases 2–7 (their faults
   * hit these tickets too), each case as issue 17 and docs/sync-rules.md describe it:
   *
   * - zd-deleted: an admin deletes the Zendesk ticket, the user writes: after 404s for
   *   `sourceGoneAfterMs` the app's ticket is closed and the workflow completes;
   * - requester-merged: the requester merged into another Zendesk user: the user's next comment
   *   lands authored as that user;
   * - requester-deleted: the requester deleted: the user's comment is refused for good (retried,
   *   then parked with one internal note naming it) while the agent's reply reaches the app;
   * - landed-403: an agent reply lands in the app, its answer is lost, and the landed-copy read
   *   of the retry is refused (403): a later read claims it, it is never posted twice nor mirrored
   *   back as "Support reply posted in the app";
   * - late-followup (white-label): the agent closes in Zendesk, the workflow completes, then the
   *   client writes again: a follow-up Zendesk ticket holds the message;
   * - source-404: Connect answers 404 on the ticket's reads for minutes (the user writes as it
   *   starts): parked with a note after `sourceGoneAfterMs`, read rarely, never ended; the
   *   incident ends after one more parked re-read, and the comment reaches Zendesk.
   *
   * The Connect faults are the proxy's (one ticket each, not a route), so the other phases never
   * see them.
   */
  async function edgesTrack(): Promise<void> {
    if (edges.length === 0) return;
    const { connect, zendesk } = rig;
    const startedAt = Date.now();
    await eachPlan(edges, (t) => user.creates(t));
    await edgeWait(
      'linked',
      edges,
      async (t) => {
        t.zdId ??= zendesk.ticketByExternalId(externalId(t))?.id;
        return t.zdId !== undefined && (await stateOf(t).catch(() => null))?.crmTicketId === String(t.zdId);
      },
      5 * MINUTE,
    );
    edgeStats.linkedMs = Date.now() - startedAt;
    const linked = (items: TicketPlan[]) => items.filter((t) => t.zdId !== undefined);
    const caseTimeout = SOURCE_GONE_AFTER_MS + 5 * MINUTE;

    const zdDeleted = async () => {
      const items = linked(edgeCase('zd-deleted'));
      for (const t of items) {
        zendesk.adminDeletesTicket(t.zdId!);
        t.edge!.strandedComment = `[${tag(t)}] user: is anyone there?`;
        await connect.userComments(t.id, t.edge!.strandedComment);
      }
      // The app's ticket closed by the bridge (its run then completes; a later run must too: `verifyEdges`).
      await edgeWait('Zendesk ticket deleted → app ticket closed', items, (t) => sourceStatus(t) === 'CLOSED', caseTimeout);
    };

    const requesterMerged = async () => {
      const items = linked(edgeCase('requester-merged'));
      for (const t of items) {
        const into = zendesk.addEndUser(`Merged user ${tag(t)}`, `merged.${tag(t).toLowerCase()}@example.test`);
        zendesk.adminMergesUser(zdTicket(t)!.requester_id, into.id);
        t.edge!.mergedInto = into.id;
        await user.comments(t, `[${tag(t)}] user: written after the merge`);
      }
      await edgeWait('comment after the merge in Zendesk', items, (t) => containsAll(userCommentsInZendesk(t), t.userComments), caseTimeout);
    };

    const requesterDeleted = async () => {
      const items = linked(edgeCase('requester-deleted'));
      for (const t of items) {
        zendesk.adminMergesUser(zdTicket(t)!.requester_id, null);
        const text = `[${tag(t)}] user: refused whatever happens`;
        const { comment } = await connect.userComments(t.id, text);
        t.edge!.refusedComment = { text, id: String(comment.id) };
        await agent.replies(t, `[${tag(t)}] agent: we are looking into it.`);
      }
      await edgeWait(
        'refused comment parked, agent reply in the app',
        items,
        async (t) => containsAll(supportTexts(t), t.agentReplies) && (await parkedNow(t)).some((p) => /given up/.test(p.reason)),
        caseTimeout,
      );
    };

    const landed403 = async () => {
      const items = linked(edgeCase('landed-403'));
      // Phase 2 loses the answers of Connect comment writes itself (any ticket's): its lost answer
      // would leave the proxy's unused. Its faults end with it.
      await until('edges: phase 2 over', () => !['1 create', '2 agent reply'].includes(faults.phase), { timeoutMs: 15 * MINUTE });
      for (const t of items) {
        const facts = t.edge!;
        // The reply lands and its answer is lost; then the retry's "did it land?" read is refused.
        facts.dropped = ticketFaults.fault({
          method: 'POST',
          path: `/tickets/${t.id}/comment`,
          kind: 'drop-after-write',
          times: 1,
          onHit: () => {
            facts.refusedRead = ticketFaults.fault({ method: 'GET', path: `/tickets/${t.id}`, kind: 'status', status: 403, times: 1 });
          },
        });
        await agent.replies(t, `[${tag(t)}] agent: the meter was reset.`);
      }
      await edgeWait('lost answer, then a refused landed-copy read', items, (t) => t.edge!.refusedRead?.hits === 1, caseTimeout);
      // Later news: the next read claims the landed copy.
      for (const t of items) await user.comments(t, `[${tag(t)}] user: got it, thanks`);
      await edgeWait('user comment after the refused check in Zendesk', items, (t) => containsAll(userCommentsInZendesk(t), t.userComments), caseTimeout);
      await realDelay(16 * REFUSED_RETRY_MS); // past a kept write's retries (2, 4, 8 s)
    };

    const lateFollowUp = async () => {
      const items = linked(edgeCase('late-followup'));
      for (const t of items) {
        await zendesk.agentAssigns(t.zdId!, zendesk.agent.id);
        await zendesk.agentSetsStatus(t.zdId!, 'closed');
      }
      await edgeWait('closed in Zendesk → workflow completed', items, async (t) => (await workflowStatus(t)) === 'COMPLETED', caseTimeout);
      for (const t of items) await user.comments(t, `[${tag(t)}] client: still wrong this month`);
      await edgeWait(
        'late message in a follow-up Zendesk ticket',
        items,
        (t) => {
          const followUp = rig.zendesk.tickets().find((z) => z.via_followup_source_id === t.zdId);
          t.edge!.followUpId = followUp?.id;
          return followUp !== undefined && rig.zendesk.comments(followUp.id).some((c) => c.body === t.userComments.at(-1));
        },
        caseTimeout,
      );
    };

    const source404 = async () => {
      const items = linked(edgeCase('source-404'));
      for (const t of items) {
        t.edge!.incidentStartedAt = Date.now();
        t.edge!.incident = ticketFaults.fault({ method: 'GET', path: `/tickets/${t.id}`, kind: 'status', status: 404 });
        await user.comments(t, `[${tag(t)}] user: written during the incident`);
      }
      // Parked (seen in `parked`), then one more re-read answered 404 while parked: the incident ends.
      const parkedReads = new Map<TicketPlan, number>();
      await edgeWait(
        'parked, then re-read once more while parked; the incident ends',
        items,
        async (t) => {
          const facts = t.edge!;
          if (facts.incidentEndedAt !== undefined) return true;
          if (!parkedReads.has(t)) {
            // `parked` names a source that reads 404 from its first 404 ("reads as 404 (n reads)"); parked
            // for good after `sourceGoneAfterMs`, with the reason that it resumes by itself.
            if (!(await parkedNow(t)).some((p) => p.what === 'source ticket' && /resumes by itself/.test(p.reason))) return false;
            facts.parkedSeen = true;
            parkedReads.set(t, facts.incident!.hits);
            return false;
          }
          if (facts.incident!.hits <= parkedReads.get(t)!) return false;
          facts.incident!.remove();
          facts.incidentEndedAt = Date.now();
          return true;
        },
        SOURCE_GONE_AFTER_MS + 2 * REREAD_MAX_MS,
      );
      for (const t of items) if (t.edge!.incidentEndedAt === undefined) (t.edge!.incident!.remove(), (t.edge!.incidentEndedAt = Date.now()));
      await edgeWait(
        'resumed: the comment in Zendesk, nothing parked',
        items,
        async (t) => containsAll(userCommentsInZendesk(t), t.userComments) && (await parkedNow(t)).length === 0,
        REREAD_MAX_MS + 2 * MINUTE,
      );
    };

    await Promise.all([zdDeleted(), requesterMerged(), requesterDeleted(), landed403(), lateFollowUp(), source404()]);
    edgeStats.tookMs = Date.now() - startedAt;
    process.stderr.write(`[faults] edges track: ${edges.length} tickets done in ${formatDuration(edgeStats.tookMs)}\n`);
  }

  /** The source-404 case's reads, from Connect's request log: while parked, at most `bound` in any minute. */
  interface ParkedReads {
    ticket: string;
    /** Reads answered 404 during the incident. */
    reads404: number;
    /** Reads from the one that parked the ticket to the one that resumed it. */
    parkedReads: number;
    maxPerMinute: number;
    bound: number;
    /** How long its incident lasted (all its reads answered 404). */
    incidentMs: number;
  }

  /**
   * Reads of the ticket from the simulator's log: the parking read is the last one before the
   * bridge's parked note in Zendesk; it was the k-th 404, so the next re-read waits
   * min(5 min, 2 s · 2^(k-1)) (the documented schedule), and no minute can hold more than
   * ⌊60 s / that⌋ + 1 reads while parked.
   */
  function parkedReadsOf(t: TicketPlan): ParkedReads | string {
    const facts = t.edge!;
    const reads = rig.connect
      .requests('GET /tickets/:id')
      .filter((r) => r.path === `/tickets/${t.id}`)
      .map((r) => Date.parse(r.at));
    const during = reads.filter((at) => at >= facts.incidentStartedAt! && at <= facts.incidentEndedAt!);
    const note = bridgeNotes(t).find((c) => /cannot read this ticket in the app \(404\)/.test(c.body));
    if (!note) return 'no parked note in Zendesk';
    const parkingIndex = during.filter((at) => at <= Date.parse(note.created_at)).length - 1;
    if (parkingIndex < 0) return 'no read before the parked note';
    const resume = reads.find((at) => at > facts.incidentEndedAt!);
    if (resume === undefined) return 'no read after the incident';
    const parked = [...during.slice(parkingIndex), resume];
    const gap = Math.min(REREAD_MAX_MS, REREAD_FIRST_MS * 2 ** parkingIndex);
    const maxPerMinute = Math.max(...parked.map((at) => parked.filter((b) => b >= at && b - at < MINUTE).length));
    return {
      ticket: t.id,
      reads404: during.length,
      parkedReads: parked.length,
      maxPerMinute,
      bound: Math.floor(MINUTE / gap) + 1,
      incidentMs: facts.incidentEndedAt! - facts.incidentStartedAt!,
    };
  }

  /** What the edges track's checks found (problems go to the report's). */
  interface EdgeReport {
    /** Tickets at their case's expected end. */
    ok: number;
    byCase: Map<EdgeCase, { ok: number; of: number }>;
    parkedReads: ParkedReads[];
    /** source-404 tickets whose `parked` entry was seen during the incident. */
    parkedSeen: number;
  }

  /**
   * Each case's end, on both sides and in the bridge. Also, for all: every user comment once in
   * Zendesk as the (current) requester's public comment, every agent reply once in the app, no
   * comment the people did not write apart from the bridge's expected notes.
   */
  async function verifyEdges(problem: (t: TicketPlan, what: string) => void, parkedOf: Map<TicketPlan, TicketStateView['parked']>): Promise<EdgeReport> {
    const r: EdgeReport = { ok: 0, byCase: new Map(EDGE_CASES.map((c) => [c, { ok: 0, of: 0 }])), parkedReads: [], parkedSeen: 0 };
    for (const t of edges) {
      const facts = t.edge!;
      let wrong = 0;
      const fail = (what: string) => (wrong++, problem(t, what));
      const view = sourceView(t);
      const status = await workflowStatus(t).catch(() => 'unknown');
      const state = await stateOf(t).catch(() => null);
      if (!state) fail('no state');
      parkedOf.set(t, state?.parked ?? []);
      // Where the conversation is in Zendesk now: the follow-up, or the ticket the bridge created.
      const zdId = facts.followUpId ?? t.zdId;
      const zdAll = zdId === undefined ? [] : rig.zendesk.comments(zdId);
      const requester = zdId === undefined ? undefined : rig.zendesk.ticket(zdId)?.requester_id;
      for (const text of t.userComments) {
        const found = zdAll.filter((c) => c.body === text);
        if (found.length !== 1) fail(`user comment ${found.length}× in Zendesk: ${text}`);
        else if (!found[0]!.public || found[0]!.author_id !== requester) fail(`user comment not the requester's public comment: ${text}`);
      }
      const support = supportTexts(t);
      for (const text of t.agentReplies) if (support.filter((s) => s === text).length !== 1) fail(`agent reply ${support.filter((s) => s === text).length}× in the app: ${text}`);
      for (const c of view?.comments ?? []) {
        if (c.author === 'SUPPORT' && !t.agentReplies.includes(c.message)) fail(`unexpected SUPPORT comment in the app: ${c.message.slice(0, 80)}`);
      }

      switch (facts.case) {
        case 'zd-deleted': {
          if (view?.status !== 'CLOSED') fail(`app ${view?.status}, expected CLOSED (its Zendesk ticket was deleted)`);
          // A later run (news after the close, e.g. the app's own notification of it) must end too.
          if (status !== 'COMPLETED') fail(`workflow ${status}, expected COMPLETED (latest run: ${state?.status}, last error ${state?.lastError?.operation}: ${state?.lastError?.message})`);
          else if (!(await notesOfEveryRun(t)).some((n) => new RegExp(`Zendesk ticket ${t.zdId} was deleted in Zendesk`).test(n))) fail('no note saying the Zendesk ticket was deleted');
          const copies = rig.zendesk.tickets().filter((z) => z.external_id === externalId(t)).length;
          if (copies !== 0) fail(`${copies} new Zendesk ticket(s) after the deletion`);
          break;
        }
        case 'requester-merged': {
          const comment = zdAll.find((c) => c.body === t.userComments[0]);
          if (comment?.author_id !== facts.mergedInto) fail(`comment after the merge authored by ${comment?.author_id}, expected the merged-into user ${facts.mergedInto}`);
          if (status !== 'RUNNING') fail(`workflow ${status}, expected RUNNING`);
          if (state && state.parked.length > 0) fail(`parked: ${state.parked.map((p) => p.what).join(', ')}`);
          if (bridgeNotes(t).length > 0) fail(`${bridgeNotes(t).length} bridge note(s) in Zendesk`);
          break;
        }
        case 'requester-deleted': {
          const refused = facts.refusedComment!;
          if (zdAll.some((c) => c.body === refused.text)) fail('the refused comment is in Zendesk');
          if (!state?.parked.some((p) => /given up/.test(p.reason))) fail(`no parked entry for the refused comment (parked: ${JSON.stringify(state?.parked)})`);
          const notes = bridgeNotes(t);
          const naming = notes.filter((c) => new RegExp(`\\b${refused.id}\\b`).test(c.body));
          if (notes.length !== 1 || naming.length !== 1) fail(`${notes.length} bridge note(s), ${naming.length} naming comment ${refused.id} (expected one)`);
          if (notes.some((c) => c.body.includes(refused.text))) fail('the note quotes the message');
          if (status !== 'RUNNING') fail(`workflow ${status}, expected RUNNING`);
          break;
        }
        case 'landed-403': {
          if (facts.dropped?.hits !== 1 || facts.refusedRead?.hits !== 1) fail(`faults did not fire as designed (answer lost ${facts.dropped?.hits}, landed-copy read refused ${facts.refusedRead?.hits ?? 0})`);
          const echoes = zdAll.filter((c) => c.body.startsWith('Support reply posted in the app'));
          if (echoes.length > 0) fail(`${echoes.length} "Support reply posted in the app" note(s)`);
          if (bridgeNotes(t).length > 0) fail(`${bridgeNotes(t).length} bridge note(s) in Zendesk`);
          if (state && state.parked.length > 0) fail(`parked: ${state.parked.map((p) => p.what).join(', ')}`);
          if (status !== 'RUNNING') fail(`workflow ${status}, expected RUNNING`);
          break;
        }
        case 'late-followup': {
          const followUp = facts.followUpId === undefined ? undefined : rig.zendesk.ticket(facts.followUpId);
          if (!followUp) fail('no follow-up Zendesk ticket');
          else {
            if (!(rig.zendesk.ticket(t.zdId!)?.followup_ids ?? []).includes(followUp.id)) fail('the closed ticket does not list its follow-up');
            if (state?.crmTicketId !== String(followUp.id)) fail(`the bridge follows Zendesk ticket ${state?.crmTicketId}, expected the follow-up ${followUp.id}`);
          }
          if (rig.zendesk.ticket(t.zdId!)?.status !== 'closed') fail(`the original Zendesk ticket is ${rig.zendesk.ticket(t.zdId!)?.status}`);
          break;
        }
        case 'source-404': {
          if (facts.parkedSeen) r.parkedSeen++;
          else fail('never seen parked during the incident');
          const notes = bridgeNotes(t);
          if (notes.length !== 1 || !/cannot read this ticket in the app \(404\)/.test(notes[0]!.body)) fail(`${notes.length} bridge note(s), expected the one parked note`);
          const comment = zdAll.find((c) => c.body === t.userComments[0]);
          if (comment && facts.incidentEndedAt !== undefined && Date.parse(comment.created_at) < facts.incidentEndedAt) fail('the comment reached Zendesk during the incident');
          if (status !== 'RUNNING') fail(`workflow ${status}: ended by the 404s`);
          if (state && state.parked.length > 0) fail(`still parked: ${state.parked.map((p) => p.what).join(', ')}`);
          const reads = facts.incidentEndedAt === undefined ? 'the incident never ended' : parkedReadsOf(t);
          if (typeof reads === 'string') fail(`parked reads: ${reads}`);
          else {
            r.parkedReads.push(reads);
            if (reads.maxPerMinute > reads.bound) fail(`${reads.maxPerMinute} reads in a minute while parked (bound ${reads.bound})`);
          }
          break;
        }
      }
      const byCase = r.byCase.get(facts.case)!;
      byCase.of++;
      if (wrong === 0) (r.ok++, byCase.ok++);
    }
    return r;
  }

  test('every ticket ends right on both sides: nothing lost, nothing doubled, nothing echoed', async () => {
    const { connect, zendesk } = rig;

    // ── 1. The users open their tickets: a kill while Zendesk holds the creates, then rate
    //      limits, creates whose answer is lost, failing and garbled reads of the source.
    beginPhase('1 create');
    const createKill = killMidActivity(zendesk, 'zendesk', 'POST /tickets.json', heldFor(everyone, 20));
    createKill.catch(() => undefined); // awaited below
    await eachPlan(everyone, (t) => user.creates(t));
    await createKill;
    faults.add(zendesk, 'zendesk', { kind: 'rate-limit', match: '*', retryAfter: 5, forMs: 20 * SECOND });
    faults.add(zendesk, 'zendesk', { kind: 'drop-after-write', match: 'POST /tickets.json', times: 12 });
    faults.add(zendesk, 'zendesk', { kind: 'drop', match: 'POST /tickets.json', times: 6 });
    faults.add(connect, 'connect', { kind: 'error', status: 500, match: 'GET /tickets/:id', times: 40 });
    faults.add(connect, 'connect', { kind: 'malformed', match: 'GET /tickets/:id', times: 10 });
    // Linked: the Zendesk ticket exists and the workflow knows it (agents reply only then).
    const refreshLinks = async () => {
      if (everyone.every((t) => t.zdId !== undefined)) return;
      const byExternalId = new Map(zendesk.tickets().map((z) => [z.external_id, z.id]));
      for (const t of everyone) t.zdId ??= byExternalId.get(externalId(t));
    };
    await phase('1 create', everyone, (t) => t.zdId !== undefined, (s, t) => s.crmTicketId === String(t.zdId), { refresh: refreshLinks });

    // Beside phases 2–7 (and phase 8 if it takes that long): the edges track, on tickets of its own.
    const edgesDone = edgesTrack();
    edgesDone.catch((err: Error) => edgeStats.errors.push(`failed: ${err.message.split('\n')[0]}`));

    // ── 2. Agents reply (some add internal notes): Connect down for 25 s, comment answers
    //      lost, Zendesk reads timing out; the white-label platform refusing replies for 15 s.
    beginPhase('2 agent reply');
    faults.add(connect, 'connect', { kind: 'error', status: 503, match: '*', forMs: 25 * SECOND });
    faults.add(connect, 'connect', { kind: 'drop-after-write', match: 'POST /tickets/:id/comment', times: 15 });
    faults.add(connect, 'connect', { kind: 'drop', match: 'PUT /tickets/:id', times: 10 });
    faults.add(zendesk, 'zendesk', { kind: 'latency', match: 'GET /tickets/:id/comments.json', delayMs: 11_000, times: 6 });
    wlFault({ kind: 'error', status: 503, match: 'POST /tickets/:id/replies', forMs: 15 * SECOND });
    wlFault({ kind: 'drop-after-write', match: 'POST /tickets/:id/replies', times: 4 });
    await eachPlan(plans, async (t) => {
      const first = `[${tag(t)}] agent: could you send a screenshot?`;
      t.agentReplies.push(first);
      await zendesk.agentReplies(t.zdId!, first);
      if (t.i % 3 === 0) {
        const note = `[${tag(t)}] note: customer on legacy tariff, internal only`;
        t.notes.push(note);
        await zendesk.agentAddsNote(t.zdId!, note);
      }
      if (t.i % 5 === 0) {
        const second = `[${tag(t)}] agent: and the contract number, please.`;
        t.agentReplies.push(second);
        await zendesk.agentReplies(t.zdId!, second);
      }
    });
    await phase(
      '2 agent reply',
      plans,
      (t) => containsAll(supportTexts(t), t.agentReplies) && sourceStatus(t) === 'PENDING',
      (s, t) => s.status === 'PENDING' && s.counts.agentRepliesToSource === t.agentReplies.length,
    );

    // ── 3. Users reply (a kill while Zendesk holds the writes; then Zendesk 500s); some delete instead.
    beginPhase('3 user reply');
    const userKill = killMidActivity(zendesk, 'zendesk', 'PUT /tickets/:id.json', heldFor(plans, 15));
    userKill.catch(() => undefined); // awaited below
    await eachPlan(plans, async (t) => {
      if (t.scenario === 'delete') {
        t.commentsBeforeDelete = sourceView(t)!.comments;
        await connect.userDeletesTicket(t.id);
        return;
      }
      await user.comments(t, `[${tag(t)}] user: here it is, reading 10432 kWh`);
    });
    await userKill;
    faults.add(zendesk, 'zendesk', { kind: 'error', status: 500, match: 'PUT /tickets/:id.json', forMs: 20 * SECOND });
    faults.add(zendesk, 'zendesk', { kind: 'drop-after-write', match: 'PUT /tickets/:id.json', times: 10 });
    await phase(
      '3 user reply',
      plans,
      (t) => {
        const z = zdTicket(t);
        if (t.scenario === 'delete') return z?.status === 'solved' && zdComments(t).some((c) => c.body === DELETED_NOTE);
        return containsAll(userCommentsInZendesk(t), t.userComments) && z?.status === 'open';
      },
      (s, t) => (t.scenario === 'delete' ? s.completed : reopenedInBridge(s, t)),
    );
    const living = plans.filter(alive);

    // ── 4. Agents solve (some with a last reply): the apps rate-limit for 25 s, Zendesk reads fail.
    beginPhase('4 solved');
    faults.add(connect, 'connect', { kind: 'rate-limit', match: '*', retryAfter: 10, forMs: 25 * SECOND });
    wlFault({ kind: 'rate-limit', match: '*', retryAfter: 5, forMs: 15 * SECOND });
    faults.add(zendesk, 'zendesk', { kind: 'error', status: 502, match: 'GET /tickets/:id.json', times: 30 });
    faults.add(zendesk, 'zendesk', { kind: 'malformed', match: 'GET /tickets/:id/comments.json', times: 10 });
    await eachPlan(living, async (t) => {
      if (t.i % 4 === 1) {
        const last = `[${tag(t)}] agent: fixed on our side, closing this.`;
        t.agentReplies.push(last);
        await zendesk.agentAssigns(t.zdId!, zendesk.agent.id);
        await zendesk.agentReplies(t.zdId!, last, { status: 'solved' });
      } else {
        await zendesk.agentSetsStatus(t.zdId!, 'solved');
      }
    });
    await phase('4 solved', living, (t) => sourceStatus(t) === 'SOLVED' && containsAll(supportTexts(t), t.agentReplies), solvedInBridge);
    await readSolvedTimers(living);

    // ── 5. The users answer, well before their SOLVED timers: confirm, or "not resolved".
    //      Zendesk down for 20 s, then lost answers.
    beginPhase('5 user answers');
    faults.add(zendesk, 'zendesk', { kind: 'error', status: 503, match: '*', forMs: 20 * SECOND });
    faults.add(zendesk, 'zendesk', { kind: 'drop-after-write', match: 'PUT /tickets/:id.json', times: 15 });
    faults.add(connect, 'connect', { kind: 'drop', match: 'GET /tickets/:id', times: 20 });
    wlFault({ kind: 'drop-after-write', match: 'PUT /tickets/:id', times: 4 });
    await eachPlan(living, async (t) => {
      if (t.scenario === 'confirm') await user.confirms(t);
      else if (isReopen(t)) await user.rejects(t, `[${tag(t)}] user: not resolved, still nothing`);
    });
    await phase(
      '5 user answers',
      living,
      (t) => {
        if (t.scenario === 'confirm') return sourceStatus(t) === 'CLOSED' && zdTicket(t)?.status === 'closed';
        if (isReopen(t)) return zdTicket(t)?.status === 'open' && containsAll(userCommentsInZendesk(t), t.userComments) && sourceStatus(t) !== 'SOLVED';
        return sourceStatus(t) === 'SOLVED';
      },
      (s, t) => (t.scenario === 'confirm' ? s.completed : isReopen(t) ? reopenedInBridge(s, t) : s.status === 'SOLVED'),
    );

    // ── 6. Second round for the reopened: a kill while Connect holds the replies; status writes fail.
    beginPhase('6 second round');
    const reopened = living.filter(isReopen);
    const replyKill = killMidActivity(connect, 'connect', 'POST /tickets/:id/comment', heldFor(reopened, 10));
    replyKill.catch(() => undefined); // awaited below
    faults.add(connect, 'connect', { kind: 'error', status: 500, match: 'PUT /tickets/:id', times: 20 });
    wlFault({ kind: 'error', status: 500, match: 'PUT /tickets/:id', times: 10 });
    await eachPlan(reopened, async (t) => {
      const text = `[${tag(t)}] agent: replaced the module, please check again.`;
      t.agentReplies.push(text);
      await zendesk.agentReplies(t.zdId!, text);
      await zendesk.agentSetsStatus(t.zdId!, 'solved');
    });
    await replyKill;
    await phase('6 second round', reopened, (t) => sourceStatus(t) === 'SOLVED' && containsAll(supportTexts(t), t.agentReplies), solvedInBridge);
    await readSolvedTimers(reopened);

    // ── 7. The reopened-then-fixed confirm (Connect).
    beginPhase('7 confirm');
    const confirming = reopened.filter((t) => t.scenario === 'reopen-confirm');
    faults.add(zendesk, 'zendesk', { kind: 'drop-after-write', match: 'PUT /tickets/:id.json', times: 10 });
    await eachPlan(confirming, (t) => user.confirms(t));
    await phase('7 confirm', confirming, (t) => sourceStatus(t) === 'CLOSED' && zdTicket(t)?.status === 'closed', (s) => s.completed);

    // ── 8. Nobody confirms the rest: their SOLVED timers fire while the apps refuse status
    //      writes; one outage for the timers of phase 4's solves, one for phase 6's.
    //      Meanwhile, on tickets of their own, users and agents act at once in outages of
    //      their own (the interleaved track), while phase 8 waits for its timers.
    beginPhase('8 timers');
    const track = interleavedTrack();
    track.catch(() => undefined); // awaited below
    const timed = living.filter((t) => t.scenario === 'timer' || t.scenario === 'reopen-timer');
    await timersFireInOutage(timed.filter((t) => t.scenario === 'timer'));
    await timersFireInOutage(timed.filter((t) => t.scenario === 'reopen-timer'));
    await track;
    await edgesDone.catch(() => undefined); // its failure is in edgeStats.errors
    await phase('8 timers', timed, (t) => sourceStatus(t) === finalSourceStatus(t) && zdTicket(t)?.status === 'closed', (s) => s.completed);

    // ── Settle: late webhooks delivered. Every workflow has completed, so the bridge has
    //    nothing left to write: a short wait is enough for a wrongly restarted one to show.
    beginPhase('settle');
    await shuffler.drain();
    await realDelay(SETTLE_MS);
    await shuffler.drain();

    // ── Verify and print.
    const report = await verify();
    printReport(report);
    expect(report.problems).toEqual([]);
    // Nothing stuck: every ticket at its expected end, or parked with a reason the state shows.
    expect(report.parked.stuck).toEqual([]);
    expect(report.edges?.ok).toBe(edges.length);
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
    expect(report.echoes).toBe(0);
    expect(report.notesLeaked).toBe(0);
    expect(report.logLines).toBeGreaterThan(1000); // the check below looked at real logs
    expect(report.personalDataInLogs).toEqual([]);
    expect(report.finalSourceOk).toBe(plans.length);
    expect(report.finalZendeskOk).toBe(plans.length);
    expect(report.workflowsCompleted).toBe(plans.length);
    // The interleaved track: the sides agree (the user's CLOSED final); agent replies that raced
    // the close are either delivered or noted as not deliverable (counted lost otherwise, apart
    // from the one tolerated case: no note while the bridge cannot write it yet).
    expect(raceStats.settleTimeout).toBeNull();
    expect(report.race.statusOk).toBe(races.length);
    expect(report.race.workflowsOk).toBe(races.length);
    expect(workers.kills.length).toBe(KILLS);
    expect(report.interruptedNotCompleted).toBe(0);
    expect(shuffler.stats.failed).toBe(0);
  });

  // ── verification ─────────────────────────────────────────────────────────────────────────

  interface Report {
    problems: string[];
    finalSourceOk: number;
    finalZendeskOk: number;
    workflowsCompleted: number;
    zendeskExpected: number;
    zendeskFound: number;
    sourceExpected: number;
    sourceFound: number;
    lost: number;
    duplicated: number;
    echoes: number;
    notesLeaked: number;
    interrupted: number;
    interruptedNotCompleted: number;
    /** Local activities (reads) running when a worker was killed: re-read by the replay. */
    interruptedLocalReads: number;
    /**
     * From the workflows' histories, workflow tasks that timed out and were retried: taken by a
     * worker that never answered (killed, or busy past 10 s: start-to-close), or left on a
     * killed worker's sticky queue (schedule-to-start).
     */
    workflowTaskTimeouts: { startToClose: number; scheduleToStart: number };
    /** From the workflows' histories: workflow task failures by cause. */
    workflowTaskFailures: Map<string, number>;
    /** Log lines of the API and the workers, and how many personal texts, names or e-mails they hold. */
    logLines: number;
    personalDataInLogs: string[];
    /** For the first track tickets that ended wrong: what the people did, both sides, the bridge's timeline. */
    raceDetails: string[];
    /** The edges track's checks. */
    edges: EdgeReport | null;
    /**
     * Every ticket's `parked` at the end (the final state of a completed workflow, the state query
     * of a running one): what waits and why. Stuck: a ticket not at its expected end (a problem
     * names it) with nothing parked to say why.
     */
    parked: { tickets: number; byWhat: Map<string, number>; stuck: string[] };
    /** The interleaved track's tickets (their comments are counted with the others above). */
    race: {
      /** Status right: the user's CLOSED on both sides, or the two sides mirroring each other. */
      statusOk: number;
      /** Completed CLOSED if the user closed it, else still running. */
      workflowsOk: number;
      /** `source app/Zendesk` status pairs at the end → tickets. */
      outcomes: Map<string, number>;
      /** Agent replies that reached only Zendesk, with the bridge's "did not reach the user" note, on tickets their users CLOSED. */
      notDeliverable: number;
      /** …of which were written before the close's round (the bridge was still behind, in outages, when the user closed). */
      notDeliverableEarlier: string[];
      /** …the same without the note, while the bridge cannot write it yet (`noteFeature` absent): reported, not failed. */
      notDeliverableNoNote: number;
      noNoteCases: string[];
      noteFeature: 'notes seen' | 'in the worker code' | 'absent';
    };
  }

  async function verify(): Promise<Report> {
    const r: Report = {
      problems: [],
      finalSourceOk: 0,
      finalZendeskOk: 0,
      workflowsCompleted: 0,
      zendeskExpected: 0,
      zendeskFound: 0,
      sourceExpected: 0,
      sourceFound: 0,
      lost: 0,
      duplicated: 0,
      echoes: 0,
      notesLeaked: 0,
      interrupted: 0,
      interruptedNotCompleted: 0,
      interruptedLocalReads: 0,
      workflowTaskTimeouts: { startToClose: 0, scheduleToStart: 0 },
      workflowTaskFailures: new Map(),
      logLines: 0,
      personalDataInLogs: [],
      raceDetails: [],
      edges: null,
      parked: { tickets: 0, byWhat: new Map(), stuck: [] },
      race: {
        statusOk: 0,
        workflowsOk: 0,
        outcomes: new Map(),
        notDeliverable: 0,
        notDeliverableEarlier: [],
        notDeliverableNoNote: 0,
        noNoteCases: [],
        noteFeature: 'absent',
      },
    };
    const troubled = new Set<TicketPlan>();
    const parkedOf = new Map<TicketPlan, TicketStateView['parked']>();
    const problem = (t: TicketPlan, what: string) => {
      troubled.add(t);
      if (r.problems.length < 50) r.problems.push(`${t.source} ${t.id} (${t.scenario}): ${what}`);
    };
    const zdByExternal = new Map<string, number>();
    for (const z of rig.zendesk.tickets()) if (z.external_id) zdByExternal.set(z.external_id, (zdByExternal.get(z.external_id) ?? 0) + 1);
    const bridgeId = rig.zendesk.bridgeUser.id;

    // Not deliverable (the interleaved track): an agent reply that raced the user's CLOSED and that
    // the bridge turned into an internal note instead. Whether the bridge writes such notes yet:
    // the worker's code asks for the lifecycle's both-sides decision, or one such note was seen.
    const notesSeen = races.some((t) => zdComments(t).some(isUndeliveredNote));
    r.race.noteFeature = notesSeen ? 'notes seen' : workerWritesUndeliveredNotes() ? 'in the worker code' : 'absent';

    for (const t of everyone) {
      // One Zendesk ticket per source ticket.
      const copies = zdByExternal.get(externalId(t)) ?? 0;
      if (copies !== 1) {
        problem(t, `${copies} Zendesk tickets`);
        r.duplicated += Math.max(0, copies - 1);
      }

      // ── Zendesk: the description once, each user comment once as the requester's public
      //    comment, the agents' own comments untouched, bridge notes only where expected, no echo.
      const z = zdTicket(t)!;
      const comments = zdComments(t);
      const view = sourceView(t);
      if (!isRace(t)) {
        const expectedZdStatus = t.scenario === 'delete' ? 'solved' : 'closed';
        if (z.status === expectedZdStatus) r.finalZendeskOk++;
        else problem(t, `Zendesk status ${z.status}, expected ${expectedZdStatus}`);
      }
      const count = (body: string) => comments.filter((c) => c.body === body).length;
      if (count(t.description) !== 1) problem(t, `description ${count(t.description)}× in Zendesk`);
      for (const text of t.userComments) {
        r.zendeskExpected++;
        const found = comments.filter((c) => c.body === text);
        r.zendeskFound += found.length;
        if (found.length === 0) (r.lost++, problem(t, `user comment lost in Zendesk: ${text}`));
        if (found.length > 1) (r.duplicated += found.length - 1, problem(t, `user comment ${found.length}× in Zendesk`));
        if (found.some((c) => !c.public || c.author_id !== z.requester_id)) problem(t, `user comment not the requester's public comment`);
      }
      for (const text of [...t.agentReplies, ...t.notes]) if (count(text) !== 1) problem(t, `agent's own comment ${count(text)}× in Zendesk`);
      const bridgeNotes = t.scenario === 'delete' ? [DELETED_NOTE] : [];
      for (const text of bridgeNotes) if (count(text) !== 1) (r.duplicated += Math.max(0, count(text) - 1), problem(t, `bridge note ${count(text)}×`));
      const undelivered = new Set(t.userClosed ? comments.filter(isUndeliveredNote).map((c) => c.body) : []);
      const known = new Set([t.description, ...t.userComments, ...t.agentReplies, ...t.notes, ...bridgeNotes, ...undelivered]);
      for (const c of comments.filter((c) => !known.has(c.body))) {
        // A comment the bridge wrote that nobody asked for: its own write (or the app's copy of an agent reply) mirrored back.
        if (c.author_id === bridgeId || c.author_id === z.requester_id || c.body.startsWith('Support reply posted in the app')) r.echoes++;
        problem(t, `unexpected Zendesk comment by ${c.author_id}${c.public ? '' : ' (note)'}: ${c.body.slice(0, 80)}`);
      }

      // ── The app: each agent reply once as SUPPORT (or, racing the user's close, not
      //    deliverable), no internal note, no echo of the user.
      const appComments = t.scenario === 'delete' ? t.commentsBeforeDelete! : (view?.comments ?? []);
      if (t.scenario === 'delete') {
        if (view === undefined) r.finalSourceOk++;
        else problem(t, 'deleted ticket still in the app');
      } else if (!isRace(t)) {
        if (view?.status === finalSourceStatus(t)) r.finalSourceOk++;
        else problem(t, `app status ${view?.status}, expected ${finalSourceStatus(t)}`);
      }
      for (const text of t.agentReplies) {
        r.sourceExpected++;
        const found = appComments.filter((c) => c.message === text);
        r.sourceFound += found.length;
        if (found.length === 0) {
          // Not deliverable: the user CLOSED the ticket before the bridge could bring it the reply,
          // and Zendesk has the bridge's note saying so.
          const closed = t.userClosed === true && view?.status === 'CLOSED';
          const racedClose = (t.closeRaceReplies ?? []).includes(text);
          const notes = closed ? undeliveredNotesFor(t, text) : [];
          if (notes.length === 1) {
            r.race.notDeliverable++;
            if (!racedClose) r.race.notDeliverableEarlier.push(`${t.id}: "${text.replace(/^\[[^\]]+\] agent: /, '')}"`);
          } else if (notes.length > 1) (r.duplicated += notes.length - 1, problem(t, `${notes.length} "not delivered" notes for one reply`));
          else if (closed && racedClose && r.race.noteFeature === 'absent') {
            // Tolerated only here: the user's CLOSED won the race and the bridge cannot write the note yet.
            r.race.notDeliverableNoNote++;
            r.race.noNoteCases.push(`${t.id} (Zendesk ${t.zdId})`);
          } else (r.lost++, problem(t, `agent reply lost in the app${closed ? ' (the user closed it; no "not delivered" note)' : ''}: ${text}`));
        } else if (undeliveredNotesFor(t, text).length > 0) problem(t, `reply both delivered and noted as not delivered: ${text}`);
        if (found.length > 1) (r.duplicated += found.length - 1, problem(t, `agent reply ${found.length}× in the app`));
        if (found.some((c) => c.author !== 'SUPPORT')) problem(t, 'agent reply not authored SUPPORT');
      }
      for (const c of appComments) {
        if (t.notes.some((n) => c.message.includes(n))) (r.notesLeaked++, problem(t, 'internal note in the app'));
        else if (c.author === 'SUPPORT' && !t.agentReplies.includes(c.message)) {
          r.echoes++;
          problem(t, `unexpected SUPPORT comment in the app: ${c.message.slice(0, 80)}`);
        } else if (c.author === 'USER' && t.userComments.filter((u) => u === c.message).length !== 1) {
          problem(t, `unexpected USER comment in the app: ${c.message.slice(0, 80)}`);
        }
      }

      // ── The interleaved track: both sides agree, and the user's CLOSED is final.
      if (isRace(t)) {
        const pair = `${view?.status}/${z.status}`;
        r.race.outcomes.set(`${t.source} ${pair}`, (r.race.outcomes.get(`${t.source} ${pair}`) ?? 0) + 1);
        if (t.userClosed) {
          if (view?.status === 'CLOSED' && z.status === 'closed') r.race.statusOk++;
          else problem(t, `the user closed it, yet app ${view?.status} / Zendesk ${z.status} (expected CLOSED / closed)`);
        } else if (view !== undefined && raceStatusesAgree(t, view.status, z.status)) r.race.statusOk++;
        else problem(t, `the sides disagree: app ${view?.status} / Zendesk ${z.status}`);
      }

      // ── The workflow: completed CLOSED; a track ticket its user did not close still running.
      const handle = workflowOf(t);
      const description = await handle.describe();
      if (isRace(t) && !t.userClosed) {
        if (description.status.name === 'RUNNING') r.race.workflowsOk++;
        else problem(t, `workflow ${description.status.name}, expected RUNNING`);
      } else if (description.status.name === 'COMPLETED') {
        const final = await handle.result();
        if (final.status === 'CLOSED' && final.completed) isRace(t) ? r.race.workflowsOk++ : r.workflowsCompleted++;
        else problem(t, `workflow ended ${final.status}`);
      } else problem(t, `workflow ${description.status.name}`);
      parkedOf.set(t, description.status.name === 'COMPLETED' ? ((await handle.result()) as TicketStateView).parked : ((await stateOf(t).catch(() => null))?.parked ?? []));
      countWorkflowTaskTrouble(r, await handle.fetchHistory());
    }
    r.edges = await verifyEdges(problem, parkedOf);
    for (const e of edgeStats.errors) r.problems.push(`edges track: ${e}`);
    for (const [t, parked] of parkedOf) {
      if (parked.length > 0) r.parked.tickets++;
      for (const p of parked) r.parked.byWhat.set(p.what.replace(/\d+/g, 'N'), (r.parked.byWhat.get(p.what.replace(/\d+/g, 'N')) ?? 0) + 1);
      if (troubled.has(t) && parked.length === 0) r.parked.stuck.push(`${t.source} ${t.id} (${t.scenario})`);
    }
    if (raceStats.settleTimeout) r.problems.push(`interleaved track: ${raceStats.settleTimeout.split('\n')[0]}`);
    for (const t of races.filter((x) => troubled.has(x)).slice(0, 6)) r.raceDetails.push(await raceDetail(t));

    // ── Logs (issue 5): the API's and every worker's lines hold none of the personal data used.
    const logs = [...rig.logLines, ...workers.logLines];
    r.logLines = logs.length;
    const personal = [...everyone, ...edges].flatMap((t) => [
      t.description,
      ...(t.edge?.strandedComment ? [t.edge.strandedComment] : []),
      ...(t.edge?.refusedComment ? [t.edge.refusedComment.text] : []),
      ...(t.edge?.mergedInto ? [`Merged user ${tag(t)}`, `merged.${tag(t).toLowerCase()}@example.test`] : []),
      ...t.userComments,
      ...t.agentReplies,
      ...t.notes,
      ...(t.source === 'whitelabel' ? [`Client ${tag(t)}`, `client.${tag(t).toLowerCase()}@example.test`] : []),
    ]);
    r.personalDataInLogs = [...new Set(personal)].filter((text) => logs.some((line) => line.includes(text))).slice(0, 20);

    // ── Interrupted activity attempts: each must have completed on a later attempt, or have been
    //    refused there as stale (a 'write-conflict': the workflow reads both sides again and
    //    decides again; the comment checks above say whether that ended right), or refused for
    //    good (a 4xx: the edges track's refused comments, kept and parked; their checks say so).
    //    A local activity (a read) belongs to its workflow task: the replay reads again, on
    //    whatever path it takes.
    const settledAs = ['write-conflict', 'bad-request', 'forbidden', 'not-found', 'unprocessable'];
    for (const kill of workers.kills) {
      for (const a of kill.interrupted) {
        if (a.local) {
          r.interruptedLocalReads++;
          continue;
        }
        r.interrupted++;
        const later = workers.attempts.some(
          (b) => b.key === a.key && b.attempt > a.attempt && (b.outcome === 'ok' || (b.outcome === 'failed' && settledAs.includes(b.errorType ?? ''))),
        );
        if (!later) (r.interruptedNotCompleted++, r.problems.push(`interrupted ${a.type} ${a.key} attempt ${a.attempt} never completed later`));
      }
    }
    return r;
  }

  /** A track ticket that ended wrong, told in full (times in seconds since the track began). */
  async function raceDetail(t: TicketPlan): Promise<string> {
    const z = zdTicket(t);
    const who = (id: number) => (id === z?.requester_id ? 'requester' : id === rig.zendesk.bridgeUser.id ? 'bridge' : id === rig.zendesk.agent.id ? 'agent' : String(id));
    const since = (at: string) => `${((Date.parse(at) - raceStartedAt) / 1000).toFixed(2)} s`;
    const state = await stateOf(t).catch(() => null);
    return [
      `${t.source} ${t.id} (Zendesk ${t.zdId}, ${t.scenario}): ${bothSides(t)}; bridge: ${state ? `${state.status} (remembers app ${state.sourceStatus}, Zendesk ${state.crmStatus})${state.completed ? ', completed' : ''}` : 'no state'}`,
      ...(raceLog.get(t) ?? []).map((l) => `  people  ${l}`),
      ...(state?.timeline ?? []).filter((e) => Date.parse(e.at) >= raceStartedAt).map((e) => `  bridge  ${since(e.at)} ${e.kind}: ${e.detail}`),
      ...zdComments(t).map((c) => `  Zendesk comment ${c.id} ${since(c.created_at)} ${who(c.author_id)}${c.public ? '' : ' (note)'}: ${c.body.slice(0, 70)}`),
      ...(sourceView(t)?.comments ?? []).map((c) => `  app comment ${c.author}: ${c.message.slice(0, 70)}`),
    ].join('\n');
  }

  /**
   * Whether the worker's code writes the "did not reach the user" note: its workflows ask the
   * lifecycle for the both-sides decision ('both-read'), which is where that note is decided.
   */
  function workerWritesUndeliveredNotes(): boolean {
    const dir = join(__dirname, '../../src/workflows');
    return readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .some((f) => /'both-read'|undeliveredReplyNote/.test(readFileSync(join(dir, f), 'utf8')));
  }

  function countWorkflowTaskTrouble(r: Report, history: temporal.api.history.v1.IHistory): void {
    for (const e of history.events ?? []) {
      const timeout = e.workflowTaskTimedOutEventAttributes?.timeoutType;
      if (timeout === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE) r.workflowTaskTimeouts.startToClose++;
      if (timeout === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START) r.workflowTaskTimeouts.scheduleToStart++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
        const cause = WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes?.cause ?? 0]!.replace('WORKFLOW_TASK_FAILED_CAUSE_', '');
        r.workflowTaskFailures.set(cause, (r.workflowTaskFailures.get(cause) ?? 0) + 1);
      }
    }
  }

  function printReport(r: Report): void {
    const scenarios = new Map<string, number>();
    for (const t of everyone) scenarios.set(`${t.source} ${t.scenario}`, (scenarios.get(`${t.source} ${t.scenario}`) ?? 0) + 1);
    const attempts = workers.attempts;
    const retried = attempts.filter((a) => a.attempt > 1).length;
    const landed = attempts.filter((a) => a.alreadyPresent);
    const n = plans.length;
    const closedByUser = races.filter((t) => t.userClosed).length;
    const rows: [string, string][] = [
      [
        'tickets',
        `${n + races.length + edges.length}: ${CONNECT_TICKETS} Connect, ${WL_TICKETS} white-label; interleaved track ${RACE_TICKETS} Connect, ${RACE_WL_TICKETS} white-label; edges track ${edges.length}`,
      ],
      ['  scenarios', [...scenarios].map(([s, k]) => `${k} ${s}`).join(', ')],
      ['final state correct: app (Connect / white-label)', `${r.finalSourceOk} / ${n}`],
      ['final state correct: Zendesk', `${r.finalZendeskOk} / ${n}`],
      ['workflows completed CLOSED', `${r.workflowsCompleted} / ${n}`],
      ['user comments → Zendesk: expected / found', `${r.zendeskExpected} / ${r.zendeskFound}`],
      ['agent replies → app: expected / found', `${r.sourceExpected} / ${r.sourceFound}`],
      ['internal notes / leaked to the app', `${everyone.reduce((k, t) => k + t.notes.length, 0)} / ${r.notesLeaked}`],
      ['lost comments', String(r.lost)],
      ['duplicated comments (or tickets)', String(r.duplicated)],
      ['echoes', String(r.echoes)],
      ['other problems', String(r.problems.length)],
      ['interleaved: actions / taken before the last ones were mirrored', `${raceStats.actions} / ${raceStats.onUnmirrored}`],
      ['interleaved: rounds began (s after phase 8 began)', raceStats.rounds.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(0)}`).join(', ')],
      ['interleaved: status right (user CLOSED final, else sides agree)', `${r.race.statusOk} / ${races.length} (closed by their user: ${closedByUser})`],
      ['interleaved: final app/Zendesk statuses', [...r.race.outcomes].map(([k, v]) => `${v} ${k}`).join(', ')],
      ['interleaved: workflows completed (closed) or running (open)', `${r.race.workflowsOk} / ${races.length}`],
      ['interleaved: agent writes refused (the bridge had closed it)', String(raceStats.agentRefused)],
      [
        'interleaved: agent replies not deliverable (the user had CLOSED): noted / no note',
        `${r.race.notDeliverable} / ${r.race.notDeliverableNoNote} (note: ${r.race.noteFeature})${r.race.noNoteCases.length ? `: ${r.race.noNoteCases.join(', ')}` : ''}`,
      ],
      [
        '  …of which written before the close\'s round',
        `${r.race.notDeliverableEarlier.length}${r.race.notDeliverableEarlier.length ? ` (${r.race.notDeliverableEarlier.slice(0, 6).join('; ')}${r.race.notDeliverableEarlier.length > 6 ? '; …' : ''})` : ''}`,
      ],
      ['edges: tickets at their expected end (by case)', `${r.edges?.ok} / ${edges.length} (${[...(r.edges?.byCase ?? [])].map(([c, k]) => `${c} ${k.ok}/${k.of}`).join(', ')})`],
      ['edges: linked / done (after phase 1)', `${formatDuration(edgeStats.linkedMs)} / ${formatDuration(edgeStats.tookMs)}`],
      ['edges: sourceGoneAfterMs / refusedWriteRetryMs', `${formatDuration(SOURCE_GONE_AFTER_MS)} / ${formatDuration(REFUSED_RETRY_MS)}`],
      ['edges: source 404 incidents seen parked / resumed', `${r.edges?.parkedSeen} / ${edgeCase('source-404').length}`],
      [
        'edges: Connect reads per ticket: 404s / while parked / max in a minute (bound)',
        (r.edges?.parkedReads ?? []).map((p) => `${p.reads404}/${p.parkedReads}/${p.maxPerMinute} (${p.bound}) in ${formatDuration(p.incidentMs)}`).join(', ') || 'none',
      ],
      ['tickets with something parked at the end (by what)', `${r.parked.tickets} (${[...r.parked.byWhat].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`],
      ['stuck tickets (not at their end, nothing parked)', `${r.parked.stuck.length}${r.parked.stuck.length ? `: ${r.parked.stuck.slice(0, 6).join(', ')}` : ''}`],
      ['log lines searched (API + workers) / holding personal data', `${r.logLines} / ${r.personalDataInLogs.length}`],
      [
        'worker kills (SIGKILL mid-activity)',
        `${workers.kills.length} (activities in flight: ${workers.kills.map((k) => k.interrupted.length).join(', ')}; next worker up after ${workers.kills.map((k) => ((k.restartMs ?? 0) / 1000).toFixed(1)).join(', ')} s)`,
      ],
      ['interrupted attempts completed later (or refused as stale)', `${r.interrupted - r.interruptedNotCompleted} / ${r.interrupted}`],
      ['interrupted local reads (re-read by the replay)', String(r.interruptedLocalReads)],
      ['workflow tasks timed out: start-to-close / sticky schedule-to-start', `${r.workflowTaskTimeouts.startToClose} / ${r.workflowTaskTimeouts.scheduleToStart}`],
      ['workflow task failures (by cause)', r.workflowTaskFailures.size ? [...r.workflowTaskFailures].map(([k, v]) => `${k} ${v}`).join(', ') : '0'],
      ['comment writes whose retry found them landed', `${landed.length} (${[...countBy(landed.map((a) => a.type))].map(([k, v]) => `${k} ${v}`).join(', ')})`],
      ['activity attempts / retries', `${attempts.length} / ${retried}`],
      ['webhooks received (by channel)', `${shuffler.stats.received} (${Object.entries(shuffler.stats.byChannel).map(([c, k]) => `${c} ${k}`).join(', ')})`],
      ['webhook deliveries (×3, shuffled)', `${shuffler.stats.delivered}; answers ${JSON.stringify(shuffler.stats.statuses)}; failed ${shuffler.stats.failed}`],
      ['SOLVED timer (solvedAutoCloseAfterMs)', formatDuration(SOLVED_TIMER_MS)],
      ['users answered before their SOLVED timer, at least', formatDuration(Math.min(...answerLeads))],
      ['phase 8 reached before the first timer of each group', timerLeads.map(formatDuration).join(', ')],
      ['real time per phase', phaseDurations.map(([name, ms]) => `${name} ${formatDuration(ms)}`).join(', ')],
      ['wall time', formatDuration(Date.now() - startedAt)],
    ];
    const faultRows = faults.all.map((f) => [
      f.phase,
      `${f.sim} ${f.spec.kind}${f.spec.status ? ` ${f.spec.status}` : ''}${f.spec.retryAfter ? ` Retry-After ${f.spec.retryAfter}s` : ''}${f.spec.delayMs ? ` ${f.spec.delayMs} ms` : ''}`,
      f.spec.match ?? '*',
      f.spec.forMs ? `for ${formatDuration(f.spec.forMs)}` : f.spec.times ? `${f.spec.times}×` : f.openMs ? `open ${formatDuration(f.openMs)}` : 'until removed',
      String(f.handle.hits),
    ]);
    const byKind = countBy(faults.all.flatMap((f) => Array<string>(f.handle.hits).fill(f.spec.kind)));
    const out = [
      '',
      '══ fault suite ══',
      table(['figure', 'value'], rows),
      '',
      'faults injected (windows in real time)',
      table(['phase', 'fault', 'route', 'scope', 'hits'], faultRows),
      `hits by kind: ${[...byKind].map(([k, v]) => `${k} ${v}`).join(', ')}; total ${faults.all.reduce((k, f) => k + f.handle.hits, 0)}`,
      ...(r.problems.length ? ['', 'problems:', ...r.problems.map((p) => `  - ${p}`)] : []),
      ...(r.raceDetails.length ? ['', 'interleaved tickets that ended wrong:', ...r.raceDetails] : []),
      '',
    ].join('\n');
    process.stdout.write(out);
  }
});

function countBy(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

/** How many held requests to wait for before a kill: `wanted`, or half the tickets when fewer. */
function heldFor(items: readonly unknown[], wanted: number): number {
  return Math.max(1, Math.min(wanted, Math.floor(items.length / 2)));
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `│ ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  return [rule('┌', '┬', '┐'), line(head), rule('├', '┼', '┤'), ...rows.map(line), rule('└', '┴', '┘')].join('\n');
}

function formatDuration(ms: number): string {
  if (ms >= MINUTE) return `${(ms / MINUTE).toFixed(1)} min`;
  return `${(ms / 1000).toFixed(0)} s`;
}

function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
