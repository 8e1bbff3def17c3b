/**
 * Files copied between the sides (issues 13 and 23): their size and types, what one comment's
 * files may cost, and where downloads may go. Attachment URLs are written by whoever writes a
 * comment, so they are fetched only from allow-listed hosts and never from internal addresses
 * unless allowed here.
 */
import { z } from 'zod';
import { parseCidr } from '../adapters/http/ip-ranges';
import { ZENDESK_MAX_ATTACHMENT_BYTES } from '../adapters/zendesk/attachments';
import { DEFAULT_ALLOWED_TYPES, DEFAULT_ATTACHMENT_SETTINGS } from '../domain/attachments';
import type { EnvReader } from './env-reader';
import type { Side } from './sides';
import { byteSize, countUpTo, duration, hostPatternList } from './values';

export interface OutboundConfig {
  /**
   * `CONNECT_ATTACHMENT_HOSTS`, `WHITELABEL_ATTACHMENT_HOSTS`, `ZENDESK_ATTACHMENT_HOSTS`: hosts
   * files may come from besides the side's API host (and, for Zendesk, `*.zdusercontent.com`).
   */
  attachmentHosts: Record<Side, readonly string[]>;
  /**
   * `OUTBOUND_ALLOWED_ADDRESSES`: internal ranges (CIDR) downloads may reach anyway. An API URL
   * on loopback (the sandbox, a simulator) allows loopback for its own host without this.
   */
  allowedAddresses: readonly string[];
}

/** At most the target's limit: Zendesk takes files of up to 50 MB (the app says none). */
const attachmentMaxBytes = byteSize.refine((n) => n <= ZENDESK_MAX_ATTACHMENT_BYTES, {
  error: `must be at most ${ZENDESK_MAX_ATTACHMENT_BYTES / 1024 ** 2}mb (Zendesk's limit per file)`,
});

/** `image/png,application/pdf,image/*`: exact content types, or a prefix ending in `*`. */
const contentTypeList = z.string().transform((text, ctx) => {
  const entries = text.split(',').map((e) => e.trim().toLowerCase());
  const valid = /^(?:\*|[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+\*?))$/;
  if (entries.some((e) => !valid.test(e))) {
    ctx.addIssue({ code: 'custom', message: 'must be content types like image/png, application/pdf or image/*, comma-separated' });
    return z.NEVER;
  }
  return entries;
});

/** `127.0.0.0/8,10.1.0.0/16,::1`: address ranges. */
const cidrList = z.string().transform((text, ctx) => {
  const ranges = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (ranges.some((range) => parseCidr(range) === null)) {
    ctx.addIssue({ code: 'custom', message: 'must be address ranges like 10.0.0.0/8, 127.0.0.1 or fd00::/8, comma-separated' });
    return z.NEVER;
  }
  return ranges;
});

/**
 * `ATTACHMENT_MAX_BYTES` (default 20 MB, at most Zendesk's 50 MB), `ATTACHMENT_ALLOWED_TYPES`
 * (default images, PDF, plain text, office documents), then the caps per comment. A file over
 * the size or of another type is a line in the mirrored comment instead.
 */
export function readAttachments(r: EnvReader) {
  const d = DEFAULT_ATTACHMENT_SETTINGS;
  const maxBytes = r.withDefault('ATTACHMENT_MAX_BYTES', attachmentMaxBytes, '20mb');
  const allowedTypes = r.optional('ATTACHMENT_ALLOWED_TYPES', contentTypeList) ?? DEFAULT_ALLOWED_TYPES;
  // A comment's files share one activity attempt, which may run 10 minutes (retry-policy.ts).
  const commentTimeout = duration.refine((ms) => ms <= 8 * 60_000, { error: 'must be at most 8m (a comment-writing activity runs at most 10 minutes)' });
  return {
    maxBytes,
    allowedTypes,
    maxFiles: r.withDefault('ATTACHMENT_MAX_FILES', countUpTo(100), String(d.maxFiles)),
    maxCommentBytes: r.withDefault('ATTACHMENT_MAX_COMMENT_BYTES', byteSize, `${d.maxCommentBytes / 1024 ** 2}mb`),
    fileTimeoutMs: r.withDefault('ATTACHMENT_FILE_TIMEOUT', commentTimeout, `${d.fileTimeoutMs}ms`),
    commentTimeoutMs: r.withDefault('ATTACHMENT_COMMENT_TIMEOUT', commentTimeout, `${d.commentTimeoutMs}ms`),
  };
}

/** Each side's `…_ATTACHMENT_HOSTS` and `OUTBOUND_ALLOWED_ADDRESSES`. */
export function readOutbound(r: EnvReader): OutboundConfig {
  return {
    attachmentHosts: {
      connect: r.optional('CONNECT_ATTACHMENT_HOSTS', hostPatternList) ?? [],
      zendesk: r.optional('ZENDESK_ATTACHMENT_HOSTS', hostPatternList) ?? [],
      whitelabel: r.optional('WHITELABEL_ATTACHMENT_HOSTS', hostPatternList) ?? [],
    },
    allowedAddresses: r.optional('OUTBOUND_ALLOWED_ADDRESSES', cidrList) ?? [],
  };
}
