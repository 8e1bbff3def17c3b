/**
 * The fault suite's Freshdesk track (`CRM=freshdesk`, issue 20): Connect tickets through their
 * whole lifecycle on the Freshdesk simulator, with the faults Freshdesk makes hardest — no
 * idempotency key (creates whose answer is lost, while the search index lags minutes behind),
 * no conditional writes (notes whose answer is lost, status writes refused or dropped), unsigned
 * automation webhooks that get lost, or arrive long after the tickets closed — and the same
 * end-of-run verifier as the rest of the suite (./verify.ts): 0 lost, 0 duplicated, 0 echoed,
 * 0 stuck. Every webhook also goes through the shuffler (delivered twice, shuffled).
 *
 * Phases, lock-step, each with its faults:
 *  1. users create: half the creates land but their answer is lost; a 429 storm; search lags 10 min;
 *  2. users comment (a third twice): half the notes' answers are lost; Freshdesk 500s on reads;
 *  3. agents reply (a third add a private note): the automation webhooks of one half are lost
 *     (the reconciler must find the replies), the other half's are held back for phase 6;
 *     Connect 503 on everything for a while;
 *  4. agents resolve: the webhooks of a quarter lost; a Connect 429 storm;
 *  5. users confirm: Freshdesk refuses and drops status writes for a while;
 *  6. the held webhooks are delivered, long after their tickets closed (the production "an hour
 *     late"): they must change nothing.
 *
 * Knobs: FAULT_FD_TICKETS (default 12). About 3 minutes here at the default.
 */
import { randomUUID } from 'node:crypto';
import type { FreshdeskSimulator } from '../../src/simulators/freshdesk';
import type { FreshdeskWebhookBody } from '../../src/simulators/freshdesk/freshdesk-simulator';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { emptyTally, verifyTicket, type TicketScript } from './verify';
import { WebhookShuffler } from './webhook-shuffler';

const TICKETS = Number(process.env.FAULT_FD_TICKETS ?? 12);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** Lost webhooks are found by the reconciler: short here, so a phase waits seconds for it. */
const RECONCILE_MS = 5 * SECOND;
/** A phase is over once no webhook came for this long. */
const QUIET_MS = 3 * SECOND;

jest.setTimeout(15 * MINUTE);

interface Plan extends TicketScript {
  id: string;
  fdId?: number;
}

describe(`fault suite, Freshdesk track: ${TICKETS} tickets through lost create answers, lost and late automation webhooks, rate limits and refused writes`, () => {
  let rig: BridgeRig;
  let shuffler: WebhookShuffler;
  let freshdesk: FreshdeskSimulator;
  const plans: Plan[] = Array.from({ length: TICKETS }, (_, i) => {
    const id = `FD${String(i).padStart(3, '0')}-${randomUUID().slice(0, 4)}`;
    return {
      id,
      label: `connect ${id}`,
      description: `[${id}] The meter shows nothing since Monday.`,
      userComments: [],
      agentReplies: [],
      notes: [],
      expected: { app: 'CLOSED', helpdesk: 'closed' },
    };
  });
  /** Webhooks held back in phase 3, delivered after the end (phase 6). */
  let late: FreshdeskWebhookBody[] = [];

  beforeAll(async () => {
    rig = await startBridgeRig({
      crm: 'freshdesk',
      connectNotifiesOnApiWrites: true,
      reconcileIntervalMs: RECONCILE_MS,
      workflowSettings: { solvedAutoCloseAfterMs: 30 * MINUTE },
    });
    freshdesk = rig.freshdesk!;
    shuffler = await WebhookShuffler.start({ target: rig.api.url, times: 2, windowMs: 150, concurrency: 8 });
    for (const sim of [rig.connect, freshdesk]) {
      const url = new URL(sim.webhookUrl!);
      sim.webhookUrl = `${shuffler.url}${url.pathname}${url.search}`;
    }
  }, 5 * MINUTE);

  afterAll(async () => {
    await shuffler?.stop();
    await rig?.teardown();
  }, 2 * MINUTE);

  /** Waits for `done`, polling; on timeout, names the tickets `pending` still lists. */
  async function until(label: string, pending: () => Plan[] | Promise<Plan[]>, timeoutMs = 3 * MINUTE) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = await pending();
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${label}: not done after ${timeoutMs / 1000} s for ${left.map((p) => p.id).join(', ')}`);
      await delay(500);
    }
  }
  /** No webhook arrived at the shuffler for QUIET_MS, and it delivered everything. */
  async function quiet() {
    let seen = shuffler.stats.received;
    let since = Date.now();
    for (;;) {
      await delay(250);
      if (shuffler.stats.received !== seen || !shuffler.idle()) {
        seen = shuffler.stats.received;
        since = Date.now();
      } else if (Date.now() - since >= QUIET_MS) return;
    }
  }

  const texts = (p: Plan) => freshdesk.conversations(p.fdId!).map((c) => c.body_text);
  const appComments = (p: Plan) => rig.connect.ticket(p.id)?.comments ?? [];
  const hasText = (all: string[], text: string) => all.some((t) => t.includes(text));

  it('loses nothing, doubles nothing, echoes nothing, and leaves no ticket stuck', async () => {
    // ── 1. Creates: lost answers (the create landed), a 429 storm, a search index 10 min behind.
    freshdesk.searchLagMs = 10 * MINUTE;
    const lostCreates = freshdesk.fault({ match: 'POST /tickets', kind: 'drop-after-write', times: Math.ceil(TICKETS / 2) });
    const storm = freshdesk.fault({ kind: 'rate-limit', retryAfter: 2, forMs: 8 * SECOND });
    for (const p of plans) await rig.connect.userCreatesTicket({ id: p.id, title: `Meter ${p.id}`, description: p.description });
    await until('1. created in Freshdesk', async () => {
      const left: Plan[] = [];
      for (const p of plans) {
        p.fdId ??= freshdesk.ticketByExternalId(`connect:${p.id}`)?.id;
        if (p.fdId === undefined || (await rig.state(p.id)).crmTicketId !== String(p.fdId)) left.push(p);
      }
      return left;
    });
    storm.remove();
    lostCreates.remove();
    expect(lostCreates.hits).toBeGreaterThan(0);
    await quiet();

    // ── 2. Users comment: lost note answers, failing reads.
    const lostNotes = freshdesk.fault({ match: 'POST /tickets/:id/notes', kind: 'drop-after-write', times: Math.ceil(TICKETS / 2) });
    const failingReads = freshdesk.fault({ match: 'GET /tickets/:id', kind: 'error', status: 500, forMs: 6 * SECOND });
    for (const [i, p] of plans.entries()) {
      const comments = i % 3 === 0 ? [`[${p.id}] Here is the reading: 10432.`, `[${p.id}] And a photo, later.`] : [`[${p.id}] Here is the reading: 10432.`];
      for (const text of comments) {
        p.userComments.push(text);
        await rig.connect.userComments(p.id, text);
      }
    }
    await until('2. user comments in Freshdesk', () => plans.filter((p) => !p.userComments.every((c) => hasText(texts(p), c))));
    failingReads.remove();
    lostNotes.remove();
    expect(lostNotes.hits).toBeGreaterThan(0);
    await quiet();

    // ── 3. Agents reply: one half's webhooks lost, the other half's held back for after the end.
    const connectDown = rig.connect.fault({ kind: 'error', status: 503, forMs: 8 * SECOND });
    const half = Math.ceil(TICKETS / 2);
    const reply = async (p: Plan, i: number) => {
      const text = `[${p.id}] agent: a technician will call.`;
      p.agentReplies.push(text);
      await freshdesk.agentReplies(p.fdId!, text);
      if (i % 3 === 1) {
        const note = `[${p.id}] note: legacy tariff.`;
        p.notes.push(note);
        await freshdesk.agentAddsNote(p.fdId!, note);
      }
    };
    freshdesk.webhooks.hold();
    for (const [i, p] of plans.slice(0, half).entries()) await reply(p, i);
    freshdesk.webhooks.discard();
    freshdesk.webhooks.hold();
    for (const [i, p] of plans.slice(half).entries()) await reply(p, i + half);
    // Everything of this phase (the agents' webhooks and the echoes of the bridge's writes so far)
    // stays back; from here on, webhooks flow again.
    late = [...freshdesk.webhooks.pending()];
    freshdesk.webhooks.discard();
    await until('3. agent replies in the app (the reconciler finds them)', () => plans.filter((p) => !p.agentReplies.every((r) => appComments(p).some((c) => c.message === r))));
    connectDown.remove();
    await quiet();

    // ── 4. Agents resolve: a quarter's webhooks lost; Connect rate-limits.
    const connectStorm = rig.connect.fault({ kind: 'rate-limit', retryAfter: 3, forMs: 8 * SECOND });
    const quarter = Math.ceil(TICKETS / 4);
    freshdesk.webhooks.hold();
    for (const p of plans.slice(0, quarter)) await freshdesk.agentSetsStatus(p.fdId!, 4);
    freshdesk.webhooks.discard();
    for (const p of plans.slice(quarter)) await freshdesk.agentSetsStatus(p.fdId!, 4);
    await until('4. SOLVED in the app', () => plans.filter((p) => rig.connect.ticket(p.id)?.status !== 'SOLVED'));
    connectStorm.remove();
    await quiet();

    // ── 5. Users confirm: Freshdesk refuses status writes for a while, then drops some answers.
    const refused = freshdesk.fault({ match: 'PUT /tickets/:id', kind: 'error', status: 503, forMs: 6 * SECOND });
    const dropped = freshdesk.fault({ match: 'PUT /tickets/:id', kind: 'drop-after-write', times: Math.ceil(TICKETS / 3) });
    for (const p of plans) await rig.connect.userConfirmsResolved(p.id);
    await until('5. closed in Freshdesk, workflows completed', async () => {
      const left: Plan[] = [];
      for (const p of plans) if (freshdesk.ticket(p.fdId!)?.status !== 5 || !(await rig.state(p.id)).completed) left.push(p);
      return left;
    });
    refused.remove();
    dropped.remove();
    await quiet();

    // ── 6. The held webhooks, long after their tickets closed.
    expect(late.length).toBeGreaterThan(0);
    for (const body of late) await freshdesk.webhooks.send(body);
    await quiet();
    await shuffler.drain();

    // ── The verdict: the same rules as the Zendesk tracks.
    // The helpdesk read as the end-to-end suites read it (test/support/helpdesks.ts): its
    // statuses in the bridge's words, its messages (the description first) with their authors.
    const tally = emptyTally();
    for (const p of plans) {
      const copies = freshdesk.tickets().filter((t) => t.custom_fields[freshdesk.externalIdField] === `connect:${p.id}`);
      const state = await rig.state(p.id);
      verifyTicket(
        p,
        {
          helpdesk: {
            copies: copies.length,
            status: rig.helpdesk.status(p.fdId!),
            messages: rig.helpdesk.messages(p.fdId!),
          },
          app: { status: rig.connect.ticket(p.id)?.status, comments: appComments(p) },
          workflow: { completed: state.completed, parked: state.parked.length },
        },
        tally,
      );
    }
    const figures = {
      tickets: tally.tickets,
      lost: tally.lost,
      duplicated: tally.duplicated,
      echoed: tally.echoed,
      notesLeaked: tally.notesLeaked,
      stuck: tally.stuck,
      wrongStatus: tally.wrongStatus,
      webhooksRefused: shuffler.stats.failed,
    };
    process.stdout.write(
      `\nFreshdesk track: ${JSON.stringify(figures)}; faults hit: ${lostCreates.hits} lost create answers, ${lostNotes.hits} lost note answers, ` +
        `${storm.hits} 429s, ${refused.hits + dropped.hits} refused or dropped status writes; ${late.length} webhooks delivered after the end\n`,
    );
    expect({ ...figures, problems: tally.problems }).toEqual({
      tickets: TICKETS,
      lost: 0,
      duplicated: 0,
      echoed: 0,
      notesLeaked: 0,
      stuck: 0,
      wrongStatus: 0,
      webhooksRefused: 0,
      problems: [],
    });
  });
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
