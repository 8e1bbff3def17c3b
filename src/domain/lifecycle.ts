/**
 * The ticket lifecycle NEW → OPEN → PENDING → SOLVED → CLOSED, as one pure function.
 *
 * `decide(state, observation)` returns the next state and the effects to perform, in order.
 * It does no I/O and reads no clock (time comes in with the observation), so the workflow can
 * drive it deterministically and tests can walk every transition as a table.
 *
 * The state remembers the last status seen at (or written to) each side. A status read back
 * that equals the remembered one is no change, which is what keeps the bridge's own status
 * writes from echoing back and forth.
 */
import type { CrmComment, CrmStatus, SourceComment, SourceTicket, TicketStatus } from './ticket';

export interface LifecycleSettings {
  /** How long a SOLVED ticket waits for the user's confirmation before it is closed. */
  solvedAutoCloseAfterMs: number;
  /**
   * The source status set when the user answers "not resolved" to a SOLVED ticket. The guide
   * says PENDING (even though a plain user reply means OPEN); configurable, PENDING by default.
   */
  reopenSourceStatus: 'PENDING' | 'OPEN';
  /**
   * A source that reads NEW once the CRM ticket exists tells nothing new: no person moves a ticket
   * back to NEW, but a source that derives its status (the white-label platform: "no client reply
   * yet") still says NEW after an agent replied, and taking that as a change reopened the CRM
   * ticket. Off only for ticket workflows that started before this rule (replay safety).
   */
  linkedNewIsNoChange: boolean;
  /**
   * News from both sides in the same second goes to the helpdesk: a helpdesk tells time to the
   * second, so its agent's action stamped in the user's second may well be the later one (it
   * answered the message the bridge had already copied there), and nothing tells them apart
   * finer. Off: the finer time wins, as before (`sameSecondDecides` says when it matters).
   */
  sameSecondToCrm?: boolean;
}

export const DEFAULT_LIFECYCLE_SETTINGS: LifecycleSettings = {
  solvedAutoCloseAfterMs: 72 * 60 * 60 * 1000,
  reopenSourceStatus: 'PENDING',
  linkedNewIsNoChange: true,
};

export interface LifecycleState {
  /** The bridge's view of where the ticket is in its life. */
  status: TicketStatus;
  /** Last status seen at, or written to, the source. null until the first read. */
  sourceStatus: TicketStatus | null;
  /** Last status seen at, or written to, the CRM. null until the CRM ticket exists. */
  crmStatus: CrmStatus | null;
  /** Whether the CRM ticket exists (its id is kept by the workflow, not needed here). */
  linked: boolean;
  /** Epoch ms at which an unconfirmed SOLVED ticket is closed; null when no timer runs. */
  solvedTimerDeadline: number | null;
  /** Set once the ticket is CLOSED or deleted: the workflow then completes. */
  completed: boolean;
}

export const INITIAL_LIFECYCLE_STATE: LifecycleState = {
  status: 'NEW',
  sourceStatus: null,
  crmStatus: null,
  linked: false,
  solvedTimerDeadline: null,
  completed: false,
};

export type Observation =
  /** The source ticket was read back (or carried by an event); `newComments` are the unseen ones. */
  | { type: 'source-read'; ticket: SourceTicket; newComments: SourceComment[]; now: number }
  /** The source says the ticket is gone (DELETE webhook or 404 on read-back). */
  | { type: 'source-deleted'; now: number }
  /** The CRM ticket was read back: its status and the agents' new public replies. */
  | { type: 'crm-read'; status: CrmStatus; newAgentReplies: CrmComment[]; now: number }
  /** The CRM ticket is gone (a helpdesk admin deleted it; confirmed by reads over minutes). */
  | { type: 'crm-deleted'; now: number }
  /** The SOLVED timer fired. */
  | { type: 'solved-timer-fired'; now: number }
  /** An operator closed the ticket (ops API / CLI), giving a reason for the agents. */
  | { type: 'operator-closed'; reason: string; now: number }
  /**
   * Both sides read back, one just after the other, for one decision (v3 sync rules). Each
   * side's `updatedAt` orders the two sides' changes when both changed since the last sync.
   */
  | { type: 'both-read'; source: SourceSide; crm: CrmSide; now: number };

/** The source as one read saw it: the ticket (its `updatedAt` too) and its unseen comments. */
export interface SourceSide {
  ticket: SourceTicket;
  newComments: SourceComment[];
}

/** The CRM as one read saw it. */
export interface CrmSide {
  status: CrmStatus;
  newAgentReplies: CrmComment[];
  /** The CRM ticket's `updated_at` (ISO-8601). */
  updatedAt: string;
}

export type Effect =
  /** Find-or-create the CRM ticket from the source ticket (exactly once). */
  | { type: 'create-crm-ticket'; status: CrmStatus }
  /** A user's comment, shown in the CRM as a public comment from the requester. */
  | { type: 'crm-user-comment'; comment: SourceComment }
  /** A support comment written in the source by someone else than the bridge: an internal note for the agents. */
  | { type: 'crm-support-note'; comment: SourceComment }
  | { type: 'crm-internal-note'; body: string }
  | { type: 'set-crm-status'; status: CrmStatus }
  /** An agent's public reply, posted to the source as a support comment. */
  | { type: 'source-agent-reply'; comment: CrmComment }
  | { type: 'set-source-status'; status: TicketStatus };

export interface Decision {
  state: LifecycleState;
  effects: Effect[];
}

/** The CRM status that mirrors a source status. A CRM ticket never returns to `new`. */
export function crmStatusFor(status: TicketStatus, linked: boolean): CrmStatus {
  switch (status) {
    case 'NEW':
      return linked ? 'open' : 'new';
    case 'OPEN':
      return 'open';
    case 'PENDING':
      return 'pending';
    case 'SOLVED':
      return 'solved';
    case 'CLOSED':
      return 'closed';
  }
}

/** The source status that mirrors a CRM status (`hold` is still waiting on an agent: OPEN). */
export function sourceStatusFor(status: CrmStatus): TicketStatus {
  switch (status) {
    case 'new':
      return 'NEW';
    case 'open':
    case 'hold':
      return 'OPEN';
    case 'pending':
      return 'PENDING';
    case 'solved':
      return 'SOLVED';
    case 'closed':
      return 'CLOSED';
  }
}

export function operatorClosedNote(reason: string): string {
  return `Closed by an operator through ticket-bridge: ${reason}`;
}

/** An agent's reply that arrived after the user had closed the ticket: it can no longer reach them. */
export function undeliveredReplyNote(crmCommentId: string): string {
  return `This reply (comment ${crmCommentId}) did not reach the user: they had already closed the ticket in the app. Open a new conversation with them if it matters.`;
}

export const DELETED_NOTE =
  'The user deleted this ticket in the app. ticket-bridge solved it here; replies will no longer reach the user.';

export function decide(
  state: LifecycleState,
  observation: Observation,
  settings: LifecycleSettings = DEFAULT_LIFECYCLE_SETTINGS,
): Decision {
  if (state.completed) return { state, effects: [] };
  switch (observation.type) {
    case 'source-read':
      return onSourceRead(state, observation.ticket, observation.newComments, observation.now, settings);
    case 'source-deleted':
      return onSourceDeleted(state);
    case 'crm-read':
      return onCrmRead(state, observation.status, observation.newAgentReplies, observation.now, settings);
    case 'crm-deleted':
      return onCrmDeleted(state);
    case 'solved-timer-fired':
      return onSolvedTimerFired(state, observation.now);
    case 'operator-closed':
      return onOperatorClosed(state, observation.reason);
    case 'both-read':
      return onBothRead(state, observation.source, observation.crm, observation.now, settings);
  }
}

/** Collects effects while keeping the remembered side statuses in step with the writes. */
class Plan {
  readonly effects: Effect[] = [];
  constructor(public state: LifecycleState) {}

  set(patch: Partial<LifecycleState>): void {
    this.state = { ...this.state, ...patch };
  }

  crmStatus(status: CrmStatus): void {
    // A closed CRM ticket is read-only (the helpdesk refuses a write, e.g. 422): never write to it.
    if (this.state.crmStatus === status || this.state.crmStatus === 'closed') return;
    this.effects.push({ type: 'set-crm-status', status });
    this.set({ crmStatus: status });
  }

  sourceStatus(status: TicketStatus): void {
    if (this.state.sourceStatus === status) return;
    this.effects.push({ type: 'set-source-status', status });
    this.set({ sourceStatus: status });
  }

  done(): Decision {
    return { state: this.state, effects: this.effects };
  }
}

function onSourceRead(
  state: LifecycleState,
  ticket: SourceTicket,
  newComments: SourceComment[],
  now: number,
  settings: LifecycleSettings,
): Decision {
  const plan = new Plan(state);
  // A linked ticket read as NEW is where it was (see `linkedNewIsNoChange`).
  const observed =
    settings.linkedNewIsNoChange && state.linked && ticket.status === 'NEW' && state.sourceStatus !== null ? state.sourceStatus : ticket.status;

  if (!state.linked) {
    const initial = crmStatusFor(observed === 'CLOSED' ? 'NEW' : observed, false);
    plan.effects.push({ type: 'create-crm-ticket', status: initial });
    plan.set({
      linked: true,
      crmStatus: initial,
      sourceStatus: observed,
      status: observed === 'CLOSED' ? 'NEW' : observed,
      solvedTimerDeadline: observed === 'SOLVED' ? now + settings.solvedAutoCloseAfterMs : null,
    });
  }

  for (const comment of newComments) {
    plan.effects.push(
      comment.author === 'USER' ? { type: 'crm-user-comment', comment } : { type: 'crm-support-note', comment },
    );
  }
  const userReplied = newComments.some((c) => c.author === 'USER');
  const statusChanged = observed !== plan.state.sourceStatus;
  plan.set({ sourceStatus: observed });

  if (observed === 'CLOSED') {
    // The user confirmed the resolution (or the platform closed it): close everywhere.
    plan.crmStatus('closed');
    plan.set({ status: 'CLOSED', solvedTimerDeadline: null, completed: true });
    return plan.done();
  }

  if (plan.state.status === 'SOLVED' && (userReplied || (statusChanged && observed !== 'SOLVED'))) {
    // "Not resolved": back to the agents, and the source shows the configured reopen status.
    plan.crmStatus('open');
    plan.sourceStatus(settings.reopenSourceStatus);
    plan.set({ status: 'OPEN', solvedTimerDeadline: null });
    return plan.done();
  }

  if (userReplied) {
    // A user reply means support has to act again: OPEN on both sides (the source set it itself).
    plan.crmStatus('open');
    plan.set({ status: 'OPEN' });
    return plan.done();
  }

  if (statusChanged) {
    if (observed === 'SOLVED') {
      plan.crmStatus('solved');
      plan.set({ status: 'SOLVED', solvedTimerDeadline: now + settings.solvedAutoCloseAfterMs });
    } else {
      plan.crmStatus(crmStatusFor(observed, true));
      plan.set({ status: observed, solvedTimerDeadline: null });
    }
  }
  return plan.done();
}

/**
 * One decision from fresh reads of both sides.
 *
 * - The user's CLOSED is final: their new comments still reach the CRM, an agent's new reply
 *   becomes an internal note saying it was not delivered, and the CRM ticket is closed.
 * - A CRM ticket closed meanwhile (read-only in the helpdesk) closes the source, after the agents'
 *   replies have reached it.
 * - When only one side has news for the status (a status change; a user's or an agent's reply),
 *   that side decides it, exactly as a read of that side alone would.
 * - When both have, the later one (by each ticket's `updatedAt`) wins, and both sides are brought
 *   to its outcome. Comments travel both ways either way.
 *
 * Status writes are planned against what each side shows now, not what it showed before, so
 * nothing is written that a side already shows, and no side is written twice.
 */
function onBothRead(state: LifecycleState, source: SourceSide, crm: CrmSide, now: number, settings: LifecycleSettings): Decision {
  if (!state.linked) return onSourceRead(state, source.ticket, source.newComments, now, settings);
  // null: a linked ticket read as NEW while nothing is remembered of it (adopted): no news.
  const effective = effectiveSourceStatus(state, source.ticket.status, settings);
  const observedSource = effective ?? source.ticket.status;
  const { sourceNews, crmNews } = newsOf(state, source, crm, settings);

  if (observedSource === 'CLOSED' || crm.status === 'closed') {
    const plan = new Plan({ ...state, sourceStatus: observedSource, crmStatus: crm.status });
    if (crm.status !== 'closed') plan.effects.push(...commentsToCrm(source.newComments));
    if (observedSource === 'CLOSED') {
      for (const reply of crm.newAgentReplies) plan.effects.push({ type: 'crm-internal-note', body: undeliveredReplyNote(reply.id) });
    } else {
      for (const reply of crm.newAgentReplies) plan.effects.push({ type: 'source-agent-reply', comment: reply });
    }
    plan.crmStatus('closed');
    plan.sourceStatus('CLOSED');
    plan.set({ status: 'CLOSED', solvedTimerDeadline: null, completed: true });
    return plan.done();
  }

  const fromSource = onSourceRead(state, source.ticket, source.newComments, now, settings);
  const fromCrm = onCrmRead(state, crm.status, crm.newAgentReplies, now, settings);
  const comments = [...fromSource.effects, ...fromCrm.effects].filter((e) => !isStatusWrite(e));
  const crmWins = sourceNews && crmNews ? crmActedLater(humanActionAt(state, source, crm), settings.sameSecondToCrm === true) : crmNews;
  const winner = crmWins ? fromCrm : fromSource;

  // Where each side should end up: what the winner wrote there, else (when both had news) the
  // mirror of the winner's outcome, else where it is.
  const wrote = (type: 'set-crm-status' | 'set-source-status') => winner.effects.find((e) => e.type === type);
  const crmWrite = wrote('set-crm-status');
  const sourceWrite = wrote('set-source-status');
  const bothNews = sourceNews && crmNews;
  const crmTarget: CrmStatus =
    crmWrite?.type === 'set-crm-status' ? crmWrite.status : bothNews && !crmWins ? crmStatusFor(winner.state.status, true) : crm.status;
  let sourceTarget: TicketStatus =
    sourceWrite?.type === 'set-source-status' ? sourceWrite.status : bothNews && crmWins ? sourceStatusFor(crm.status) : observedSource;
  // A user's reply to a ticket solved outside the bridge (a teammate closed it in the platform)
  // reopens it: the source must not go on showing it solved.
  if (sourceTarget === 'SOLVED' && winner.state.status !== 'SOLVED') sourceTarget = settings.reopenSourceStatus;

  const plan = new Plan({ ...winner.state, sourceStatus: observedSource, crmStatus: crm.status });
  plan.effects.push(...comments);
  plan.crmStatus(crmTarget);
  plan.sourceStatus(sourceTarget);
  return plan.done();
}

/** Whether each side shows something the lifecycle has not decided on. */
function newsOf(state: LifecycleState, source: SourceSide, crm: CrmSide, settings: LifecycleSettings): { sourceNews: boolean; crmNews: boolean } {
  const effective = effectiveSourceStatus(state, source.ticket.status, settings);
  return {
    sourceNews: (effective !== null && effective !== state.sourceStatus) || source.newComments.some((c) => c.author === 'USER'),
    crmNews: crm.status !== state.crmStatus || crm.newAgentReplies.length > 0,
  };
}

/** The helpdesk's news is the later (ties go to it; with `sameSecond`, ties to the second too). */
function crmActedLater(at: { source: number; crm: number }, sameSecond: boolean): boolean {
  return at.crm >= at.source || (sameSecond && Math.floor(at.crm / 1000) === Math.floor(at.source / 1000));
}

/**
 * Whether `sameSecondToCrm` changes the decision on this observation: news from both sides, the
 * helpdesk's stamped earlier than the source's but in the same second. Lets the workflow ask for
 * the rule only when it matters.
 */
export function sameSecondDecides(state: LifecycleState, observation: Observation, settings: LifecycleSettings = DEFAULT_LIFECYCLE_SETTINGS): boolean {
  if (observation.type !== 'both-read' || state.completed || !state.linked) return false;
  const { source, crm } = observation;
  const { sourceNews, crmNews } = newsOf(state, source, crm, settings);
  if (!sourceNews || !crmNews) return false;
  const at = humanActionAt(state, source, crm);
  return crmActedLater(at, true) !== crmActedLater(at, false);
}

/**
 * When each side's news happened, as closely as the reads tell: the newest new comment by a person
 * (the user's, an agent's reply) when the status did not change, else the ticket's `updatedAt`.
 * A ticket's `updatedAt` also moves with the bridge's own writes, so a comment's time is the
 * better witness whenever there is one.
 */
function humanActionAt(state: LifecycleState, source: SourceSide, crm: CrmSide): { source: number; crm: number } {
  const newest = (times: string[]) => (times.length === 0 ? null : Math.max(...times.map((t) => Date.parse(t))));
  const userAt = newest(source.newComments.filter((c) => c.author === 'USER').map((c) => c.createdAt));
  const agentAt = newest(crm.newAgentReplies.map((c) => c.createdAt));
  const sourceStatusChanged = source.ticket.status !== state.sourceStatus;
  return {
    source: !sourceStatusChanged && userAt !== null ? userAt : Date.parse(source.ticket.updatedAt),
    crm: crm.status === state.crmStatus && agentAt !== null ? agentAt : Date.parse(crm.updatedAt),
  };
}

function isStatusWrite(effect: Effect): boolean {
  return effect.type === 'set-crm-status' || effect.type === 'set-source-status';
}

function commentsToCrm(comments: SourceComment[]): Effect[] {
  return comments.map((comment) =>
    comment.author === 'USER' ? { type: 'crm-user-comment', comment } : { type: 'crm-support-note', comment },
  );
}

/** A linked ticket read as NEW is where it was (see `linkedNewIsNoChange`). */
function effectiveSourceStatus(state: LifecycleState, read: TicketStatus, settings: LifecycleSettings): TicketStatus | null {
  if (settings.linkedNewIsNoChange && state.linked && read === 'NEW') return state.sourceStatus;
  return read;
}

function onSourceDeleted(state: LifecycleState): Decision {
  const plan = new Plan(state);
  if (state.linked && state.crmStatus !== 'closed') {
    plan.effects.push({ type: 'crm-internal-note', body: DELETED_NOTE });
    plan.crmStatus('solved');
  }
  plan.set({ status: 'CLOSED', solvedTimerDeadline: null, completed: true });
  return plan.done();
}

function onCrmRead(
  state: LifecycleState,
  observed: CrmStatus,
  newAgentReplies: CrmComment[],
  now: number,
  settings: LifecycleSettings,
): Decision {
  const plan = new Plan(state);
  if (!state.linked) return plan.done();

  for (const comment of newAgentReplies) plan.effects.push({ type: 'source-agent-reply', comment });
  const statusChanged = observed !== state.crmStatus;
  plan.set({ crmStatus: observed });

  if (statusChanged && observed === 'closed') {
    // Closed in the CRM (its own automation, or an agent): the lifecycle is over.
    plan.sourceStatus('CLOSED');
    plan.set({ status: 'CLOSED', solvedTimerDeadline: null, completed: true });
  } else if (statusChanged && observed === 'solved') {
    plan.sourceStatus('SOLVED');
    plan.set({ status: 'SOLVED', solvedTimerDeadline: now + settings.solvedAutoCloseAfterMs });
  } else if (statusChanged && observed !== 'new') {
    // An agent moved the ticket by hand (pending, open, hold): mirror it.
    const status = sourceStatusFor(observed);
    plan.sourceStatus(status);
    plan.set({ status, solvedTimerDeadline: null });
  } else if (newAgentReplies.length > 0 && observed !== 'solved' && observed !== 'closed') {
    // Support replied: the guide's proposed status is PENDING (waiting for the user).
    plan.sourceStatus('PENDING');
    plan.set({ status: 'PENDING', solvedTimerDeadline: null });
  }
  return plan.done();
}

function onSolvedTimerFired(state: LifecycleState, now: number): Decision {
  if (state.status !== 'SOLVED' || state.solvedTimerDeadline === null || now < state.solvedTimerDeadline) {
    return { state, effects: [] }; // a stale timer: the ticket moved on
  }
  const plan = new Plan(state);
  // The CRM first: if an agent wrote meanwhile, its close conflicts and the reply still reaches
  // the user, whereas a source closed first would read as the user's final word.
  plan.crmStatus('closed');
  plan.sourceStatus('CLOSED');
  plan.set({ status: 'CLOSED', solvedTimerDeadline: null, completed: true });
  return plan.done();
}

/**
 * The CRM ticket was deleted (by a helpdesk admin): nobody is there to answer, so the source
 * ticket is closed rather than left waiting. A later message from the user starts anew.
 */
function onCrmDeleted(state: LifecycleState): Decision {
  const plan = new Plan({ ...state, crmStatus: 'closed' });
  plan.sourceStatus('CLOSED');
  plan.set({ status: 'CLOSED', solvedTimerDeadline: null, completed: true });
  return plan.done();
}

function onOperatorClosed(state: LifecycleState, reason: string): Decision {
  const plan = new Plan(state);
  if (state.linked && state.crmStatus !== 'closed') {
    plan.effects.push({ type: 'crm-internal-note', body: operatorClosedNote(reason) });
  }
  if (state.linked) plan.crmStatus('closed');
  plan.sourceStatus('CLOSED');
  plan.set({ status: 'CLOSED', solvedTimerDeadline: null, completed: true });
  return plan.done();
}
