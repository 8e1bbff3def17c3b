/**
 * Hostile files (issue 23, items 1 and 6): types that lie, names that trick, comments with too
 * many files, and refusal lines that must not tell a comment's author what a remote answered.
 * The source is a real HTTP server on loopback serving whatever each test scripts; the target
 * is an in-memory sink that keeps what it was sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { transferAttachment } from '../../src/activities/attachment-transfer';
import { uploadsForCrm } from '../../src/activities/comment-files';
import { ConnectAttachments, connectAttachmentName } from '../../src/adapters/connect/attachments';
import { nameForType, safeFileName } from '../../src/domain/file-names';
import { verifiedType } from '../../src/domain/file-signatures';
import type { AttachmentUpload, CrmFiles } from '../../src/ports/attachments';

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(200, 1)]);
const JPEG = Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), Buffer.alloc(200, 2)]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n');
const SVG = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(300, 0)]);
const ELF = Buffer.concat([Buffer.from('7f454c46', 'hex'), Buffer.alloc(300, 0)]);
const HTML = Buffer.from('<!DOCTYPE html><html><body>hi</body></html>');

/** What the source serves per path: bytes and the type it claims. */
const files = new Map<string, { type: string; bytes: Buffer; status?: number }>();
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const file = files.get(decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (!file) return res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found on internal-db-7</h1>');
    res.writeHead(file.status ?? 200, { 'content-type': file.type, 'content-length': String(file.bytes.length) }).end(file.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface Received {
  name: string;
  contentType: string;
  bytes: Buffer;
  error: unknown;
}
function memorySink(): CrmFiles & { received: Received[] } {
  const received: Received[] = [];
  return {
    service: 'zendesk',
    maxBytes: null,
    received,
    async download() {
      throw new Error('not a source here');
    },
    async upload(file: AttachmentUpload) {
      const chunks: Buffer[] = [];
      const entry: Received = { name: file.name, contentType: file.contentType, bytes: Buffer.alloc(0), error: null };
      received.push(entry);
      try {
        for await (const c of file.body as Readable) chunks.push(c as Buffer);
      } catch (err) {
        entry.error = err;
        throw err;
      }
      entry.bytes = Buffer.concat(chunks);
      return { id: `upload-${received.length}`, size: entry.bytes.length };
    },
  };
}

const source = () => new ConnectAttachments({ baseUrl: base, apiKey: 'k' });

async function transfer(path: string, served: { type: string; bytes: Buffer; status?: number }, name = connectAttachmentName(path)) {
  files.set(path, served);
  const to = memorySink();
  const result = await transferAttachment({ from: source(), to, file: { url: `${base}${path}`, name } });
  return { result, received: to.received };
}

describe('content checked against the declared type', () => {
  it.each([
    ['an SVG declared as image/png', 'image/png', SVG],
    ['a Windows executable declared as image/png', 'image/png', EXE],
    ['an ELF binary declared as application/pdf', 'application/pdf', ELF],
    ['HTML declared as image/jpeg', 'image/jpeg', HTML],
    ['random bytes declared as application/pdf', 'application/pdf', Buffer.alloc(100, 9)],
    ['an empty file declared as image/png', 'image/png', Buffer.alloc(0)],
    ['a binary declared as text/plain', 'text/plain', EXE],
  ])('refuses %s before anything is uploaded, with a neutral line', async (_what, type, bytes) => {
    const { result, received } = await transfer('/files/1/photo.png', { type, bytes });
    expect(result).toMatchObject({ transferred: false, reason: 'type-not-allowed', line: `attachment photo.png (${bytes.length} byte${bytes.length === 1 ? '' : 's'}) not transferred: this type of file is not accepted` });
    expect(received).toEqual([]);
  });

  it('refuses a text file with a NUL byte far past its first bytes: the upload is aborted, not finished', async () => {
    const text = Buffer.concat([Buffer.alloc(200_000, 'a'), Buffer.from([0]), Buffer.alloc(1000, 'b')]);
    const { result, received } = await transfer('/files/1/notes.txt', { type: 'text/plain', bytes: text });
    expect(result).toMatchObject({ transferred: false, reason: 'type-not-allowed' });
    expect(received).toHaveLength(1);
    expect(received[0]!.error).not.toBeNull();
  });

  it('lets real files through, fixing a name whose extension says another type', async () => {
    for (const [path, type, bytes, name] of [
      ['/files/1/meter.png', 'image/png', PNG, 'meter.png'],
      ['/files/1/bill.pdf', 'application/pdf', PDF, 'bill.pdf'],
      ['/files/1/notes.txt', 'text/plain; charset=utf-8', Buffer.from('plain words\n'), 'notes.txt'],
      // A PNG named like a program: it travels as the PNG it is, and is named so.
      ['/files/1/setup.exe', 'image/png', PNG, 'setup.png'],
      ['/files/1/scan', 'image/png', PNG, 'scan.png'],
      // Mislabelled by the app: a JPEG sent as image/png travels as a JPEG.
      ['/files/1/photo.png', 'image/png', JPEG, 'photo.jpg'],
    ] as const) {
      const { result, received } = await transfer(path, { type, bytes });
      expect([path, result]).toEqual([path, expect.objectContaining({ transferred: true, name })]);
      expect(received[0]!.name).toBe(name);
      expect(received[0]!.bytes.equals(bytes)).toBe(true);
    }
  });

  it('verifiedType: office containers, HEIC brands, and markup only when declared as such', () => {
    const zip = Buffer.from('504b0304', 'hex');
    const ole = Buffer.from('d0cf11e0a1b11ae1', 'hex');
    const heic = Buffer.concat([Buffer.from('00000018', 'hex'), Buffer.from('ftypheic')]);
    expect(verifiedType('application/vnd.openxmlformats-officedocument.wordprocessingml.document', zip)).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(verifiedType('application/msword', ole)).toBe('application/msword');
    expect(verifiedType('application/msword', zip)).toBeNull();
    expect(verifiedType('image/heic', heic)).toBe('image/heic');
    expect(verifiedType('image/svg+xml', SVG)).toBe('image/svg+xml');
    expect(verifiedType('image/svg+xml', PNG)).toBe('image/png');
    expect(verifiedType('audio/mpeg', Buffer.from('ID3...'))).toBe('audio/mpeg');
    expect(verifiedType('audio/mpeg', EXE)).toBeNull();
    expect(verifiedType('audio/mpeg', SVG)).toBeNull();
  });
});

describe('refusal lines say nothing of what a remote answered', () => {
  it('a 404 with an HTML page names neither the status nor the type nor the page', async () => {
    files.delete('/files/9/gone.pdf');
    const to = memorySink();
    const result = await transferAttachment({ from: source(), to, file: { url: `${base}/files/9/gone.pdf`, name: 'gone.pdf' } });
    expect(result).toMatchObject({ transferred: false, line: 'attachment gone.pdf not transferred: it could not be downloaded from the app' });
    const line = (result as { line: string }).line;
    for (const leak of ['404', 'html', 'internal-db', 'HTTP']) expect(line).not.toContain(leak);
  });

  it('a URL the policy refuses reads as not allowed, with no address in it', async () => {
    const to = memorySink();
    const result = await transferAttachment({ from: source(), to, file: { url: 'http://169.254.169.254/latest/meta-data/iam', name: 'iam' } });
    expect(result).toMatchObject({ transferred: false, reason: 'failed', line: 'attachment iam not transferred: its address is not allowed' });
  });

  it('a refused type names no type', async () => {
    const { result } = await transfer('/files/1/data.json', { type: 'application/json', bytes: Buffer.from('{"secret":1}') });
    expect((result as { line: string }).line).toBe('attachment data.json (12 bytes) not transferred: this type of file is not accepted');
  });
});

describe('file names', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\cmd.exe', 'cmd.exe'],
    ['a%2F..%2F..%2Fsecret.png', 'secret.png'],
    ['a%5csecret.png', 'secret.png'],
    ['..', 'file'],
    ['.hidden.png', 'hidden.png'],
    ['photo\u202Egnp.exe', 'photognp.exe'],
    ['in\u2066voice\u2069\u200E.pdf', 'invoice.pdf'],
    ['line\nbreak\t.txt', 'line break .txt'],
    ['what?<>:"|*.png', 'what_______.png'],
    ['   ', 'file'],
  ])('%j becomes %j', (raw, safe) => {
    expect(safeFileName(raw)).toBe(safe);
    expect(safeFileName(safe)).toBe(safe);
  });

  it('caps a name at 255 bytes of UTF-8, keeping its extension and whole characters', () => {
    const name = safeFileName(`${'é'.repeat(300)}.pdf`);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(255);
    expect(name.endsWith('é.pdf')).toBe(true);
    expect(safeFileName(`${'x'.repeat(1000)}.png`)).toHaveLength(255);
  });

  it('a URL name is decoded once, then reduced: no separator survives', () => {
    expect(connectAttachmentName('https://c.example/files/1/..%252F..%252Fetc%252Fpasswd')).toBe('passwd');
    expect(connectAttachmentName('https://c.example/files/1/%E2%80%AEgnp.exe')).toBe('gnp.exe');
  });

  it('nameForType keeps, replaces or adds the extension of the verified type', () => {
    expect(nameForType('photo.jpeg', 'image/jpeg')).toBe('photo.jpeg');
    expect(nameForType('setup.exe', 'image/png')).toBe('setup.png');
    expect(nameForType('report', 'application/pdf')).toBe('report.pdf');
    expect(nameForType('v1.2 notes', 'text/plain')).toBe('v1.2 notes.txt');
    expect(nameForType('song.mp3', 'audio/mpeg')).toBe('song.mp3');
    expect(nameForType('song.png', 'audio/mpeg')).toBe('song');
  });
});

describe("a comment's files", () => {
  const copy = (settings: object) => ({ attempt: 1, settings: { maxBytes: 1024 * 1024, allowedTypes: ['image/png'], ...settings } });
  const sourceFiles = () => ({ from: source(), nameOf: connectAttachmentName });

  it('copies at most ATTACHMENT_MAX_FILES; the rest get a line each without a byte downloaded', async () => {
    for (let i = 0; i < 5; i++) files.set(`/files/7/p${i}.png`, { type: 'image/png', bytes: PNG });
    const urls = [0, 1, 2, 3, 4].map((i) => `${base}/files/7/p${i}.png`);
    const to = memorySink();
    const out = await uploadsForCrm(urls, sourceFiles(), to, copy({ maxFiles: 3 }));
    expect(out.uploads).toHaveLength(3);
    expect(out.lines).toEqual([
      'attachment p3.png not transferred: only the first 3 files of a message are copied',
      'attachment p4.png not transferred: only the first 3 files of a message are copied',
    ]);
    expect(to.received).toHaveLength(3);
  });

  it('stops at ATTACHMENT_MAX_COMMENT_BYTES together, saying so', async () => {
    for (let i = 0; i < 3; i++) files.set(`/files/8/q${i}.png`, { type: 'image/png', bytes: PNG });
    const urls = [0, 1, 2].map((i) => `${base}/files/8/q${i}.png`);
    const to = memorySink();
    const out = await uploadsForCrm(urls, sourceFiles(), to, copy({ maxCommentBytes: PNG.length * 2 + 10 }));
    expect(out.uploads).toHaveLength(2);
    expect(out.lines).toEqual([`attachment q2.png (${PNG.length} bytes) not transferred: the message's files are over the ${PNG.length * 2 + 10} bytes limit together`]);
    expect(out.files.map((f) => f.outcome)).toEqual(['transferred', 'transferred', 'too-large']);
  });

  it('gives the files no time once ATTACHMENT_COMMENT_TIMEOUT is spent', async () => {
    files.set('/files/9/r.png', { type: 'image/png', bytes: PNG });
    const to = memorySink();
    const out = await uploadsForCrm([`${base}/files/9/r.png`], sourceFiles(), to, copy({ commentTimeoutMs: -1 }));
    expect(out.lines).toEqual(['attachment r.png not transferred: there was no time left to copy it']);
    expect(to.received).toEqual([]);
  });
});
