import type { SimRequest } from './sim-server';

/** 50 MB: Zendesk's documented limit per file, and the simulators' default for both remotes. */
export const DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/**
 * The whole body of an upload route (`stream: true`), or 'too-large' past `maxBytes`. A file over
 * the limit is not kept: what is left of it is read and dropped, so the client sees the 413
 * instead of a reset connection (a `Content-Length` over the limit is refused without reading).
 * Rejects when the client goes away before the end: a file is stored whole or not at all.
 */
export async function readUpload(req: SimRequest, maxBytes: number): Promise<Buffer | 'too-large'> {
  const stream = req.stream;
  if (!stream) throw new Error('readUpload needs a route declared with stream: true');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return 'too-large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
    else chunks.length = 0;
  }
  return size > maxBytes ? 'too-large' : Buffer.concat(chunks, size);
}
