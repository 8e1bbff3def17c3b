/**
 * Issue 10: "A ticket whose conversation is 3 MB syncs to the end on the real server."
 *
 * Temporal refuses payloads over 2 MB, so the bridge reads a long conversation in windows of new
 * comment text (READ_WINDOW_BYTES in src/workflows/ticket-sync.ts). Here each direction carries
 * 3 MiB end to end through the production assembly (API + worker, src/runtime/bridge.ts) on the
 * real Temporal dev server: every comment arrives once and in order, the workflow keeps running,
 * no event of its history comes near the payload limit, and the ticket still syncs afterwards.
 *
 * Sizes: 48 user comments of 64 KiB (Zendesk's largest comment body) one way, 384 agent replies
 * of 8 KiB (four pages of Zendesk comments per read) the other way. The simulators accept both;
 * the bridge's webhooks are notifications (Connect) or one comment each (Zendesk), well inside
 * the API's 100 KB body limit. White-label events carry the whole ticket instead: see its test.
 */
import { createHash, randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { crmExternalId, ticketWorkflowId, type SourceKind } from '../../src/domain/ticket';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';

jest.setTimeout(900_000);

const KiB = 1024;
const MiB = 1024 * KiB;
/** How long the bridge may take for 3 MiB on a loaded machine: generous, nothing here is timed. */
const BULK = { timeoutMs: 300_000, intervalMs: 1_000 };
const SOON = { timeoutMs: 120_000, intervalMs: 500 };
/** A structural bound: a window is 256 KiB of text, the payload limit is 2 MB. */
const LARGEST_EVENT_BOUND = 512 * KiB;

/**
 * A message of exactly `bytes` ASCII bytes, distinct throughout (every line names its message):
 * an imaginary installer's meter log, no personal data.
 */
function message(label: string, bytes: number): string {
  const head = `${label}\n`;
  const tail = `\n(end of ${label})`;
  const lines: string[] = [];
  let length = 0;
  for (let line = 0; length < bytes; line++) {
    const text = `${label} line ${line}: meter ${(line * 7_919) % 10_007} kWh, inverter ${(line * 104_729) % 65_521} W\n`;
    lines.push(text);
    length += text.length;
  }
  return head + lines.join('').slice(0, bytes - head.length - tail.length) + tail;
}

/** `count` messages of `bytes` each, `count * bytes` in all. */
function messages(who: string, count: number, bytes: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => message(`${who} part ${String(i + 1).padStart(width, '0')} of ${count}`, bytes));
}

/** A body as its first line and a digest: comparisons of 3 MiB stay readable when they fail. */
const fingerprint = (body: string) => `${body.split('\n', 1)[0]!.slice(0, 60)} #${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;

const totalBytes = (bodies: readonly string[]) => bodies.reduce((n, b) => n + Buffer.byteLength(b), 0);

interface HistoryFigures {
  runs: number;
  events: number;
  largestEventBytes: number;
  largestEventType: string;
  workflowTaskFailures: string[];
}

const UNHANDLED_COMMAND = temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;

/**
 * The events of one run, a few at a time: a 3 MiB conversation makes a history whose first
 * default-sized page (over 6 MB) is more than a gRPC client accepts in one message (4 MB).
 */
async function* historyEvents(rig: BridgeRig, workflowId: string, runId: string): AsyncGenerator<temporal.api.history.v1.IHistoryEvent> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await rig.client.workflowService.getWorkflowExecutionHistory({
      namespace: rig.env.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 25,
      nextPageToken,
    });
    yield* page.history?.events ?? [];
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

/**
 * Every run of the ticket's workflow (following continue-as-new from the first run): the largest
 * event as encoded on the wire, and any failed workflow task.
 */
async function historyFigures(rig: BridgeRig, workflowId: string): Promise<HistoryFigures> {
  const described = await rig.client.workflow.getHandle(workflowId).describe();
  const figures: HistoryFigures = { runs: 0, events: 0, largestEventBytes: 0, largestEventType: '', workflowTaskFailures: [] };
  let runId: string | null | undefined = described.raw.workflowExecutionInfo!.firstRunId!;
  while (runId) {
    figures.runs++;
    let last: temporal.api.history.v1.IHistoryEvent | undefined;
    for await (const event of historyEvents(rig, workflowId, runId)) {
      figures.events++;
      last = event;
      const bytes = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
      if (bytes > figures.largestEventBytes) {
        figures.largestEventBytes = bytes;
        figures.largestEventType = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType);
      }
      const failure = event.workflowTaskFailedEventAttributes;
      // UNHANDLED_COMMAND is Temporal's ordinary answer to a task that would continue-as-new while
      // a signal (a webhook) just arrived: the SDK runs the task again with the signal in it.
      if (failure && failure.cause !== UNHANDLED_COMMAND) {
        figures.workflowTaskFailures.push(`${temporal.api.enums.v1.WorkflowTaskFailedCause[failure.cause ?? 0]}: ${failure.failure?.message ?? ''}`);
      }
    }
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return figures;
}

/** The workflow is alive, never failed a task, and no event of its history nears the payload limit. */
async function expectHealthyHistory(rig: BridgeRig, source: SourceKind, ticketId: string, what: string): Promise<HistoryFigures> {
  const workflowId = ticketWorkflowId(source, ticketId);
  expect((await rig.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
  const state = await rig.stateOf(source, ticketId);
  expect(state.completed).toBe(false);
  expect(state.lastError).toBeNull();
  const figures = await historyFigures(rig, workflowId);
  expect(figures.workflowTaskFailures).toEqual([]);
  expect(figures.largestEventBytes).toBeLessThan(LARGEST_EVENT_BOUND);
  process.stdout.write(
    `[long-conversation] ${what}: ${figures.runs} run(s), ${figures.events} events, largest event ${figures.largestEventBytes} bytes (${figures.largestEventType})\n`,
  );
  return figures;
}

describe('issue 10: a 3 MB conversation syncs to the end (Connect ⇄ Zendesk)', () => {
  let rig: BridgeRig;
  beforeAll(async () => {
    rig = await startBridgeRig();
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  async function openTicket() {
    const id = `lc-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Inverter log', description: 'The inverter log of the last weeks follows.' });
    const zd = await rig.zendeskTicketFor(id);
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(zd.id)), SOON);
    return { id, zd };
  }

  /**
   * The requester's public comments in Zendesk, as fingerprints. The description (the first
   * comment) is not among them: Zendesk makes the submitter, the bridge's API user, its author.
   */
  const userCommentsInZendesk = (zdId: number, requesterId: number) =>
    rig.zendesk
      .comments(zdId)
      .filter((c) => c.public && c.author_id === requesterId)
      .map((c) => fingerprint(c.body));
  const supportCommentsInConnect = (id: string) =>
    rig.connect
      .ticket(id)!
      .comments.filter((c) => c.author === 'SUPPORT')
      .map((c) => fingerprint(c.message));

  test('user → agent: 48 comments of 64 KiB reach Zendesk once each, in order, and the ticket syncs on', async () => {
    const { id, zd } = await openTicket();
    const bodies = messages('user log', 48, 64 * KiB);
    expect(totalBytes(bodies)).toBe(3 * MiB);

    // The platform's webhooks are held while the user writes, so the bridge's first read meets
    // all 3 MiB at once (more than the 2 MB payload limit); then they all arrive together.
    rig.connect.webhooks.hold();
    try {
      for (const body of bodies) await rig.connect.userComments(id, body);
    } finally {
      const released = await rig.connect.webhooks.release();
      expect(released.map((d) => d.status)).toEqual(bodies.map(() => 202));
    }

    const expected = bodies.map(fingerprint);
    await eventually(() => expect(userCommentsInZendesk(zd.id, zd.requester_id)).toEqual(expected), BULK);
    expect((await rig.state(id)).counts.userCommentsToCrm).toBe(48);
    await expectHealthyHistory(rig, 'connect', id, 'user → agent, after the bulk');

    // The ticket keeps syncing after the bulk: the user writes once more, an agent answers.
    await rig.connect.userComments(id, 'That is the whole log.');
    await eventually(() => expect(userCommentsInZendesk(zd.id, zd.requester_id)).toEqual([...expected, fingerprint('That is the whole log.')]), SOON);
    await rig.zendesk.agentReplies(zd.id, 'Thanks, the log is complete; we are reading it.');
    await eventually(() => expect(supportCommentsInConnect(id)).toEqual([fingerprint('Thanks, the log is complete; we are reading it.')]), SOON);

    // Nothing doubled in the meantime, nothing echoed back to the user.
    const zendeskBodies = rig.zendesk.comments(zd.id).map((c) => fingerprint(c.body));
    expect(zendeskBodies).toEqual([
      fingerprint('The inverter log of the last weeks follows.'),
      ...expected,
      fingerprint('That is the whole log.'),
      fingerprint('Thanks, the log is complete; we are reading it.'),
    ]);
    expect(rig.connect.ticket(id)!.comments.map((c) => fingerprint(c.message))).toEqual([
      ...bodies.map(fingerprint),
      fingerprint('That is the whole log.'),
      fingerprint('Thanks, the log is complete; we are reading it.'),
    ]);
    expect(await rig.state(id)).toMatchObject({ counts: { userCommentsToCrm: 49, agentRepliesToSource: 1 } });
    await expectHealthyHistory(rig, 'connect', id, 'user → agent, at the end');
  });

  test('agent → user: 384 public replies of 8 KiB reach the app once each, in order, and the ticket syncs on', async () => {
    const { id, zd } = await openTicket();
    const bodies = messages('agent notes', 384, 8 * KiB);
    expect(totalBytes(bodies)).toBe(3 * MiB);

    // Zendesk's webhooks are held while the agent writes: the bridge's first read of Zendesk
    // meets all 3 MiB (four pages of comments) at once.
    rig.zendesk.webhooks.hold();
    try {
      for (const body of bodies) await rig.zendesk.agentReplies(zd.id, body);
    } finally {
      const released = await rig.zendesk.webhooks.release();
      expect(released.map((d) => d.status)).toEqual(bodies.map(() => 202));
    }

    const expected = bodies.map(fingerprint);
    await eventually(() => expect(supportCommentsInConnect(id)).toEqual(expected), BULK);
    expect((await rig.state(id)).counts.agentRepliesToSource).toBe(384);
    await expectHealthyHistory(rig, 'connect', id, 'agent → user, after the bulk');

    // The ticket keeps syncing after the bulk: the user answers, the agent replies once more.
    await rig.connect.userComments(id, 'All received, thank you.');
    await eventually(() => expect(userCommentsInZendesk(zd.id, zd.requester_id)).toEqual([fingerprint('All received, thank you.')]), SOON);
    await rig.zendesk.agentReplies(zd.id, 'One last note: the inverter firmware is current.');
    await eventually(() => expect(supportCommentsInConnect(id)).toEqual([...expected, fingerprint('One last note: the inverter firmware is current.')]), SOON);

    // Nothing doubled in the meantime, nothing echoed back to Zendesk.
    expect(rig.zendesk.comments(zd.id).map((c) => fingerprint(c.body))).toEqual([
      fingerprint('The inverter log of the last weeks follows.'),
      ...expected,
      fingerprint('All received, thank you.'),
      fingerprint('One last note: the inverter firmware is current.'),
    ]);
    expect(await rig.state(id)).toMatchObject({ counts: { userCommentsToCrm: 1, agentRepliesToSource: 385 } });
    await expectHealthyHistory(rig, 'connect', id, 'agent → user, at the end');
  });
});

describe('issue 10: a 3 MB conversation syncs to the end (white-label → Zendesk)', () => {
  let rig: BridgeRig;
  beforeAll(async () => {
    rig = await startBridgeRig();
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  test('client → agent: 48 replies of 64 KiB reach Zendesk once each, in order, and the ticket syncs on', async () => {
    const wl = rig.whitelabel;
    const opening = 'The inverter log of the last weeks follows.';
    const { ticket } = await wl.clientCreatesTicket({ title: 'Inverter log', text: opening });
    const zd = await rig.zendeskTicketFor(ticket.id, 'whitelabel');
    expect(zd.external_id).toBe(crmExternalId('whitelabel', ticket.id));
    await eventually(async () => expect((await rig.stateOf('whitelabel', ticket.id)).crmTicketId).toBe(String(zd.id)), SOON);

    const bodies = messages('client log', 48, 64 * KiB);
    expect(totalBytes(bodies)).toBe(3 * MiB);
    // The platform sends one event per reply, each carrying the whole ticket so far.
    const statuses: (number | null)[] = [];
    for (const body of bodies) statuses.push(...(await wl.clientReplies(ticket.id, body)).webhooks.map((d) => d.status));
    // The platform retries any non-2xx for three days: every event must be taken, including one
    // larger than the API's WHITELABEL_BODY_LIMIT (1 MB by default, and in the rig), which is
    // refused with 413 payload_too_large before anything else is looked at.
    expect(statuses.map((s, i) => `${i + 1}: ${s}`)).toEqual(statuses.map((_, i) => `${i + 1}: 202`));

    const userComments = () =>
      rig.zendesk
        .comments(zd.id)
        .filter((c) => c.public && c.author_id === zd.requester_id)
        .map((c) => fingerprint(c.body));
    const expected = bodies.map(fingerprint);
    await eventually(() => expect(userComments()).toEqual(expected), BULK);
    expect((await rig.stateOf('whitelabel', ticket.id)).counts.userCommentsToCrm).toBe(48);
    await expectHealthyHistory(rig, 'whitelabel', ticket.id, 'white-label client → agent, after the bulk');

    // The ticket keeps syncing after the bulk: the client writes once more, an agent answers.
    await wl.clientReplies(ticket.id, 'That is the whole log.');
    await eventually(() => expect(userComments()).toEqual([...expected, fingerprint('That is the whole log.')]), SOON);
    await rig.zendesk.agentReplies(zd.id, 'Thanks, the log is complete; we are reading it.');
    await eventually(
      () =>
        expect(
          wl
            .ticket(ticket.id)!
            .replies.filter((r) => !r.is_client_reply)
            .map((r) => r.text),
        ).toEqual(['Thanks, the log is complete; we are reading it.']),
      SOON,
    );
    expect(rig.zendesk.comments(zd.id).map((c) => fingerprint(c.body))).toEqual([
      fingerprint(opening),
      ...expected,
      fingerprint('That is the whole log.'),
      fingerprint('Thanks, the log is complete; we are reading it.'),
    ]);
    await expectHealthyHistory(rig, 'whitelabel', ticket.id, 'white-label client → agent, at the end');
  });
});
