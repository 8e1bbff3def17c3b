/**
 * A `multipart/form-data` body streamed from disk: Freshdesk takes a comment's files only as parts
 * of the very request that writes it (no upload-then-bind as Zendesk's tokens). The length is
 * known in advance (files are spooled first), so it is sent as `Content-Length`, not chunked.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export interface FilePart {
  field: string;
  name: string;
  contentType: string;
  path: string;
  size: number;
}

/** A header value in quotes: no quote, backslash or line break can end it early. */
const quoted = (value: string) => `"${value.replace(/["\\\r\n]/g, '_')}"`;

export function multipartBody(fields: readonly (readonly [string, string])[], files: readonly FilePart[]): { contentType: string; length: number; stream: Readable } {
  const boundary = `----ticket-bridge-${randomBytes(12).toString('hex')}`;
  const fieldParts = fields.map(([name, value]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`));
  const fileHeads = files.map((f) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(f.field)}; filename=${quoted(f.name)}\r\nContent-Type: ${f.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`),
  );
  const crlf = Buffer.from('\r\n');
  const end = Buffer.from(`--${boundary}--\r\n`);
  const length =
    fieldParts.reduce((n, b) => n + b.length, 0) + fileHeads.reduce((n, b) => n + b.length, 0) + files.reduce((n, f) => n + f.size + crlf.length, 0) + end.length;
  async function* parts(): AsyncGenerator<Buffer> {
    for (const part of fieldParts) yield part;
    for (const [i, file] of files.entries()) {
      yield fileHeads[i]!;
      for await (const chunk of createReadStream(file.path)) yield chunk as Buffer;
      yield crlf;
    }
    yield end;
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, length, stream: Readable.from(parts(), { objectMode: false }) };
}
