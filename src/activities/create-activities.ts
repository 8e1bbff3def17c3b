import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { recoverMirror } from '../domain/adoption';
import { compareComments, inlineText, LOOKBACK_MS, newAgentReplies, newSourceComments, PREVIEW_BYTES } from '../domain/comments';
import { crmFingerprint, sourceFingerprint } from '../domain/fingerprints';
import { parseCrmExternalId, type CrmStatus, type CrmTicket, type SourceKind, type SourceTicket, type TicketStatus } from '../domain/ticket';
import { applyMapping, type TicketMapping } from '../mapping';
import { diffMapped, mappedDigest } from '../mapping/changes';
import type { CrmPort, CrmTicketFields, NewCrmTicket } from '../ports/crm';
import type { TicketSourcePort } from '../ports/ticket-source';
import { findLandedComment, sameBody } from '../adapters/comment-dedupe';
import { mirroredBody } from '../domain/attachments';
import { IntegrationError } from '../ports/errors';
import type { TransferLogger } from './attachment-transfer';
import { copyToSourceComment, DEFAULT_ATTACHMENT_SETTINGS, planForSource, uploadsForCrm, withHeartbeat, type AttachmentSettings, type FileOutcome } from './comment-files';
import { mapFailures } from './failures';
import type { CommentDedupe, FullText, MappedDigest, ReadWindow, StatusWriteOutcome, SourceWriteCondition, TicketActivities } from './types';

/** Maps a source's assignee reference to a CRM user id (e.g. `WHITELABEL_ASSIGNEES`). */
export type AssigneeResolver = (assigneeRef: string | null) => { crmAssigneeId: string | null; mapped: boolean };

export interface ActivityDeps {
  /** A source left undefined is not configured in this deployment. */
  sources: Record<SourceKind, TicketSourcePort | undefined>;
  crm: CrmPort;
  /** Per source; a source without one has no assignees to map (Connect). */
  assignees?: Partial<Record<SourceKind, AssigneeResolver>>;
  /** `ATTACHMENT_MAX_BYTES`, `ATTACHMENT_ALLOWED_TYPES` (default 20 MB; images, PDF, text, office). */
  attachments?: AttachmentSettings;
  /** Where file transfers log (sizes, types, hashes; never names), and the mapping what it applied. */
  logger?: TransferLogger;
  /** `MAPPING_FILE`: the Zendesk fields a new ticket gets from its source's fields; absent: none. */
  mapping?: TicketMapping;
}

/** Runs `fn` as it is (the counterpart of `withHeartbeat` for writes without files). */
const now = <T>(fn: () => Promise<T>): Promise<T> => fn();

const SIDE_NAMES: Record<SourceKind, string> = { connect: 'the app', whitelabel: 'the white-label platform' };

const UNMAPPED: AssigneeResolver = (ref) => ({ crmAssigneeId: null, mapped: ref === null });

/**
 * A retried attempt (the previous one failed, timed out, or its worker was killed), or a write
 * the workflow began in an earlier activity (`landedCheck`), may follow a write that landed
 * without us hearing back: only then is the extra read for dedupe worth it.
 */
function dedupeFor({ afterCommentId, excludeIds, landedCheck }: CommentDedupe) {
  return { check: landedCheck === true || Context.current().info.attempt > 1, afterCommentId, excludeIds };
}

export function createActivities({ sources, crm, assignees = {}, attachments = DEFAULT_ATTACHMENT_SETTINGS, logger, mapping }: ActivityDeps): TicketActivities {
  const copy = () => ({ attempt: Context.current().info.attempt, settings: attachments, logger });

  /**
   * The mapped fields of the ticket a create is about to write, read from its source now (the
   * workflow carries no such fields, and its inputs stay as they are). No mapping for the
   * source: no read, and the create's request is exactly what it was without a mapping.
   */
  const mappedFields = async (externalId: string): Promise<CrmTicketFields | undefined> => {
    const named = parseCrmExternalId(externalId);
    if (!mapping || !named || !mapping[named.source]) return undefined;
    const fields = await sources[named.source]?.fetchFields?.(named.sourceTicketId);
    if (!fields) {
      logger?.warn({ source: named.source, sourceTicketId: named.sourceTicketId }, 'mapping not applied: the source ticket could not be read');
      return undefined;
    }
    const applied = applyMapping(mapping, named.source, named.sourceTicketId, fields);
    logger?.info({ source: named.source, sourceTicketId: named.sourceTicketId, mapped: applied.logView }, 'mapping applied');
    return applied.fields;
  };

  /**
   * A ticket Zendesk refuses with its mapped fields (422: a group, brand, form or agent the
   * account does not have, an agent outside the group) is created without them: unrouted is
   * better than never created. Under a key of its own, as Zendesk would take the same key with
   * another body for a reuse; a retried attempt finds the ticket by its external id first.
   */
  const createMapped = async (ticket: NewCrmTicket): Promise<{ created: CrmTicket; withFields: boolean }> => {
    if (!ticket.fields) return { created: await crm.createTicket(ticket), withFields: false };
    try {
      return { created: await crm.createTicket(ticket), withFields: true };
    } catch (err) {
      if (!(err instanceof IntegrationError && err.kind === 'unprocessable')) throw err;
      logger?.warn({ externalId: ticket.externalId, status: err.status }, 'mapping refused by Zendesk: the ticket is created without its mapped fields');
      const { fields: _refused, ...plain } = ticket;
      return { created: await crm.createTicket({ ...plain, idempotencyKey: `${ticket.idempotencyKey}:unmapped` }), withFields: false };
    }
  };

  /** The mapping, where later changes of a source's mapped fields are followed: rules for it, and a helpdesk that takes them. */
  const followed = (kind: SourceKind): TicketMapping | undefined => (mapping?.[kind] && crm.updateFields ? mapping : undefined);

  /**
   * The source ticket, and the digests of what the mapping yields for it now, from the same read
   * (no extra request). No digests without a followed mapping.
   */
  const readWithMapped = async (kind: SourceKind, ticketId: string): Promise<{ ticket: SourceTicket; mapped?: MappedDigest } | null> => {
    const port = source(kind);
    const rules = followed(kind);
    if (!rules || !port.fetchTicketAndFields) {
      const ticket = await port.fetchTicket(ticketId);
      return ticket && { ticket };
    }
    const read = await port.fetchTicketAndFields(ticketId);
    return read && { ticket: read.ticket, mapped: mappedDigest(applyMapping(rules, kind, ticketId, read.fields).fields) };
  };

  const source = (kind: SourceKind): TicketSourcePort => {
    const port = sources[kind];
    // A deployment problem, not a transient one: retrying will not configure the source.
    if (!port) throw ApplicationFailure.nonRetryable(`ticket source '${kind}' is not configured`, 'source-not-configured');
    return port;
  };

  /** The whole of a text the workflow holds only the start of; `given` when it holds it all. */
  const wholeText = async (fullText: FullText | undefined, given: string): Promise<string> => {
    if (!fullText) return given;
    if (fullText.of === 'crm-comment') {
      const ticket = await crm.getTicket(fullText.crmTicketId);
      return ticket?.comments.find((c) => c.id === fullText.commentId)?.body ?? given;
    }
    const ticket = await source(fullText.source).fetchTicket(fullText.ticketId);
    if (fullText.of === 'source-description') return ticket?.description ?? given;
    const comment = ticket?.comments.find((c) => c.id === fullText.commentId);
    return comment ? `${fullText.prefix}${comment.body}` : given;
  };

  /** The comment of `postSourceComment`; `fresh`, the ticket as read just before it (when it was). */
  const postComment = async (
    { source: kind, ticketId, body: given, fullText, unlessClosed: _checkedByCaller, thenStatus: _writtenAfter, files = [], ...dedupe }: Parameters<TicketActivities['postSourceComment']>[0],
    fresh: SourceTicket | null,
  ) => {
    const port = source(kind);
    const body = await wholeText(fullText, given);
    const byMessage = files.length > 0;
    const window = { ...dedupeFor(dedupe), ...(byMessage && { byMessage }) };
    // The files the listing rules out are said in the comment itself.
    const plan = byMessage ? planForSource(files, port.files, attachments, SIDE_NAMES[kind]) : null;
    const text = plan ? mirroredBody(body, files.length, plan.lines) : body;
    let posted: { commentId: string; alreadyPresent: boolean; attachments?: string[] };
    if (fresh?.status === 'CLOSED') {
      // An earlier attempt may have landed the reply before the user closed: then it was
      // delivered, and it is the bridge's own comment (never a note, never an echo).
      const landed = window.check
        ? findLandedComment(fresh.comments, (c) => c.author === 'SUPPORT' && sameBody(c.body, text, byMessage), window)
        : undefined;
      if (!landed) {
        throw new IntegrationError('write-conflict', kind, 'POST /tickets/{id}/comments', `${kind}: the user closed the ticket since it was read`, 409);
      }
      posted = { commentId: landed.id, alreadyPresent: true, attachments: landed.attachments };
    } else {
      posted = await port.postSupportComment(ticketId, text, window);
    }
    const result = { commentId: posted.commentId, alreadyPresent: posted.alreadyPresent };
    if (!plan) return result;
    const sink = port.files?.sinkFor ? { ...port.files, sinkFor: port.files.sinkFor.bind(port.files) } : null;
    if (plan.toCopy.length === 0 || !sink || !crm.files) return { ...result, files: plan.files };
    const crmFiles = crm.files;
    const copied = await copyToSourceComment(plan.toCopy, crmFiles, sink, posted.commentId, posted.attachments ?? [], copy());
    const outcomes: FileOutcome[] = [...plan.files, ...copied.files];
    if (copied.lines.length === 0) return { ...result, files: outcomes };
    // The comment cannot be edited: what failed after it was written is said right after it, once.
    const followUp = await port.postSupportComment(ticketId, copied.lines.join('\n'), {
      check: true,
      afterCommentId: posted.commentId,
      excludeIds: [],
    });
    return { ...result, files: outcomes, followUpId: followUp.commentId };
  };

  /**
   * The status of the same decision, written after its comment by the same activity (rules 1.2),
   * checked against `fresh`, the read the comment was checked against when nothing but the
   * comment's POST came since (else the ticket is read again here), as a separate status write's
   * re-read would see. A 4xx (a conflict included) is the workflow's to handle, the comment having
   * landed; anything else fails the activity, whose retry finds the comment's landed copy.
   */
  const statusAfterComment = async (
    port: TicketSourcePort,
    { source: kind, ticketId, thenStatus }: Parameters<TicketActivities['postSourceComment']>[0],
    fresh: SourceTicket | null,
  ): Promise<StatusWriteOutcome> => {
    try {
      const ticket = fresh ?? (await port.fetchTicket(ticketId));
      if (ticket === null) throw new IntegrationError('not-found', kind, 'GET /tickets/{id}', `${kind}: ticket not found`, 404);
      const acted = userActedSince(ticket, thenStatus!.status, thenStatus!.condition);
      if (acted) throw new IntegrationError('write-conflict', kind, 'PUT /tickets/{id}', `${kind}: ${acted} since the ticket was read`, 409);
      await port.setStatus(ticketId, thenStatus!.status);
      return 'written';
    } catch (err) {
      if (err instanceof IntegrationError && !err.retryable) return { refused: err.kind };
      throw err;
    }
  };

  /** The comment of `addCrmComment`, with the status its write may carry (`CrmPort.addComment`). */
  const addCrmComment = async (
    { crmTicketId, body: given, fullText, public: isPublic, author, condition, files, ...dedupe }: Omit<Parameters<TicketActivities['addCrmComment']>[0], 'thenStatus'>,
    status: CrmStatus | undefined,
  ): Promise<Awaited<ReturnType<TicketActivities['addCrmComment']>>> => {
    const body = await wholeText(fullText, given);
    const withStatus = status !== undefined ? { status } : {};
    if (!files || files.urls.length === 0) return crm.addComment(crmTicketId, { body, public: isPublic, author, ...withStatus }, dedupeFor(dedupe), condition);
    let outcomes: FileOutcome[] | undefined;
    const from = sources[files.source]?.files;
    const upload = async () => {
      const uploaded = await uploadsForCrm(files.urls, from, crm.files, copy());
      outcomes = uploaded.files;
      return uploaded;
    };
    const text = mirroredBody(body, files.urls.length, []);
    const written = await withHeartbeat(() =>
      crm.addComment(crmTicketId, { body: text, public: isPublic, author, ...withStatus, files: upload }, dedupeFor(dedupe), condition),
    );
    return { ...written, ...(outcomes && { files: outcomes }) };
  };

  return {
    readSourceTicket: ({ source: kind, ticketId, window }) =>
      mapFailures(async () => {
        const read = await readWithMapped(kind, ticketId);
        if (read === null) return null;
        const { ticket, mapped } = read;
        const fresh = newSourceComments(ticket.comments, window.cursor, window.ownIds, window.maxBytes, window.recent ?? null);
        // The description travels in every read: over the budget, only its start (the create reads the whole).
        const description = inlineText(ticket.description, window.maxBytes);
        return {
          ticket: { ...ticket, comments: [], description: description.text, ...(description.truncated && { descriptionTruncated: true }) },
          newComments: fresh.fresh,
          cursor: fresh.cursor,
          ownIds: fresh.ownIds,
          more: fresh.more,
          recent: fresh.recent,
          fingerprint: sourceFingerprint(ticket),
          ...(mapped && { mapped }),
        };
      }),

    postSourceComment: (input) =>
      // With files, the heartbeat runs from the start: their options time a silent attempt out.
      mapFailures(() => ((input.files ?? []).length > 0 ? withHeartbeat : now)(async () => {
        const port = source(input.source);
        const fresh = input.unlessClosed || input.thenStatus ? await port.fetchTicket(input.ticketId) : null;
        const readBefore = fresh ? { readBefore: { status: fresh.status, updatedAt: fresh.updatedAt } } : {};
        const posted = { ...(await postComment(input, fresh)), ...readBefore };
        if (!input.thenStatus) return posted;
        // The read before the comment still stands only if nothing but the comment's POST came
        // after it: files are copied after the comment, for as long as they take, and the user
        // may act meanwhile.
        const stillFresh = (input.files ?? []).length > 0 ? null : fresh;
        return { ...posted, statusWrite: await statusAfterComment(port, input, stillFresh) };
      })),

    setSourceStatus: ({ source: kind, ticketId, status, condition }) =>
      mapFailures(async () => {
        const port = source(kind);
        if (condition) {
          const fresh = await port.fetchTicket(ticketId);
          if (fresh === null) throw new IntegrationError('not-found', kind, 'GET /tickets/{id}', `${kind}: ticket not found`, 404);
          const acted = userActedSince(fresh, status, condition);
          if (acted) throw new IntegrationError('write-conflict', kind, 'PUT /tickets/{id}', `${kind}: ${acted} since the ticket was read`, 409);
        }
        await port.setStatus(ticketId, status);
      }),

    // Look up first: the idempotency key only dedupes for 2 hours, the external id forever. Not
    // on the first attempt for a ticket the workflow calls `unseen` (rules 1.7): nothing can have
    // made a copy yet. A retry looks, whatever the workflow said: the attempt before may have landed.
    // (An operator's `temporal activity reset` puts the attempt back to 1: Zendesk's idempotency
    // key, the same for the whole chain, and Freshdesk's own landed-copy check cover that.)
    // Only the first comment (the description) comes back: the workflow needs no more, and a
    // found ticket's whole conversation has no place in history.
    ensureCrmTicket: ({ files, fullText, unseen, ...given }) =>
      mapFailures(() => (files && files.urls.length > 0 ? withHeartbeat : now)(async () => {
        const ticket = { ...given, description: await wholeText(fullText, given.description) };
        const found = unseen && Context.current().info.attempt === 1 ? null : await crm.findTicketByExternalId(ticket.externalId);
        // A follow-up is a new ticket: the closed one it follows is not it (a retried create finds the follow-up).
        const existing = found !== null && ticket.followUpOf !== undefined && found.id === ticket.followUpOf ? null : found;
        let outcomes: FileOutcome[] | undefined;
        let fields: CrmTicketFields | undefined;
        const create = async () => {
          fields = await mappedFields(ticket.externalId);
          const mapped = fields ? { ...ticket, fields } : ticket;
          if (!files || files.urls.length === 0) return createMapped(mapped);
          const uploaded = await uploadsForCrm(files.urls, sources[files.source]?.files, crm.files, copy());
          outcomes = uploaded.files;
          const description = mirroredBody(ticket.description, files.urls.length, uploaded.lines);
          return createMapped({ ...mapped, description, uploads: uploaded.uploads });
        };
        if (existing) return { ...withFirstComment(existing), found: true };
        const { created, withFields } = await create();
        // What a later change of a mapped field is told from (only where the helpdesk takes such changes).
        const mapped = withFields && fields && crm.updateFields ? { mapped: mappedDigest(fields) } : {};
        return { ...withFirstComment(created), found: false, ...(outcomes && { files: outcomes }), ...mapped };
      })),

    findCrmTicket: ({ externalId }) =>
      mapFailures(async () => {
        const found = await crm.findTicketByExternalId(externalId);
        return found ? { ...withFirstComment(found), found: true as const } : null;
      }),

    readCrmTicket: ({ crmTicketId, window, participants }) =>
      mapFailures(async () => {
        const ticket = await crm.getTicket(crmTicketId, readSince(window));
        if (ticket === null) return null;
        // The requester as Zendesk says now, not as it was at link time (requesters get merged).
        const requesterId = ticket.requesterId ?? participants.requesterId;
        const read = newAgentReplies(ticket.comments, window.cursor, window.ownIds, { ...participants, requesterId }, window.maxBytes, window.recent ?? null);
        return {
          requesterId,
          status: ticket.status,
          version: ticket.updatedAt ?? null,
          newAgentReplies: read.fresh,
          cursor: read.cursor,
          ownIds: read.ownIds,
          more: read.more,
          recent: read.recent,
          fingerprint: crmFingerprint(ticket),
          assigned: ticket.assigneeId !== null,
        };
      }),

    addCrmComment: ({ thenStatus, ...input }) =>
      mapFailures(async () => {
        // Only a write conditional on the version the decision saw may carry its status: without
        // one, the status would be written over whatever changed since (an agent's status).
        const written = await addCrmComment(input, input.condition ? thenStatus?.status : undefined);
        if (!thenStatus) return written;
        if (written.status === thenStatus.status && written.version && input.condition) return { ...written, statusWrite: 'written' as const };
        // Not in the comment's own write (no version known, a landed copy, a CRM that writes one
        // thing at a time): now, checked against the decision's read by the version the comment's
        // conditional write answered, else by a re-read (the comment just written is the bridge's).
        const condition = input.condition
          ? { ...thenStatus.condition, version: written.version ?? null }
          : { ...thenStatus.condition, version: null, excludeIds: [...thenStatus.condition.excludeIds, written.commentId] };
        try {
          const { version } = await crm.setStatus(input.crmTicketId, thenStatus.status, condition);
          return { ...written, version, status: thenStatus.status, statusWrite: 'written' as const };
        } catch (err) {
          if (err instanceof IntegrationError && !err.retryable) return { ...written, statusWrite: { refused: err.kind } };
          throw err;
        }
      }),

    setCrmStatus: ({ crmTicketId, status, condition }) => mapFailures(() => crm.setStatus(crmTicketId, status, condition)),

    assignCrmTicket: ({ crmTicketId, source: kind, assigneeRef }) =>
      mapFailures(async () => {
        const resolution = (assignees[kind] ?? UNMAPPED)(assigneeRef);
        await crm.setAssignee(crmTicketId, resolution.crmAssigneeId);
        return resolution;
      }),

    updateCrmMappedFields: ({ source: kind, ticketId, crmTicketId, known, version }) =>
      mapFailures(async () => {
        const rules = followed(kind);
        if (!rules || !crm.updateFields) {
          throw new IntegrationError('unprocessable', crm.kind, 'mapped fields', `${crm.kind}: no mapped fields to write for ${kind} tickets`);
        }
        const fields = await source(kind).fetchFields?.(ticketId);
        // Unreadable just after the sync read it (a blip): nothing written, the digests kept, so the next sync tries again.
        if (!fields) return { mapped: known, written: [], version };
        const applied = applyMapping(rules, kind, ticketId, fields);
        const next = mappedDigest(applied.fields);
        const diff = diffMapped(known, next, applied.fields);
        if (diff === null) return { mapped: next, written: [], version };
        const written = await crm.updateFields(crmTicketId, diff.change, version);
        logger?.info({ source: kind, sourceTicketId: ticketId, written: diff.targets, mapped: applied.logView }, 'mapped fields updated');
        return { mapped: next, written: diff.targets, version: written.version };
      }),

    adoptCrmTicket: ({ source: kind, ticketId, crmTicketId, requesterId }) =>
      mapFailures(async () => {
        const [sourceTicket, crmTicket] = [await source(kind).fetchTicket(ticketId), await crm.getTicket(crmTicketId)];
        if (sourceTicket === null) throw new IntegrationError('not-found', kind, 'GET /tickets/{id}', `${kind}: ticket not found`, 404);
        if (crmTicket === null) throw new IntegrationError('not-found', crm.kind, 'GET /tickets/{id}', `${crm.kind}: ticket not found`, 404);
        return recoverMirror({ sourceComments: sourceTicket.comments, crmComments: crmTicket.comments, requesterId });
      }),
  };
}

/** What the user did since the decision's read, if anything (see `SourceWriteCondition`). */
export function userActedSince(fresh: SourceTicket, target: TicketStatus, condition: SourceWriteCondition): string | null {
  const own = new Set(condition.excludeIds);
  const { cursor } = condition;
  const newUserComment = fresh.comments.some((c) => c.author === 'USER' && !own.has(c.id) && (cursor === null || compareComments(c, cursor) > 0));
  if (newUserComment) return 'the user commented';
  if (fresh.status === 'CLOSED' && condition.status !== 'CLOSED' && target !== 'CLOSED') return 'the user closed the ticket';
  if (fresh.status === 'SOLVED' && condition.status !== 'SOLVED' && target !== 'SOLVED') return 'the user marked the ticket resolved';
  if (condition.remembered && fresh.status === 'OPEN' && condition.status !== 'OPEN' && target !== 'OPEN') return 'the user reopened the ticket';
  if (condition.status === 'SOLVED' && fresh.status !== 'SOLVED' && fresh.status !== target) return 'the user answered "not resolved"';
  return null;
}

/** A CRM ticket with its first comment only, as its id and time and the start of its text: the workflow needs its cursor, and no whole description belongs in history. */
/**
 * How far back a CRM read needs comments: the look-back behind the cursor, or the oldest comment
 * still watched behind it, whichever is earlier. Nothing read yet: every comment.
 */
export function readSince(window: ReadWindow): { commentsSince?: string } {
  if (window.cursor === null) return {};
  const behindCursor = Date.parse(window.cursor.createdAt) - LOOKBACK_MS;
  const watched = window.recent ? Date.parse(window.recent.since) : Number.POSITIVE_INFINITY;
  const since = Math.min(behindCursor, watched);
  return Number.isNaN(since) ? {} : { commentsSince: new Date(since).toISOString() };
}

function withFirstComment(ticket: CrmTicket): CrmTicket {
  const first = [...ticket.comments]
    .sort(compareComments)
    .slice(0, 1)
    .map((c) => ({ ...c, body: inlineText(c.body, PREVIEW_BYTES).text }));
  return { ...ticket, comments: first };
}
