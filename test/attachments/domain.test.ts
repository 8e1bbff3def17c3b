import {
  DEFAULT_ALLOWED_TYPES,
  DEFAULT_ATTACHMENT_MAX_BYTES,
  effectiveContentType,
  findAttached,
  formatBytes,
  isTypeAllowed,
  messageOf,
  mirroredBody,
  notTransferredLine,
  parseAllowedTypes,
} from '../../src/domain/attachments';

const MB = 1024 * 1024;

describe('notTransferredLine', () => {
  it("says the issue's example exactly", () => {
    expect(notTransferredLine({ name: 'invoice.pdf', size: 31 * MB, contentType: 'application/pdf' }, { reason: 'too-large', maxBytes: DEFAULT_ATTACHMENT_MAX_BYTES })).toBe(
      'attachment invoice.pdf (31 MB) not transferred: over the 20 MB limit',
    );
  });

  it('says a type is refused without naming it (a remote chose it), and a failure in words', () => {
    expect(notTransferredLine({ name: 'setup.exe', size: 2 * MB, contentType: 'application/x-msdownload' }, { reason: 'type-not-allowed' })).toBe(
      'attachment setup.exe (2 MB) not transferred: this type of file is not accepted',
    );
    expect(notTransferredLine({ name: 'a.png', size: null, contentType: null }, { reason: 'failed' })).toBe('attachment a.png not transferred: it could not be copied');
    expect(notTransferredLine({ name: 'a.png', size: 1536, contentType: 'image/png' }, { reason: 'failed', detail: 'Zendesk refused it as too large' })).toBe(
      'attachment a.png (1.5 KB) not transferred: Zendesk refused it as too large',
    );
  });

  it('keeps a file just over the limit from reading as the limit', () => {
    const line = notTransferredLine({ name: 'x.pdf', size: 20 * MB + 1000, contentType: null }, { reason: 'too-large', maxBytes: 20 * MB });
    expect(line).toBe('attachment x.pdf (20.001 MB) not transferred: over the 20 MB limit');
  });

  it('keeps the line one line, whatever the name holds', () => {
    expect(notTransferredLine({ name: 'a\nb\tc.txt', size: 10, contentType: null }, { reason: 'failed' })).toBe('attachment a b c.txt (10 bytes) not transferred: it could not be copied');
    expect(notTransferredLine({ name: '  ', size: 1, contentType: null }, { reason: 'failed' })).toBe('attachment unnamed file (1 byte) not transferred: it could not be copied');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1024, '1 KB'],
    [5 * MB, '5 MB'],
    [1.25 * MB, '1.3 MB'],
    [3 * 1024 * MB, '3 GB'],
  ])('%d → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe('content types', () => {
  it('allows images, PDF, plain text and office documents by default, not SVG or executables', () => {
    for (const t of ['image/png', 'image/jpeg', 'application/pdf', 'text/plain; charset=utf-8', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/msword', 'IMAGE/PNG']) {
      expect([t, isTypeAllowed(t)]).toEqual([t, true]);
    }
    for (const t of ['image/svg+xml', 'application/x-msdownload', 'text/html', 'application/zip', null, 'garbage']) {
      expect([t, isTypeAllowed(t)]).toEqual([t, false]);
    }
  });

  it('takes a configured list, with * suffixes', () => {
    const list = parseAllowedTypes(' image/* , application/zip ');
    expect(list).toEqual(['image/*', 'application/zip']);
    expect(isTypeAllowed('image/svg+xml', list)).toBe(true);
    expect(isTypeAllowed('application/pdf', list)).toBe(false);
    expect(parseAllowedTypes('')).toBe(DEFAULT_ALLOWED_TYPES);
    expect(parseAllowedTypes(undefined)).toBe(DEFAULT_ALLOWED_TYPES);
  });

  it('judges a generic or missing type by the file extension', () => {
    expect(effectiveContentType('application/octet-stream', 'meter.JPG')).toBe('image/jpeg');
    expect(effectiveContentType(null, 'notes.txt')).toBe('text/plain');
    expect(effectiveContentType(undefined, 'run.exe')).toBe('application/x-msdownload');
    expect(effectiveContentType('application/octet-stream', 'blob')).toBe('application/octet-stream');
    // A declared specific type is kept, whatever the name says.
    expect(effectiveContentType('application/pdf; name=x', 'x.png')).toBe('application/pdf');
  });
});

describe('findAttached', () => {
  const existing = [
    { name: 'a.png', size: 100 },
    { name: 'b.pdf', size: null },
  ];
  it('matches the same name and size; a size either side does not know matches by name', () => {
    expect(findAttached(existing, 'a.png', 100)).toEqual({ name: 'a.png', size: 100 });
    expect(findAttached(existing, 'a.png', 101)).toBeUndefined();
    expect(findAttached(existing, 'a.png', null)).toEqual({ name: 'a.png', size: 100 });
    expect(findAttached(existing, 'b.pdf', 5)).toEqual({ name: 'b.pdf', size: null });
    expect(findAttached(existing, 'c.pdf', 5)).toBeUndefined();
  });
});

describe('mirroredBody / messageOf', () => {
  const line = 'attachment a b.pdf (31 MB) not transferred: over the 20 MB limit';

  it('appends the lines after a blank line; files without words get a stand-in (Zendesk takes no empty comment)', () => {
    expect(mirroredBody('Hello', 2, [])).toBe('Hello');
    expect(mirroredBody('Hello', 2, [line, line])).toBe(`Hello\n\n${line}\n${line}`);
    expect(mirroredBody('  ', 1, [])).toBe('(1 attachment)');
    expect(mirroredBody('', 2, [line])).toBe(`(2 attachments)\n\n${line}`);
    expect(mirroredBody('', 0, [])).toBe('');
  });

  it("gives back the message without the bridge's lines, or sync v2's pasted URLs", () => {
    expect(messageOf(mirroredBody('Hello\nthere', 1, [line]))).toBe('Hello\nthere');
    expect(messageOf('Hello\r\n\r\n' + line + '\r\n')).toBe('Hello');
    expect(messageOf('Hello\n\nAttachments:\n- https://x.example/a.png\n- https://x.example/b.png')).toBe('Hello');
    expect(messageOf('Hello')).toBe('Hello');
  });

  it("keeps a message's own last line that merely looks like one (no blank line before it)", () => {
    expect(messageOf(`Hello\n${line}`)).toBe(`Hello\n${line}`);
    expect(messageOf(line)).toBe(line);
  });
});
