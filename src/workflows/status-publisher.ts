import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { fingerprintsKeyword } from '../domain/fingerprints';
import type { TicketWorkflowInput } from './definitions';
import type { TicketMemory } from './memory';
import { CrmTicketIdKey, TicketFingerprintsKey, TicketPausedKey, TicketSourceKey, TicketStatusKey } from './search-attributes';

/**
 * What a ticket workflow's memo tells whoever lists it (the reconciler, the Temporal UI): no
 * personal data. Before sync rules 1.6 it also held `status` and `fingerprints`, what each side
 * looked like when the workflow last saw it, so the reconciler compares a fresh read with them
 * without a query per ticket; since 1.6 those are the search attributes `TicketStatus` and
 * `TicketFingerprints`, and the memo changes only when what it says does.
 */
export interface TicketMemo {
  ticket: string;
  crmTicket: string;
  /** Runs before rules 1.6 (since: `TicketStatus`). */
  status?: string;
  /** Runs before rules 1.6 (since: `TicketFingerprints`, a digest). */
  fingerprints?: TicketMemory['fingerprints'];
  /** How many things wait on a person or a remote (the state's `parked`): 0 for a healthy ticket. */
  parked?: number;
  /** Present while paused: since when and the operator's reason (the state's `paused`). */
  paused?: { since: string; reason: string };
}

/**
 * Keeps the Temporal UI's view (search attributes, memo) in step with the lifecycle, writing
 * only on change so an unchanged ticket adds nothing to its history.
 */
export class StatusPublisher {
  private publishedAttributes: string | null = null;
  private publishedMemo: string | null = null;
  /** Rules 1.6 after a run that published `status` and `fingerprints` in the memo: carried on by continue-as-new, removed by the first upsert. */
  private memoKeysToDrop: { status: null; fingerprints: null } | null = null;

  /**
   * `crmName`: the helpdesk's name, in lower case in the memo (`<name> ticket 7`).
   * `lean` (rules 1.2): search attributes change once per sync, like the memo, and not at all
   * when the run started with them as they are (the API starts a ticket with its source and NEW).
   * `searchableFingerprints` (rules 1.6): the fingerprints are a search attribute, not in the memo.
   */
  constructor(
    private readonly input: TicketWorkflowInput,
    private readonly crmName: string,
    private readonly lean = false,
    private readonly searchableFingerprints = false,
  ) {
    if (!lean) return;
    const { memo } = workflowInfo();
    // `!= null`: with payload encryption the server keeps a key set to null (an encrypted null is
    // not the empty payload it deletes), so a dropped key may come back as null, already harmless.
    if (searchableFingerprints && memo && (memo.status != null || memo.fingerprints != null)) this.memoKeysToDrop = { status: null, fingerprints: null };
    const started = workflowInfo().typedSearchAttributes;
    const [source, status] = [started.get(TicketSourceKey), started.get(TicketStatusKey)];
    const fingerprints = searchableFingerprints ? (started.get(TicketFingerprintsKey) ?? null) : null;
    if (source === input.source && status !== undefined) this.publishedAttributes = attributesKey(status, started.get(CrmTicketIdKey) ?? null, fingerprints);
  }

  /**
   * After every lifecycle step. The memo waits for `endOfSync`: one memo change per sync at
   * most, however many steps it took.
   */
  publish(memory: TicketMemory, endOfSync = false): void {
    const crmTicketId = memory.crm?.ticketId ?? null;
    const fingerprints = this.searchableFingerprints ? fingerprintsKeyword(memory.fingerprints) : null;
    const attributes = attributesKey(memory.lifecycle.status, crmTicketId, fingerprints);
    if (attributes !== this.publishedAttributes && (endOfSync || !this.lean)) {
      this.publishedAttributes = attributes;
      upsertSearchAttributes([
        { key: TicketSourceKey, value: this.input.source },
        { key: TicketStatusKey, value: memory.lifecycle.status },
        ...(crmTicketId ? [{ key: CrmTicketIdKey, value: crmTicketId }] : []),
        ...(fingerprints ? [{ key: TicketFingerprintsKey, value: fingerprints }] : []),
      ]);
    }
    if (endOfSync) this.publishMemo(memory);
  }

  /**
   * A pause or a resume, at once (no sync follows a pause): `TicketPaused` and the memo. Only a
   * ticket an operator pauses ever gets the attribute, so no other history changes.
   */
  publishPause(memory: TicketMemory): void {
    upsertSearchAttributes([{ key: TicketPausedKey, value: memory.pause ? 'true' : 'false' }]);
    this.publishMemo(memory, true);
  }

  /** `pauseChanged`: written even if unchanged otherwise, and a resume removes `paused` (an upsert merges keys; null removes one). */
  private publishMemo(memory: TicketMemory, pauseChanged = false): void {
    const crmTicketId = memory.crm?.ticketId ?? null;
    const memo: TicketMemo = {
      ticket: `${this.input.source} ticket ${this.input.sourceTicketId}`,
      crmTicket: crmTicketId ? `${this.crmName.toLowerCase()} ticket ${crmTicketId}` : 'not created yet',
      ...(!this.searchableFingerprints && { status: memory.lifecycle.status, fingerprints: { ...memory.fingerprints } }),
      parked: memory.refused.length + memory.parked.length + (memory.sourceMissing ? 1 : 0) + (memory.crmMissing ? 1 : 0),
      ...(memory.pause && { paused: { ...memory.pause } }),
    };
    const memoKey = JSON.stringify(memo);
    if (memoKey === this.publishedMemo && !pauseChanged) return;
    this.publishedMemo = memoKey;
    upsertMemo({ ...memo, ...(pauseChanged && !memory.pause && { paused: null }), ...this.memoKeysToDrop });
    this.memoKeysToDrop = null;
  }
}

function attributesKey(status: string, crmTicketId: string | null, fingerprints: string | null): string {
  return fingerprints === null ? `${status}/${crmTicketId}` : `${status}/${crmTicketId}/${fingerprints}`;
}
