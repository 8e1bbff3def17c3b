/**
 * Attachments both ways (issue 13), end to end on the real Temporal dev server: the simulators
 * hold real bytes, the bridge streams them between the two within the comment-writing activities.
 * A user's screenshot reaches the agent, an agent's PDF reaches the user, each exactly once even
 * when the first upload dies mid-stream; what may not travel is a line in the mirrored comment;
 * an internal note's files never leave the helpdesk; no file name reaches a log or the timeline.
 * On each helpdesk (issue 20): Zendesk uploads a file first, Freshdesk sends it inside the note.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_ALLOWED_TYPES } from '../../src/domain/attachments';
import { eventually } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { HELPDESKS } from '../support/helpdesks';
import { recordHistory } from '../support/histories';

jest.setTimeout(120_000);

const MB = 1024 * 1024;
/** The bridge under test takes files of up to 8 MB (`ATTACHMENT_MAX_BYTES`), to keep the over-limit file small. */
const MAX_BYTES = 8 * MB;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A PNG signature followed by random bytes: `size` bytes in all. */
function png(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
  return bytes;
}
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

describe.each(HELPDESKS)('attachments between Connect and %s', (crm) => {
  let rig: BridgeRig;
  /** The white-label platform's file storage (its `assets` are URLs to it): allowed by the bridge's policy. */
  let storage: Server;
  let storageUrl: string;
  const stored = new Map<string, { type: string; bytes: Buffer }>();
  const requested: string[] = [];
  /** A service on the bridge's network that no attachment URL may reach (127.0.0.2: not allowed). */
  let internal: Server;
  const internalHits: string[] = [];

  beforeAll(async () => {
    storage = createServer((req, res) => {
      requested.push(req.url!);
      const file = stored.get(decodeURIComponent(req.url!.slice(1)));
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.type, 'content-length': file.bytes.length }).end(file.bytes);
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
    internal = createServer((req, res) => {
      internalHits.push(req.url!);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('internal secrets');
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.2', resolve));
    rig = await startBridgeRig({ crm, attachments: { maxBytes: MAX_BYTES, allowedTypes: DEFAULT_ALLOWED_TYPES }, whitelabelAssetHosts: [new URL(storageUrl).host] });
  });
  afterAll(async () => {
    await rig?.teardown();
    await new Promise<void>((resolve) => storage.close(() => resolve()));
    await new Promise<void>((resolve) => internal.close(() => resolve()));
  });

  async function openTicket() {
    const id = `t-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Meter reading looks wrong', description: 'My reading doubled overnight.' });
    const ticketId = await rig.helpdesk.ticketFor(id);
    return { id, ticketId };
  }

  /**
   * The user deletes the ticket: its workflow completes. `RECORD_HISTORIES=1 npx jest
   * test/bridge/attachments` refreshes the replay fixture (the file path's workflow code).
   */
  async function finishAndRecord(id: string, history: string) {
    await rig.connect.userDeletesTicket(id);
    expect(await rig.result(id)).toMatchObject({ completed: true });
    // The replay fixture takes the Zendesk run's history: one history per path through the workflow code.
    if (crm === 'zendesk') await recordHistory(history, rig.env.client.workflow.getHandle(`ticket/connect/${id}`));
  }

  /** No file name in any log line of the API or the worker, nor anywhere in the ticket's state (timeline, notes). */
  const expectNoNames = (id: string, names: string[]) => expectNoNamesOf('connect', id, names);
  async function expectNoNamesOf(source: 'connect' | 'whitelabel', id: string, names: string[]) {
    const state = JSON.stringify(await rig.stateOf(source, id));
    for (const name of names) {
      expect(state).not.toContain(name);
      expect(rig.logLines.filter((l) => l.includes(name))).toEqual([]);
      expect(rig.workerLogLines.filter((l) => l.includes(name))).toEqual([]);
    }
  }

  test("a user's 5 MB PNG reaches the helpdesk once, though the first upload dies mid-stream; an over-limit file and a disallowed type are lines", async () => {
    const { id, ticketId } = await openTicket();
    const photo = png(5 * MB);
    const big = pdf(9 * MB);
    const zip = randomBytes(2048);
    // The first upload to the helpdesk dies after 1 MB of the photo.
    const fault = rig.helpdesk.fault(['file upload'], { kind: 'drop', afterBytes: MB, times: 1 });

    await rig.connect.userComments(id, 'Here is a photo of the meter.', {
      attachments: [
        { fileName: 'meter photo.png', contentType: 'image/png', bytes: photo },
        { fileName: 'scan of invoice.pdf', contentType: 'application/pdf', bytes: big },
        { fileName: 'readings.zip', contentType: 'application/zip', bytes: zip },
      ],
    });

    const comment = await eventually(() => {
      const last = rig.helpdesk.messages(ticketId).at(-1)!;
      expect(last.text.startsWith('Here is a photo of the meter.')).toBe(true);
      return last;
    }, { timeoutMs: 60_000 });
    expect(fault.hits).toBe(1);
    // One comment, by the requester, public, with the photo attached and a line for each other file.
    expect([comment.public, comment.author]).toEqual([true, 'requester']);
    expect(comment.text).toBe(
      [
        'Here is a photo of the meter.',
        '',
        'attachment scan of invoice.pdf (9 MB) not transferred: over the 8 MB limit',
        'attachment readings.zip (2 KB) not transferred: this type of file is not accepted',
      ].join('\n'),
    );
    expect(comment.files.map((f) => [f.name, f.contentType, f.size])).toEqual([['meter photo.png', 'image/png', photo.length]]);
    // The same bytes, exactly once: one comment from the user, one file; the half upload kept nothing.
    expect(sha256(comment.files[0]!.bytes)).toBe(sha256(photo));
    expect(rig.helpdesk.texts(ticketId).filter((text) => text.startsWith('Here is a photo'))).toHaveLength(1);
    expect(rig.helpdesk.messages(ticketId).flatMap((c) => c.files)).toHaveLength(1);
    // Zendesk only: its uploads are a step of their own, and no second one was bound to a comment.
    if (crm === 'zendesk') expect(rig.zendesk.uploads().filter((u) => u.commentId !== null)).toHaveLength(1);
    // The over-limit file was refused at its headers: not a byte of it went to the helpdesk (an
    // upload carries the photo, and on Freshdesk the note's text and multipart framing with it).
    const uploadSizes = rig.helpdesk.requests('file upload').map((r) => (r.body as { bytes: number }).bytes);
    expect(Math.max(...uploadSizes)).toBeLessThanOrEqual(photo.length + 4096);

    // The timeline says what happened, by size, type and hash, never by name.
    const { state, filesLine } = await eventually(async () => {
      const state = await rig.state(id);
      const filesLine = state.timeline.find((e) => e.detail.startsWith('attachments of comment'));
      expect(filesLine).toBeDefined();
      return { state, filesLine: filesLine! };
    });
    expect(filesLine.detail).toContain(`transferred (5 MB, image/png, sha256 ${sha256(photo).slice(0, 12)})`);
    expect(filesLine.detail).toContain('too-large (9 MB, application/pdf)');
    expect(filesLine.detail).toContain('type-not-allowed (2 KB, application/zip)');
    expect(state.counts.userCommentsToCrm).toBe(1);
    // The worker logs each file by size, type and hash.
    expect(rig.workerLogLines.some((l) => l.includes('attachment transferred') && l.includes(sha256(photo)))).toBe(true);
    await expectNoNames(id, ['meter photo', 'scan of invoice', 'readings.zip']);
    await finishAndRecord(id, 'attachments-to-zendesk-after-a-dropped-upload');
  });

  test("an agent's PDF reaches the app once, though the first upload dies mid-stream; an internal note's file never leaves the helpdesk", async () => {
    const { id, ticketId } = await openTicket();
    const secret = pdf(40_000);
    await rig.helpdesk.agentAddsNote(ticketId, 'Billing run notes attached', {
      attachments: [{ fileName: 'internal billing.pdf', contentType: 'application/pdf', bytes: secret }],
    });
    const guide = pdf(1.5 * MB);
    const big = png(9 * MB);
    const exe = randomBytes(1000);
    // The first PUT of the guide to the app's signed upload URL dies after 200 KB.
    const fault = rig.connect.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'drop', afterBytes: 200_000, times: 1 });

    await rig.helpdesk.agentReplies(ticketId, 'Here is the meter guide.', {
      attachments: [
        { fileName: 'meter guide.pdf', contentType: 'application/pdf', bytes: guide },
        { fileName: 'wiring photo.png', contentType: 'image/png', bytes: big },
        { fileName: 'tool.exe', contentType: 'application/x-msdownload', bytes: exe },
      ],
    });

    const comment = await eventually(() => {
      const support = rig.connect.ticket(id)!.comments.filter((c) => c.author === 'SUPPORT');
      expect(support).toHaveLength(1);
      expect(support[0]!.attachments).toEqual(['meter guide.pdf']);
      return support[0]!;
    }, { timeoutMs: 60_000 });
    expect(fault.hits).toBe(1);
    // The helpdesk listed the sizes and types up front: the lines are in the comment itself.
    expect(comment.message).toBe(
      [
        'Here is the meter guide.',
        '',
        'attachment wiring photo.png (9 MB) not transferred: over the 8 MB limit',
        'attachment tool.exe (1000 bytes) not transferred: this type of file is not accepted',
      ].join('\n'),
    );
    const stored = rig.connect.attachment(Number(comment.id), 'meter guide.pdf')!;
    expect(stored.contentType).toBe('application/pdf');
    expect(sha256(stored.bytes)).toBe(sha256(guide));

    // The internal note, and its file, never left the helpdesk: no comment for it in the app, and its
    // file was never downloaded (only the reply's files were, the guide twice: the retry after the drop).
    await rig.connect.userComments(id, 'Thanks, got it.');
    await eventually(() => expect(rig.helpdesk.texts(ticketId).at(-1)).toBe('Thanks, got it.'));
    expect(rig.connect.ticket(id)!.comments.map((c) => [c.author, c.attachments])).toEqual([
      ['SUPPORT', ['meter guide.pdf']],
      ['USER', []],
    ]);
    const note = rig.helpdesk.messages(ticketId).find((c) => !c.public)!;
    expect(rig.helpdesk.downloadsOf(note.files[0]!)).toEqual([]);
    expect(rig.helpdesk.requests('file download').length).toBeGreaterThanOrEqual(2);

    const state = await rig.state(id);
    expect(state.counts.agentRepliesToSource).toBe(1);
    const filesLine = state.timeline.find((e) => e.detail.startsWith('attachments of agent reply'))!;
    expect(state.notes.join('\n')).toContain('2 attachment(s) of agent reply');
    expect(filesLine.detail).toContain(`transferred (1.5 MB, application/pdf, sha256 ${sha256(guide).slice(0, 12)})`);
    await expectNoNames(id, ['meter guide', 'wiring photo', 'tool.exe', 'internal billing']);
    await finishAndRecord(id, 'attachments-to-the-app-after-a-dropped-upload');
  });

  test("the user closes the ticket while an agent's solving reply's file is still on its way: the user's CLOSED stands, never overwritten by SOLVED", async () => {
    const { id, ticketId } = await openTicket();
    await rig.helpdesk.agentAssigns(ticketId, rig.helpdesk.agentId);
    // The file's way to the app takes 3 s: the reply is in the app before it, the status after it.
    rig.connect.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'latency', delayMs: 3_000, times: 1 });
    await rig.helpdesk.agentReplies(ticketId, 'Fixed: the new meter guide is attached.', {
      status: 'solved',
      attachments: [{ fileName: 'guide.pdf', contentType: 'application/pdf', bytes: pdf(20_000) }],
    });
    await eventually(() => expect(rig.connect.ticket(id)!.comments.map((c) => c.message)).toContain('Fixed: the new meter guide is attached.'), { timeoutMs: 20_000 });
    await rig.connect.userSetsStatus(id, 'CLOSED');

    // The reply's status is checked against the app as it is after the file, not as it was before
    // the reply (1.2 as first built wrote SOLVED over the user's CLOSED, and the ticket waited).
    await rig.env.sleep(5_000); // past the file's way and the status write after it
    expect(rig.connect.ticket(id)!.status).toBe('CLOSED');
    await eventually(() => expect(rig.helpdesk.status(ticketId)).toBe('closed'), { timeoutMs: 20_000 });
    expect(await rig.result(id)).toMatchObject({ status: 'CLOSED', completed: true });
  });

  test("an app upload URL that expired before the bytes arrived is asked for again: the agent's file still arrives once", async () => {
    const { id, ticketId } = await openTicket();
    const guide = pdf(300_000);
    const expired = rig.connect.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'expired', times: 1 });
    await rig.helpdesk.agentReplies(ticketId, 'Guide attached.', { attachments: [{ fileName: 'guide.pdf', contentType: 'application/pdf', bytes: guide }] });
    const comment = await eventually(() => {
      const [reply] = rig.connect.ticket(id)!.comments;
      expect(reply?.attachments).toEqual(['guide.pdf']);
      return reply!;
    });
    expect(expired.hits).toBe(1);
    expect(comment.message).toBe('Guide attached.');
    // Two upload URLs for this comment: the first refused as expired, the second used.
    const urls = rig.connect.requests('POST /comments/:commentId/attachment-upload-url').filter((r) => r.path === `/comments/${comment.id}/attachment-upload-url`);
    expect(urls).toHaveLength(2);
    expect(sha256(rig.connect.attachment(Number(comment.id), 'guide.pdf')!.bytes)).toBe(sha256(guide));
    expect(rig.connect.ticket(id)!.comments).toHaveLength(1);
  });

  test('a download URL that has expired, or a file that keeps failing, is a line, never a stuck ticket', async () => {
    const { id, ticketId } = await openTicket();
    // The app's storage refuses the first file's URL as expired: refused for good at once.
    rig.connect.fault({ match: 'GET /files/:commentId/:fileName', kind: 'expired', times: 1 });
    await rig.connect.userComments(id, 'First try.', { attachments: [{ fileName: 'old.png', contentType: 'image/png', bytes: png(1000) }] });
    await eventually(() =>
      expect(rig.helpdesk.texts(ticketId).at(-1)).toBe('First try.\n\nattachment old.png not transferred: it could not be downloaded from the app'),
    );

    // The storage then answers 503 to every download: retried a few times, then given up on.
    const outage = rig.connect.fault({ match: 'GET /files/:commentId/:fileName', kind: 'error', status: 503 });
    await rig.connect.userComments(id, 'Second try.', { attachments: [{ fileName: 'again.png', contentType: 'image/png', bytes: png(1000) }] });
    await eventually(() => expect(rig.helpdesk.texts(ticketId).at(-1)).toBe('Second try.\n\nattachment again.png not transferred: it still failed after 5 tries'), {
      timeoutMs: 60_000,
    });
    outage.remove();
    expect(outage.hits).toBe(5);
    expect(rig.helpdesk.messages(ticketId).flatMap((c) => c.files)).toEqual([]);
    // The ticket goes on: the next comment travels with its file.
    const photo = png(10_000);
    await rig.connect.userComments(id, 'Third try.', { attachments: [{ fileName: 'works.png', contentType: 'image/png', bytes: photo }] });
    const third = await eventually(() => {
      const last = rig.helpdesk.messages(ticketId).at(-1)!;
      expect(last.text).toBe('Third try.');
      return last;
    });
    expect(sha256(third.files[0]!.bytes)).toBe(sha256(photo));
    const state = await rig.state(id);
    expect(state.lastError).toBeNull();
    expect(state.notes.filter((n) => n.includes(`not transferred to ${rig.helpdesk.name} (failed)`))).toHaveLength(2);
    await expectNoNames(id, ['old.png', 'again.png', 'works.png']);
  });

  describe('the white-label platform', () => {
    const asset = (name: string, type: string, bytes: Buffer) => {
      stored.set(name, { type, bytes });
      return `${storageUrl}/${encodeURIComponent(name)}`;
    };

    test("the opening message's and a reply's assets reach the helpdesk attached; an agent's file is a line (the platform takes none)", async () => {
      const invoice = pdf(300_000);
      const photo = png(200_000);
      const id = randomUUID();
      await rig.whitelabel.clientCreatesTicket({ id, title: 'Billing', text: 'My invoice is wrong.', assets: [asset('march invoice.pdf', 'application/pdf', invoice)] });
      const ticketId = await rig.helpdesk.ticketFor(id, 'whitelabel');
      const description = await eventually(() => {
        const [first] = rig.helpdesk.messages(ticketId);
        expect(first!.files).toHaveLength(1);
        return first!;
      });
      expect(description.text).toBe('My invoice is wrong.');
      expect(sha256(description.files[0]!.bytes)).toBe(sha256(invoice));

      await rig.whitelabel.clientReplies(id, 'And the meter.', { assets: [asset('meter.png', 'image/png', photo)] });
      const reply = await eventually(() => {
        const last = rig.helpdesk.messages(ticketId).at(-1)!;
        expect(last.text).toBe('And the meter.');
        return last;
      });
      expect(reply.files.map((f) => [f.name, f.size])).toEqual([['meter.png', photo.length]]);
      expect(sha256(reply.files[0]!.bytes)).toBe(sha256(photo));

      await rig.helpdesk.agentReplies(ticketId, 'Corrected invoice attached.', {
        attachments: [{ fileName: 'corrected.pdf', contentType: 'application/pdf', bytes: pdf(5000) }],
      });
      await eventually(() => {
        const last = rig.whitelabel.ticket(id)!.replies.at(-1)!;
        expect(last.is_client_reply).toBe(false);
        expect(last.text).toBe(
          'Corrected invoice attached.\n\nattachment corrected.pdf (4.9 KB) not transferred: the white-label platform takes no files from the bridge',
        );
      });
      expect(requested.filter((u) => u.includes('invoice'))).toHaveLength(1);
      await expectNoNamesOf('whitelabel', id, ['march invoice', 'meter.png', 'corrected.pdf']);
    });

    test('an asset URL aimed at an internal service, or at a host not allowed, is a neutral line: nothing is requested there', async () => {
      const id = randomUUID();
      const port = (internal.address() as AddressInfo).port;
      const photo = png(10_000);
      await rig.whitelabel.clientCreatesTicket({
        id,
        title: 'Files',
        text: 'See attached.',
        assets: [`http://127.0.0.2:${port}/secret.png`, `http://2130706434:${port}/config.png`, `http://[::ffff:127.0.0.2]:${port}/x.png`, asset('ok.png', 'image/png', photo)],
      });
      const ticketId = await rig.helpdesk.ticketFor(id, 'whitelabel');
      const description = await eventually(() => {
        const [first] = rig.helpdesk.messages(ticketId);
        expect(first!.files).toHaveLength(1);
        return first!;
      });
      expect(description.text).toBe(
        [
          'See attached.',
          '',
          'attachment secret.png not transferred: its address is not allowed',
          'attachment config.png not transferred: its address is not allowed',
          'attachment x.png not transferred: its address is not allowed',
        ].join('\n'),
      );
      expect(sha256(description.files[0]!.bytes)).toBe(sha256(photo));
      expect(internalHits).toEqual([]);
    });
  });
});
