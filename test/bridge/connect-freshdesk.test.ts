/**
 * The bridge end to end on Freshdesk (`CRM=freshdesk`, issue 20): the Connect and Freshdesk
 * simulators send their webhooks to the real API, which signals real ticket workflows on the
 * Temporal harness, whose activities call the simulators back over HTTP through the Freshdesk
 * adapter made from a configuration, as production makes it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { closeUpdate } from '../../src/workflows/definitions';
import { TicketStatusKey } from '../../src/workflows/search-attributes';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { recordHistory } from '../support/histories';

jest.setTimeout(120_000);

describe('Connect ⇄ Freshdesk through one workflow per ticket', () => {
  let rig: BridgeRig;

  beforeAll(async () => {
    rig = await startBridgeRig({ crm: 'freshdesk', workflowSettings: { solvedAutoCloseAfterMs: 60_000 }, reconcileIntervalMs: RECONCILE_MS });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  /** Short and real: no time skipping on the real server. */
  const RECONCILE_MS = 3_000;
  const freshdesk = () => rig.freshdesk!;
  const MB = 1024 * 1024;
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const png = (size: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(size - 8)]);
  const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

  async function openTicket() {
    const id = `t-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
    const fd = await eventually(() => {
      const ticket = freshdesk().ticketByExternalId(`connect:${id}`);
      if (!ticket) throw new Error('no Freshdesk ticket yet');
      return ticket;
    });
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(fd.id)));
    return { id, fd };
  }
  const connectComments = (id: string) => rig.connect.ticket(id)!.comments.map((c) => [c.author, c.message]);

  test("the guide's flow on Freshdesk: created → user comment → agent reply → resolved → user confirms → closed", async () => {
    const id = `t-${randomUUID().slice(0, 8)}`;
    const created = await rig.connect.userCreatesTicket({ id, title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
    expect(created.webhooks.map((w) => w.status)).toEqual([202]);
    const fd = await eventually(() => {
      const ticket = freshdesk().ticketByExternalId(`connect:${id}`);
      if (!ticket) throw new Error('no Freshdesk ticket yet');
      return ticket;
    });
    expect(fd).toMatchObject({ subject: 'Meter reading looks wrong', description_text: 'My reading doubled overnight.', status: 2, tags: expect.arrayContaining(['ticket-bridge']) });
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(fd.id)));

    // The user writes from the app: an incoming public note by the requester.
    await rig.connect.userComments(id, 'Here it is: 10432 kWh');
    await eventually(() => {
      const notes = freshdesk().conversations(fd.id);
      expect(notes.map((c) => [c.body_text, c.incoming, c.private, c.user_id])).toEqual([['Here it is: 10432 kWh', true, false, fd.requester_id]]);
    });

    // The agent replies in Freshdesk: the reply reaches the app, which waits for the user.
    const reply = await freshdesk().agentReplies(fd.id, 'Thanks, we are checking the meter.');
    expect(reply.webhooks.map((w) => w.status)).toEqual([202]);
    await eventually(() => {
      expect(connectComments(id)).toEqual([
        ['USER', 'Here it is: 10432 kWh'],
        ['SUPPORT', 'Thanks, we are checking the meter.'],
      ]);
      expect(rig.connect.ticket(id)!.status).toBe('PENDING');
    });

    // A private note stays in Freshdesk.
    await freshdesk().agentAddsNote(fd.id, 'Legacy tariff, check the billing run');

    // The agent resolves (4): the app shows SOLVED, the auto-close timer runs.
    await freshdesk().agentSetsStatus(fd.id, 4);
    await eventually(async () => {
      expect(rig.connect.ticket(id)!.status).toBe('SOLVED');
      expect((await rig.state(id)).solvedTimerDeadline).not.toBeNull();
    });

    // The user confirms: closed (5) in Freshdesk, CLOSED in the app, the workflow completes.
    await rig.connect.userConfirmsResolved(id);
    const final = await rig.result(id);
    expect(final).toMatchObject({ status: 'CLOSED', completed: true, crmTicketId: String(fd.id) });
    expect(freshdesk().ticket(fd.id)!.status).toBe(5);
    expect(rig.connect.ticket(id)!.status).toBe('CLOSED');

    // Nothing lost, doubled or echoed; one ticket; the note never left Freshdesk.
    expect(connectComments(id)).toEqual([
      ['USER', 'Here it is: 10432 kWh'],
      ['SUPPORT', 'Thanks, we are checking the meter.'],
    ]);
    expect(freshdesk().conversations(fd.id).map((c) => [c.body_text, c.private])).toEqual([
      ['Here it is: 10432 kWh', false],
      ['Thanks, we are checking the meter.', false],
      ['Legacy tariff, check the billing run', true],
    ]);
    expect(freshdesk().tickets().filter((t) => t.custom_fields[freshdesk().externalIdField] === `connect:${id}`)).toHaveLength(1);
    expect(final.counts).toMatchObject({ userCommentsToCrm: 1, agentRepliesToSource: 1 });
    // No activity attempt failed but for write-conflicts (news, decided again: the reconciler's
    // syncs interleave with the webhooks' here), so nothing was retried blindly.
    const attempts = rig.workerLogLines.map((l) => JSON.parse(l) as { msg: string; outcome?: string; failureType?: string }).filter((r) => r.msg === 'activity attempt');
    expect(attempts.length).toBeGreaterThan(5);
    expect(attempts.filter((r) => r.outcome !== 'completed' && r.failureType !== 'write-conflict')).toEqual([]);
    // Every automation webhook was taken (echoes of the bridge's own writes included).
    expect(freshdesk().webhooks.deliveries.every((d) => d.status === 202)).toBe(true);
  });

  test('the timeline, the notes, the internal note and the memo name Freshdesk, and nothing names Zendesk', async () => {
    const { id, fd } = await openTicket();
    const handle = rig.client.workflow.getHandle(ticketWorkflowId('connect', id));
    await rig.connect.userComments(id, 'The meter is in the basement.');
    await eventually(() => expect(freshdesk().conversations(fd.id).map((c) => c.body_text)).toContain('The meter is in the basement.'));
    await freshdesk().agentReplies(fd.id, 'Thanks, a technician comes on Monday.');
    await eventually(() => expect(connectComments(id)).toContainEqual(['SUPPORT', 'Thanks, a technician comes on Monday.']));
    await eventually(async () => expect((await handle.describe()).memo).toMatchObject({ crmTicket: `freshdesk ticket ${fd.id}` }));

    // An operator's close: an internal note with the reason, then the status, on Freshdesk.
    await handle.executeUpdate(closeUpdate, { args: [{ reason: 'end of the scenario' }] });
    const final = await rig.result(id);
    expect(final).toMatchObject({ status: 'CLOSED', completed: true });
    const lines = final.timeline.map((entry) => entry.detail);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^Freshdesk ticket ${fd.id} created \\(\\w+\\)$`)),
        expect.stringMatching(/^user comment → Freshdesk \(comment \d+\)$/),
        expect.stringMatching(/^internal note → Freshdesk \(comment \d+\)$/),
        'Freshdesk status → closed',
      ]),
    );
    expect([...lines, ...final.notes].filter((line) => /zendesk/i.test(line))).toEqual([]);
    expect(freshdesk().conversations(fd.id).filter((c) => c.private).map((c) => c.body_text)).toEqual([expect.stringContaining('end of the scenario')]);
    const described = await handle.describe();
    const memo = described.memo;
    expect(memo).toMatchObject({ crmTicket: `freshdesk ticket ${fd.id}` });
    expect(described.typedSearchAttributes.get(TicketStatusKey)).toBe('CLOSED');
    expect(JSON.stringify(memo)).not.toMatch(/zendesk/i);
    await recordHistory('freshdesk-names-the-helpdesk', handle);
  });

  test('a create whose answer was lost, while search lags, still makes one Freshdesk ticket', async () => {
    freshdesk().searchLagMs = 10 * 60_000;
    const fault = freshdesk().fault({ match: 'POST /tickets', kind: 'drop-after-write', times: 1 });
    try {
      const { id, fd } = await openTicket();
      expect(fault.hits).toBe(1);
      await rig.connect.userComments(id, 'Any news?');
      await eventually(() => expect(freshdesk().conversations(fd.id).map((c) => c.body_text)).toEqual(['Any news?']));
      expect(freshdesk().tickets().filter((t) => t.custom_fields[freshdesk().externalIdField] === `connect:${id}`)).toHaveLength(1);
    } finally {
      freshdesk().searchLagMs = 0;
    }
  });

  test("files both ways: the user's photo reaches Freshdesk once though the first note died mid-stream; the agent's PDF reaches the app; over the ticket's 20 MB is a line", async () => {
    const { id, fd } = await openTicket();
    const photo = png(3 * MB);
    const fault = freshdesk().fault({ match: 'POST /tickets/:id/notes', kind: 'drop', afterBytes: MB, times: 1 });
    await rig.connect.userComments(id, 'Photo of the meter.', { attachments: [{ fileName: 'meter.png', contentType: 'image/png', bytes: photo }] });
    const note = await eventually(() => {
      const [first] = freshdesk().conversations(fd.id);
      expect(first?.body_text.startsWith('Photo of the meter.')).toBe(true);
      return first!;
    }, { timeoutMs: 60_000 });
    expect(fault.hits).toBe(1);
    expect(note.attachments.map((a) => [a.name, a.content_type, a.size])).toEqual([['meter.png', 'image/png', photo.length]]);
    expect(sha256(freshdesk().file(note.attachments[0]!.id)!.bytes)).toBe(sha256(photo));
    expect(freshdesk().conversations(fd.id)).toHaveLength(1);

    // The agent's guide reaches the app, streamed from Freshdesk's (expiring) storage URL.
    const guide = pdf(200_000);
    await freshdesk().agentReplies(fd.id, 'Guide attached.', { attachments: [{ name: 'guide.pdf', contentType: 'application/pdf', bytes: guide }] });
    const reply = await eventually(() => {
      const support = rig.connect.ticket(id)!.comments.filter((c) => c.author === 'SUPPORT');
      expect(support.map((c) => c.attachments)).toEqual([['guide.pdf']]);
      return support[0]!;
    });
    expect(sha256(rig.connect.attachment(Number(reply.id), 'guide.pdf')!.bytes)).toBe(sha256(guide));

    // The ticket now holds about 3.2 MB; the agent adds 15 MB more; a 4 MB photo does not fit in the 20 MB.
    await freshdesk().agentAddsNote(fd.id, 'scan', { attachments: [{ name: 'scan.pdf', contentType: 'application/pdf', bytes: pdf(15 * MB) }] });
    await rig.connect.userComments(id, 'Another photo.', { attachments: [{ fileName: 'second.png', contentType: 'image/png', bytes: png(4 * MB) }] });
    const second = await eventually(() => {
      const last = freshdesk().conversations(fd.id).at(-1)!;
      expect(last.body_text.startsWith('Another photo.')).toBe(true);
      return last;
    }, { timeoutMs: 60_000 });
    expect(second.attachments).toEqual([]);
    expect(second.body_text).toBe('Another photo.\n\nattachment second.png (4 MB) not transferred: Freshdesk keeps at most 20 MB of files per ticket, and this one would go over');
    const names = ['meter.png', 'guide.pdf', 'second.png'];
    const state = JSON.stringify(await rig.state(id));
    for (const name of names) {
      expect(state).not.toContain(name);
      expect(rig.workerLogLines.filter((l) => l.includes(name))).toEqual([]);
    }
  });

  test('a lost automation webhook costs one reconcile round (a read per open ticket); delivered late, it changes nothing', async () => {
    const { id, fd } = await openTicket();
    freshdesk().webhooks.hold(); // Freshdesk retries over an hour: these come back late, or never
    try {
      await freshdesk().agentReplies(fd.id, 'Please re-pair the plug.');
      await rig.env.sleep(RECONCILE_MS + 1_000);
      await eventually(() => expect(connectComments(id)).toEqual([['SUPPORT', 'Please re-pair the plug.']]));
      expect(freshdesk().requests('GET /tickets/:id').length).toBeGreaterThan(0);
    } finally {
      const late = await freshdesk().webhooks.release({ times: 2 });
      expect(late.length).toBeGreaterThan(0);
      expect(late.every((d) => d.status === 202)).toBe(true);
    }
    await rig.env.sleep(500);
    expect(connectComments(id)).toEqual([['SUPPORT', 'Please re-pair the plug.']]);
  });
});
