import { createHash, randomBytes } from 'node:crypto';
import { transferAttachment, type TransferLogger, type TransferResult } from '../../src/activities/attachment-transfer';
import { ConnectAttachments, connectAttachmentName } from '../../src/adapters/connect/attachments';
import { ConnectSource } from '../../src/adapters/connect';
import { ZendeskAttachments, zendeskAttachmentsOf } from '../../src/adapters/zendesk/attachments';
import type { AttachmentSource } from '../../src/ports/attachments';
import { IntegrationError } from '../../src/ports/errors';
import { ConnectSimulator } from '../../src/simulators/connect';
import { ZendeskSimulator } from '../../src/simulators/zendesk';

/**
 * transferAttachment between the two simulators over real HTTP on 127.0.0.1: the adapters, the
 * streaming, the limits, the faults. What the workflow will do around it (read the comment,
 * write the mirrored one, bind Zendesk tokens) is done here by hand, through the real APIs.
 */

const MB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A PNG signature, then random bytes: PNG-like, incompressible. */
const png = (size: number) => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(size - 8)]);
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

let connect: ConnectSimulator;
let zendesk: ZendeskSimulator;
let connectFiles: ConnectAttachments;
let zendeskFiles: ZendeskAttachments;

beforeEach(async () => {
  [connect, zendesk] = await Promise.all([ConnectSimulator.start({ apiKey: 'ck' }), ZendeskSimulator.start({ apiToken: 'zt' })]);
  connectFiles = new ConnectAttachments({ baseUrl: connect.url, apiKey: 'ck' });
  zendeskFiles = new ZendeskAttachments({ baseUrl: zendesk.apiUrl, email: zendesk.bridgeUser.email!, apiToken: 'zt' });
});
afterEach(() => Promise.all([connect.stop(), zendesk.stop()]));

const zdAuth = () => `Basic ${Buffer.from(`${zendesk.bridgeUser.email}/token:zt`).toString('base64')}`;
const zdJson = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${zendesk.apiUrl}${path}`, {
    method,
    headers: { authorization: zdAuth(), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
  return res.json();
};
const zdDownload = async (url: string) => Buffer.from(await (await fetch(url, { headers: { authorization: zdAuth() } })).arrayBuffer());
const ctJson = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(connect.url + path, {
    method,
    headers: { 'clevergy-api-key': 'ck', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
  return res.json();
};

/** The app user's comment with `files`, read back through ConnectSource as the bridge reads it. */
async function userCommentWith(files: { fileName: string; contentType: string; bytes: Buffer }[]) {
  const { ticket } = await connect.userCreatesTicket({ title: 'Meter', description: 'doubled' });
  await connect.userComments(ticket.id, 'photo attached', { attachments: files });
  const read = await new ConnectSource({ baseUrl: connect.url, apiKey: 'ck' }).fetchTicket(ticket.id);
  const comment = read!.comments.at(-1)!;
  return comment.attachments.map((url) => ({ url, name: connectAttachmentName(url) }));
}

/** A Zendesk ticket, and the agent's public reply with `files`, read back through the API. */
async function agentReplyWith(files: { fileName: string; contentType: string; bytes: Buffer }[]) {
  const { ticket } = await zdJson('POST', '/tickets.json', { ticket: { subject: 's', comment: { body: 'opened' } } });
  await zendesk.agentReplies(ticket.id, 'Here you go', { attachments: files });
  const { comments } = await zdJson('GET', `/tickets/${ticket.id}/comments.json`);
  return zendeskAttachmentsOf(comments.at(-1).attachments);
}

/** A Connect ticket with a SUPPORT comment (the mirrored agent reply) to attach files to. */
async function mirroredReply(): Promise<{ ticketId: string; commentId: string }> {
  const { ticket } = await connect.userCreatesTicket({ title: 't', description: 'd' });
  const comment = await ctJson('POST', `/tickets/${ticket.id}/comment`, { message: 'Here you go' });
  return { ticketId: ticket.id, commentId: String(comment.id) };
}

/** Binds Zendesk upload tokens to a new comment (what the CRM adapter will do) and reads its files. */
async function commentWithUploads(tokens: string[]) {
  const { ticket } = await zdJson('POST', '/tickets.json', { ticket: { subject: 's', comment: { body: 'photo attached', uploads: tokens } } });
  const { comments } = await zdJson('GET', `/tickets/${ticket.id}/comments.json`);
  return { ticketId: ticket.id as number, attachments: zendeskAttachmentsOf(comments[0].attachments) };
}

const transferred = (r: TransferResult) => {
  if (!r.transferred || r.duplicate) throw new Error(`not transferred: ${JSON.stringify(r)}`);
  return r;
};

describe('both directions, byte-identical', () => {
  it('a 5 MB PNG from a user comment in the app reaches a Zendesk comment', async () => {
    const bytes = png(5 * MB);
    const [file] = await userCommentWith([{ fileName: 'meter photo.png', contentType: 'image/png', bytes }]);
    expect(file!.name).toBe('meter photo.png');

    const r = transferred(await transferAttachment({ from: connectFiles, to: zendeskFiles, file: file! }));
    expect(r).toMatchObject({ name: 'meter photo.png', size: 5 * MB, contentType: 'image/png', sha256: sha256(bytes) });

    const { attachments } = await commentWithUploads([r.targetId]);
    expect(attachments).toEqual([expect.objectContaining({ name: 'meter photo.png', size: 5 * MB, contentType: 'image/png' })]);
    expect((await zdDownload(attachments[0]!.url)).equals(bytes)).toBe(true);
    expect(zendesk.uploads()).toHaveLength(1);
  });

  it("a 5 MB PNG and a PDF from an agent's public reply reach the app's comment", async () => {
    const image = png(5 * MB);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300_000)]);
    const files = await agentReplyWith([
      { fileName: 'screen.png', contentType: 'image/png', bytes: image },
      { fileName: 'guide.pdf', contentType: 'application/pdf', bytes: pdf },
    ]);
    const { ticketId, commentId } = await mirroredReply();
    const results = [];
    for (const file of files) results.push(transferred(await transferAttachment({ from: zendeskFiles, to: connectFiles.sink(commentId), file })));
    expect(results.map((r) => [r.name, r.size, r.sha256, r.targetId])).toEqual([
      ['screen.png', image.length, sha256(image), `${commentId}/screen.png`],
      ['guide.pdf', pdf.length, sha256(pdf), `${commentId}/guide.pdf`],
    ]);

    const urls = (await ctJson('GET', `/tickets/${ticketId}`)).comments[0].attachments as string[];
    expect(urls.map(connectAttachmentName)).toEqual(['screen.png', 'guide.pdf']);
    const got = await Promise.all(urls.map(async (u) => Buffer.from(await (await fetch(u)).arrayBuffer())));
    expect(got[0]!.equals(image)).toBe(true);
    expect(got[1]!.equals(pdf)).toBe(true);
    expect(connect.attachment(Number(commentId), 'guide.pdf')?.contentType).toBe('application/pdf');
  });
});

describe('exactly once, through faults', () => {
  it('to Zendesk: the first upload dies mid-stream (retryable), the retry lands, a third call finds it attached', async () => {
    const bytes = png(5 * MB);
    const [file] = await userCommentWith([{ fileName: 'a.png', contentType: 'image/png', bytes }]);
    zendesk.fault({ match: 'POST /uploads.json', kind: 'drop', afterBytes: 1 * MB, times: 1 });

    const first = await transferAttachment({ from: connectFiles, to: zendeskFiles, file: file! }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(IntegrationError);
    expect((first as IntegrationError).retryable).toBe(true);
    expect(zendesk.uploads()).toEqual([]);
    // It did die mid-stream: part of the file had arrived.
    const [died] = zendesk.requests('POST /uploads.json');
    expect(died!.status).toBe('dropped');
    expect((died!.body as { bytes: number }).bytes).toBeGreaterThanOrEqual(1 * MB);

    const retry = transferred(await transferAttachment({ from: connectFiles, to: zendeskFiles, file: file! }));
    const { attachments } = await commentWithUploads([retry.targetId]);
    expect(attachments).toHaveLength(1);
    expect((await zdDownload(attachments[0]!.url)).equals(bytes)).toBe(true);

    // The activity retried after the comment was written: it passes what is there, nothing moves.
    const again = await transferAttachment({ from: connectFiles, to: zendeskFiles, file: file!, existing: attachments });
    expect(again).toMatchObject({ transferred: true, duplicate: true });
    expect(zendesk.requests('POST /uploads.json')).toHaveLength(2);
    expect(zendesk.uploads()).toHaveLength(1);
  });

  it('to the app: a 5xx mid-stream (retryable), then the retry lands once; a later retry finds it attached', async () => {
    const guide = pdf(3 * MB);
    const [file] = await agentReplyWith([{ fileName: 'guide.pdf', contentType: 'application/pdf', bytes: guide }]);
    const { ticketId, commentId } = await mirroredReply();
    connect.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'error', status: 503, afterBytes: 512 * 1024, times: 1 });

    const first = await transferAttachment({ from: zendeskFiles, to: connectFiles.sink(commentId), file: file! }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(IntegrationError);
    expect((first as IntegrationError).retryable).toBe(true);
    expect(connect.ticket(ticketId)!.comments[0]!.attachments).toEqual([]);

    transferred(await transferAttachment({ from: zendeskFiles, to: connectFiles.sink(commentId), file: file! }));
    const urls = (await ctJson('GET', `/tickets/${ticketId}`)).comments[0].attachments as string[];
    expect(urls).toHaveLength(1);
    expect(Buffer.from(await (await fetch(urls[0]!)).arrayBuffer()).equals(guide)).toBe(true);

    // Connect lists bare URLs: the name is what is known of what is there.
    const existing = urls.map((u) => ({ name: connectAttachmentName(u), size: null }));
    const again = await transferAttachment({ from: zendeskFiles, to: connectFiles.sink(commentId), file: file!, existing });
    expect(again).toMatchObject({ transferred: true, duplicate: true });
    expect(connect.requests('PUT /uploads/:commentId/:fileName')).toHaveLength(2);
  });

  it('an upload URL that expired before the PUT: a new URL, a new download, one file', async () => {
    const guide = pdf(1 * MB);
    const [file] = await agentReplyWith([{ fileName: 'guide.pdf', contentType: 'application/pdf', bytes: guide }]);
    const { ticketId, commentId } = await mirroredReply();
    connect.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'expired', times: 1 });

    const r = transferred(await transferAttachment({ from: zendeskFiles, to: connectFiles.sink(commentId), file: file! }));
    expect(r.sha256).toBe(sha256(guide));
    expect(connect.requests('POST /comments/:commentId/attachment-upload-url')).toHaveLength(2);
    expect(zendesk.requests('GET /attachments/token/:token/')).toHaveLength(2);
    expect(connect.ticket(ticketId)!.comments[0]!.attachments).toEqual(['guide.pdf']);
    expect(connect.attachment(Number(commentId), 'guide.pdf')!.bytes.equals(guide)).toBe(true);
  });

  it('an upload URL refused again after a fresh one: a failed line, not a stuck retry', async () => {
    const [file] = await agentReplyWith([{ fileName: 'guide.pdf', contentType: 'application/pdf', bytes: pdf(1000) }]);
    const { commentId } = await mirroredReply();
    connect.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'expired', times: 2 });
    const r = await transferAttachment({ from: zendeskFiles, to: connectFiles.sink(commentId), file: file! });
    expect(r).toMatchObject({ transferred: false, reason: 'failed', line: 'attachment guide.pdf (1000 bytes) not transferred: the app refused it' });
  });
});

describe('limits and bad input', () => {
  it('over the limit: refused from the listed size, before a byte moves', async () => {
    const files = await agentReplyWith([{ fileName: 'invoice.pdf', contentType: 'application/pdf', bytes: pdf(21 * MB) }]);
    const { commentId } = await mirroredReply();
    const r = await transferAttachment({ from: zendeskFiles, to: connectFiles.sink(commentId), file: files[0]! });
    expect(r).toEqual({
      transferred: false,
      reason: 'too-large',
      name: 'invoice.pdf',
      size: 21 * MB,
      contentType: 'application/pdf',
      line: 'attachment invoice.pdf (21 MB) not transferred: over the 20 MB limit',
    });
    expect(zendesk.requests('GET /attachments/token/:token/')).toHaveLength(0);
    expect(connect.requests('POST /comments/:commentId/attachment-upload-url')).toHaveLength(0);
  });

  it("over the limit with no size known ahead: the copy stops mid-stream and the target keeps nothing", async () => {
    const [file] = await userCommentWith([{ fileName: 'big.png', contentType: 'image/png', bytes: png(3 * MB) }]);
    // A source that says no Content-Length (chunked): only counting the bytes can tell.
    const sizeless: AttachmentSource = { service: 'connect', download: async (url) => ({ ...(await connectFiles.download(url)), size: null }) };
    const r = await transferAttachment({ from: sizeless, to: zendeskFiles, file: file!, maxBytes: 1 * MB });
    expect(r).toMatchObject({ transferred: false, reason: 'too-large', line: expect.stringMatching(/^attachment big\.png \(1(\.\d+)? MB\) not transferred: over the 1 MB limit$/) });
    expect(zendesk.uploads()).toEqual([]);
  });

  it("the target's own limit applies when lower than ATTACHMENT_MAX_BYTES", async () => {
    const [file] = await userCommentWith([{ fileName: 'x.png', contentType: 'image/png', bytes: png(2 * MB) }]);
    const small = { ...zendeskFiles, service: 'zendesk', maxBytes: 1 * MB, upload: zendeskFiles.upload.bind(zendeskFiles) };
    const r = await transferAttachment({ from: connectFiles, to: small, file: file!, maxBytes: 100 * MB });
    expect(r).toMatchObject({ transferred: false, reason: 'too-large', line: 'attachment x.png (2 MB) not transferred: over the 1 MB limit' });
  });

  it('a type not on the allow-list, declared or judged by extension', async () => {
    const files = await userCommentWith([
      { fileName: 'setup.exe', contentType: 'application/x-msdownload', bytes: randomBytes(2 * MB) },
      { fileName: 'run.exe', contentType: 'application/octet-stream', bytes: randomBytes(1000) },
      { fileName: 'page.svg', contentType: 'image/svg+xml', bytes: Buffer.from('<svg/>') },
    ]);
    const lines = [];
    for (const file of files) {
      const r = await transferAttachment({ from: connectFiles, to: zendeskFiles, file });
      expect(r).toMatchObject({ transferred: false, reason: 'type-not-allowed' });
      lines.push((r as { line: string }).line);
    }
    expect(lines).toEqual([
      'attachment setup.exe (2 MB) not transferred: this type of file is not accepted',
      'attachment run.exe (1000 bytes) not transferred: this type of file is not accepted',
      'attachment page.svg (6 bytes) not transferred: this type of file is not accepted',
    ]);
    expect(zendesk.requests('POST /uploads.json')).toHaveLength(0);
    // A configured list decides instead.
    const svg = await transferAttachment({ from: connectFiles, to: zendeskFiles, file: files[2]!, allowedTypes: ['image/*'] });
    expect(svg).toMatchObject({ transferred: true, duplicate: false, contentType: 'image/svg+xml' });
  });

  it('a 413 from the target and a broken source URL are failed lines; a 5xx at the source is retried', async () => {
    const [file] = await userCommentWith([{ fileName: 'a.png', contentType: 'image/png', bytes: png(100_000) }]);
    zendesk.fault({ match: 'POST /uploads.json', kind: 'error', status: 413, times: 1 });
    expect(await transferAttachment({ from: connectFiles, to: zendeskFiles, file: file! })).toMatchObject({
      transferred: false,
      reason: 'failed',
      line: 'attachment a.png (97.7 KB) not transferred: Zendesk refused it as too large',
    });

    const broken = { url: file!.url.replace('/files/', '/files/9999'), name: 'a.png' };
    expect(await transferAttachment({ from: connectFiles, to: zendeskFiles, file: broken })).toMatchObject({
      transferred: false,
      reason: 'failed',
      line: 'attachment a.png not transferred: it could not be downloaded from the app',
    });

    connect.fault({ match: 'GET /files/:commentId/:fileName', kind: 'error', status: 502, times: 1 });
    const err = await transferAttachment({ from: connectFiles, to: zendeskFiles, file: file! }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'server-error', service: 'connect', retryable: true });
    expect(zendesk.uploads()).toEqual([]);
  });

  it('logs sizes, types and hashes, never file names or URLs', async () => {
    const bytes = png(50_000);
    const [file] = await userCommentWith([{ fileName: 'Jane Doe passport.png', contentType: 'image/png', bytes }]);
    const lines: string[] = [];
    const logger: TransferLogger = {
      info: (fields, message) => lines.push(JSON.stringify({ ...fields, message })),
      warn: (fields, message) => lines.push(JSON.stringify({ ...fields, message })),
    };
    await transferAttachment({ from: connectFiles, to: zendeskFiles, file: file!, logger });
    await transferAttachment({ from: connectFiles, to: zendeskFiles, file: file!, logger, maxBytes: 1000 });
    const all = lines.join('\n');
    expect(all).toContain(sha256(bytes));
    expect(all).toContain('"size":50000');
    expect(all).not.toMatch(/Jane|passport|http/);
  });
});

describe('streaming, not buffering', () => {
  it('a 30 MB file: Zendesk is receiving it while the app is still sending it', async () => {
    const bytes = png(30 * MB);
    const [file] = await userCommentWith([{ fileName: 'scan.png', contentType: 'image/png', bytes }]);
    // Watch both ends: bytes read from the app, and bytes Zendesk has received (its request log
    // counts an upload as it streams in).
    let read = 0;
    const samples: { read: number; received: number }[] = [];
    const received = () => {
      const [entry] = zendesk.requests('POST /uploads.json');
      return entry ? (entry.body as { bytes: number }).bytes : 0;
    };
    const watched: AttachmentSource = {
      service: 'connect',
      download: async (url) => {
        const d = await connectFiles.download(url);
        d.stream.on('data', (chunk: Buffer) => {
          read += chunk.length;
          samples.push({ read, received: received() });
        });
        return d;
      },
    };
    const r = transferred(await transferAttachment({ from: watched, to: zendeskFiles, file: file!, maxBytes: 40 * MB }));
    expect(r.sha256).toBe(sha256(bytes));
    expect(zendesk.attachment(zendesk.uploads()[0]!.attachmentId)!.bytes.equals(bytes)).toBe(true);

    // Buffering the file would mean nothing reaches Zendesk before all 30 MB are read. Streaming:
    // Zendesk had bytes before a third had been read, and what was read but not yet received
    // (socket buffers, stream high-water marks) stayed far below the file's size all along.
    const early = samples.find((s) => s.received > 0);
    expect(early).toBeDefined();
    expect(early!.read).toBeLessThan(10 * MB);
    const inFlight = Math.max(...samples.map((s) => s.read - s.received));
    expect(inFlight).toBeLessThan(12 * MB);
  });
});
