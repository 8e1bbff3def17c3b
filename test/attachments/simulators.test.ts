import { randomBytes } from 'node:crypto';
import { ConnectSimulator, connectSnapshotSchema } from '../../src/simulators/connect';
import { ZendeskSimulator, zendeskSnapshotSchema } from '../../src/simulators/zendesk';

/** Both simulators hold real bytes for attachments, over real HTTP on 127.0.0.1. */

const viaJson = <T>(schema: { parse(v: unknown): T }, snapshot: T): T => schema.parse(JSON.parse(JSON.stringify(snapshot)));

describe('Zendesk simulator attachments', () => {
  let sim: ZendeskSimulator;
  const auth = () => `Basic ${Buffer.from(`${sim.bridgeUser.email}/token:${sim.apiToken}`).toString('base64')}`;
  const upload = (fileName: string, bytes: Buffer, contentType = 'image/png') =>
    fetch(`${sim.apiUrl}/uploads.json?filename=${encodeURIComponent(fileName)}`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': contentType },
      body: bytes,
    });
  const json = (method: string, path: string, body?: unknown) =>
    fetch(`${sim.apiUrl}${path}`, {
      method,
      headers: { authorization: auth(), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  type Att = { id: number; file_name: string; content_url: string; content_type: string; size: number };

  beforeEach(async () => {
    sim = await ZendeskSimulator.start({ maxUploadBytes: 1024 * 1024 });
  });
  afterEach(() => sim.stop());

  it('takes raw bytes at /uploads.json, binds the token to a comment on update and on create, and serves content_url', async () => {
    const png = randomBytes(200_000);
    const res = await upload('meter photo.png', png);
    expect(res.status).toBe(201);
    const { upload: up } = (await res.json()) as { upload: { token: string; attachment: Att } };
    expect(up.attachment).toMatchObject({ file_name: 'meter photo.png', content_type: 'image/png', size: png.length });
    expect(up.token).toEqual(expect.any(String));

    // Create with one upload, then update with another.
    const created = await json('POST', '/tickets.json', { ticket: { subject: 's', comment: { body: 'see photo', uploads: [up.token] } } });
    expect(created.status).toBe(201);
    const ticketId = ((await created.json()) as { ticket: { id: number } }).ticket.id;
    const pdf = Buffer.from('%PDF-1.4 fake');
    const second = ((await (await upload('invoice.pdf', pdf, 'application/pdf')).json()) as { upload: { token: string } }).upload.token;
    const updated = await json('PUT', `/tickets/${ticketId}.json`, { ticket: { comment: { body: 'and invoice', public: true, uploads: [second] } } });
    expect(updated.status).toBe(200);

    const comments = ((await (await json('GET', `/tickets/${ticketId}/comments.json`)).json()) as { comments: { attachments: Att[] }[] }).comments;
    expect(comments.map((c) => c.attachments.map((a) => a.file_name))).toEqual([['meter photo.png'], ['invoice.pdf']]);
    const [photo] = comments[0]!.attachments;
    expect(photo).toMatchObject({ id: up.attachment.id, content_type: 'image/png', size: png.length });

    // content_url: the same bytes and type, with the API's authentication only.
    const got = await fetch(photo!.content_url, { headers: { authorization: auth() } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    expect((await fetch(photo!.content_url)).status).toBe(401);
    expect(sim.attachment(photo!.id)?.bytes.equals(png)).toBe(true);
  });

  it('ignores a token that is unknown or already bound: the comment is written without that file', async () => {
    const { ticket } = (await (await json('POST', '/tickets.json', { ticket: { subject: 's', comment: { body: 'b' } } })).json()) as {
      ticket: { id: number };
    };
    const token = ((await (await upload('a.png', Buffer.from('a'))).json()) as { upload: { token: string } }).upload.token;
    await json('PUT', `/tickets/${ticket.id}.json`, { ticket: { comment: { body: 'one', uploads: [token, token] } } });
    await json('PUT', `/tickets/${ticket.id}.json`, { ticket: { comment: { body: 'two', uploads: [token, 'nope'] } } });
    expect(sim.comments(ticket.id).map((c) => c.attachments.length)).toEqual([0, 1, 0]);
  });

  it('refuses a file over its limit with 413 and keeps nothing', async () => {
    const res = await upload('big.png', randomBytes(1024 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(sim.uploads()).toEqual([]);
    expect((await upload('ok.png', randomBytes(1024))).status).toBe(201);
  });

  it('faults: an upload that dies mid-stream, or gets a 500 mid-stream, keeps nothing', async () => {
    sim.fault({ match: 'POST /uploads.json', kind: 'drop', afterBytes: 64 * 1024, times: 1 });
    await expect(upload('a.png', randomBytes(512 * 1024))).rejects.toThrow();
    sim.fault({ match: 'POST /uploads.json', kind: 'error', status: 500, afterBytes: 64 * 1024, times: 1 });
    const second = await upload('a.png', randomBytes(512 * 1024)).then((r) => r.status, () => 'dropped');
    expect([500, 'dropped']).toContain(second);
    expect(sim.uploads()).toEqual([]);
    // The log shows how much arrived, never the bytes.
    const log = sim.requests('POST /uploads.json');
    expect(log[0]).toMatchObject({ status: 'dropped', body: { bytes: expect.any(Number) } });
    expect((log[0]!.body as { bytes: number }).bytes).toBeGreaterThanOrEqual(64 * 1024);
    expect((log[0]!.body as { bytes: number }).bytes).toBeLessThan(512 * 1024);
    expect((await upload('a.png', randomBytes(1000))).status).toBe(201);
  });

  it('the agent replies with attachments; an internal note keeps its own', async () => {
    const { ticket } = (await (await json('POST', '/tickets.json', { ticket: { subject: 's', comment: { body: 'b' } } })).json()) as {
      ticket: { id: number };
    };
    const pdf = randomBytes(5000);
    const { comment } = await sim.agentReplies(ticket.id, 'Guide attached', { attachments: [{ fileName: 'guide.pdf', contentType: 'application/pdf', bytes: pdf }] });
    expect(comment.public).toBe(true);
    expect(comment.attachments).toEqual([expect.objectContaining({ file_name: 'guide.pdf', content_type: 'application/pdf', size: 5000 })]);
    const got = await fetch(comment.attachments[0]!.content_url, { headers: { authorization: auth() } });
    expect(Buffer.from(await got.arrayBuffer()).equals(pdf)).toBe(true);
    const note = await sim.agentAddsNote(ticket.id, 'internal', { attachments: [{ fileName: 'x.txt', contentType: 'text/plain', bytes: Buffer.from('x') }] });
    expect(note.comment.public).toBe(false);
    expect(note.comment.attachments).toHaveLength(1);
  });

  it('a restored simulator serves the same bytes at its new content_url', async () => {
    const { ticket } = (await (await json('POST', '/tickets.json', { ticket: { subject: 's', comment: { body: 'b' } } })).json()) as {
      ticket: { id: number };
    };
    const bytes = randomBytes(3000);
    await sim.agentReplies(ticket.id, 'file', { attachments: [{ fileName: 'f.png', contentType: 'image/png', bytes }] });
    const restored = await ZendeskSimulator.start({ snapshot: viaJson(zendeskSnapshotSchema, sim.toSnapshot()) });
    try {
      const [att] = restored.comments(ticket.id)[1]!.attachments;
      expect(att!.content_url.startsWith(restored.apiUrl.replace('/api/v2', ''))).toBe(true);
      const restoredAuth = `Basic ${Buffer.from(`${restored.bridgeUser.email}/token:${restored.apiToken}`).toString('base64')}`;
      const got = await fetch(att!.content_url, { headers: { authorization: restoredAuth } });
      expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
      expect(restored.toSnapshot()).toEqual(sim.toSnapshot());
    } finally {
      await restored.stop();
    }
  });

  it('a snapshot from before attachments still loads', () => {
    const old = sim.toSnapshot() as unknown as { store: Record<string, unknown> & { next: Record<string, unknown> } };
    delete old.store.uploads;
    delete old.store.next.attachment;
    expect(() => zendeskSnapshotSchema.parse(JSON.parse(JSON.stringify(old)))).not.toThrow();
  });
});

describe('Connect simulator attachments', () => {
  let sim: ConnectSimulator;
  let offsetMs = 0;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(sim.url + path, {
      method,
      headers: { 'clevergy-api-key': sim.apiKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const uploadUrl = async (commentId: number, fileName: string) =>
    ((await (await call('POST', `/comments/${commentId}/attachment-upload-url`, { fileName })).json()) as { url: string }).url;
  const put = (url: string, bytes: Buffer, contentType = 'application/pdf') => fetch(url, { method: 'PUT', headers: { 'content-type': contentType }, body: bytes });
  const supportComment = async () => {
    const { ticket } = await sim.userCreatesTicket({ title: 't', description: 'd' });
    const comment = (await (await call('POST', `/tickets/${ticket.id}/comment`, { message: 'see file' })).json()) as { id: number };
    return { ticket, comment };
  };

  beforeEach(async () => {
    offsetMs = 0;
    sim = await ConnectSimulator.start({ maxUploadBytes: 1024 * 1024, now: () => new Date(Date.now() + offsetMs) });
  });
  afterEach(() => sim.stop());

  it('a PUT to the signed URL stores the bytes; the comment lists a download URL that serves them', async () => {
    const { ticket, comment } = await supportComment();
    const pdf = randomBytes(300_000);
    expect((await put(await uploadUrl(comment.id, 'invoice 2024.pdf'), pdf)).status).toBe(200);
    const read = (await (await call('GET', `/tickets/${ticket.id}`)).json()) as { comments: { attachments: string[] }[] };
    const [url] = read.comments[0]!.attachments;
    expect(url).toBe(sim.attachmentUrl(comment.id, 'invoice 2024.pdf'));
    expect(decodeURIComponent(new URL(url!).pathname.split('/').at(-1)!)).toBe('invoice 2024.pdf');
    const got = await fetch(url!);
    expect(got.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await got.arrayBuffer()).equals(pdf)).toBe(true);
    // A forged signature is refused; the same name again replaces, never lists twice.
    expect((await fetch(url!.replace(/signature=.*/, 'signature=forged'))).status).toBe(403);
    expect((await put(await uploadUrl(comment.id, 'invoice 2024.pdf'), Buffer.from('v2'))).status).toBe(200);
    expect(sim.ticket(ticket.id)!.comments[0]!.attachments).toEqual(['invoice 2024.pdf']);
    expect(sim.attachment(comment.id, 'invoice 2024.pdf')?.bytes.toString()).toBe('v2');
  });

  it('an upload URL is valid 15 minutes, then 403 "expired"; the expired fault does the same at once', async () => {
    const { comment } = await supportComment();
    const url = await uploadUrl(comment.id, 'a.pdf');
    offsetMs = 15 * 60 * 1000 + 1;
    const late = await put(url, Buffer.from('x'));
    expect(late.status).toBe(403);
    expect(await late.json()).toEqual({ code: 403, message: 'Request has expired' });
    offsetMs = 0;
    const fresh = await uploadUrl(comment.id, 'a.pdf');
    sim.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'expired', times: 1 });
    expect((await put(fresh, Buffer.from('x'))).status).toBe(403);
    expect((await put(fresh, Buffer.from('x'))).status).toBe(200);
    expect(sim.attachment(comment.id, 'a.pdf')?.bytes.toString()).toBe('x');
  });

  it('413 over the limit; an upload that dies mid-stream keeps nothing', async () => {
    const { ticket, comment } = await supportComment();
    expect((await put(await uploadUrl(comment.id, 'big.pdf'), randomBytes(1024 * 1024 + 1))).status).toBe(413);
    sim.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'drop', afterBytes: 100_000, times: 1 });
    await expect(put(await uploadUrl(comment.id, 'half.pdf'), randomBytes(600_000))).rejects.toThrow();
    sim.fault({ match: 'PUT /uploads/:commentId/:fileName', kind: 'error', status: 502, afterBytes: 100_000, times: 1 });
    const status = await put(await uploadUrl(comment.id, 'half.pdf'), randomBytes(600_000)).then((r) => r.status, () => 'dropped');
    expect([502, 'dropped']).toContain(status);
    expect(sim.ticket(ticket.id)!.comments[0]!.attachments).toEqual([]);
  });

  it('the app user comments with attachments; a restored simulator serves them', async () => {
    const { ticket } = await sim.userCreatesTicket({ title: 't', description: 'd' });
    const png = randomBytes(10_000);
    const { comment } = await sim.userComments(ticket.id, 'photo', { attachments: [{ fileName: 'meter.png', contentType: 'image/png', bytes: png }] });
    expect(comment.attachments).toEqual([sim.attachmentUrl(comment.id, 'meter.png')]);
    expect(Buffer.from(await (await fetch(comment.attachments[0]!)).arrayBuffer()).equals(png)).toBe(true);

    const restored = await ConnectSimulator.start({ snapshot: viaJson(connectSnapshotSchema, sim.toSnapshot()) });
    try {
      const url = restored.apiTicket(ticket.id)!.comments[0]!.attachments[0]!;
      expect(url.startsWith(restored.url)).toBe(true);
      expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(png)).toBe(true);
    } finally {
      await restored.stop();
    }
  });
});
