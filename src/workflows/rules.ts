/**
 * Which sync rules a run follows (docs/sync-rules.md): 1.0, plus each later change its history
 * was recorded with. Asked once, at the start of a run, so every `patched()` marker sits in the
 * run's first workflow task and a run keeps the rules it started with.
 */
import { patched } from '@temporalio/workflow';
import { PATCHES } from './definitions';

export interface SyncRules {
  /** 1.1: the helpdesk's events of the bridge's own writes are recognised by comment id and version (no read). */
  recogniseEchoes: boolean;
  /** 1.1: a CRM fingerprint taken from a write's answer is marked unverified, so the reconciler still reads. */
  unverifiedWriteFingerprints: boolean;
  /** 1.2: no CRM read before a conditional CRM write, one write activity per side, attributes once per sync. */
  lean: boolean;
  /** 1.3: a local read gives up after its attempts and continues as the regular activity. */
  boundedLocalReads: boolean;
  /** 1.4: a helpdesk's news that only writes to the source is decided from the source as last known. */
  rememberedSource: boolean;
  /** 1.5: a solved helpdesk ticket the last read showed assigned is remembered too. */
  rememberedSolved: boolean;
  /** 1.6: the fingerprints go in the `TicketFingerprints` search attribute (a digest), not in the memo. */
  searchableFingerprints: boolean;
  /** 1.7: a fresh ticket's first create skips the lookup by external id (`PATCHES.freshCreate`). */
  freshCreate: boolean;
}

export function syncRules(): SyncRules {
  // Each version keeps every rule of the one before: a run that starts on it records one marker
  // (each marker is two events: it upserts `TemporalChangeVersion` too), and a run of an older
  // version replays as it was.
  const lean = { recogniseEchoes: true, unverifiedWriteFingerprints: true, lean: true };
  const v15 = { ...lean, boundedLocalReads: true, rememberedSource: true, rememberedSolved: true };
  if (patched(PATCHES.freshCreate)) return { ...v15, searchableFingerprints: true, freshCreate: true };
  if (patched(PATCHES.searchableFingerprints)) return { ...v15, searchableFingerprints: true, freshCreate: false };
  if (patched(PATCHES.rememberedSolved)) return { ...v15, searchableFingerprints: false, freshCreate: false };
  const before15 = { ...lean, rememberedSolved: false, searchableFingerprints: false, freshCreate: false };
  if (patched(PATCHES.rememberedSource)) return { ...before15, boundedLocalReads: true, rememberedSource: true };
  if (patched(PATCHES.boundedLocalReads)) return { ...before15, boundedLocalReads: true, rememberedSource: false };
  if (patched(PATCHES.leanSync)) return { ...before15, boundedLocalReads: false, rememberedSource: false };
  return {
    recogniseEchoes: patched(PATCHES.ownEchoById),
    unverifiedWriteFingerprints: patched(PATCHES.unverifiedWriteFingerprints),
    lean: false,
    boundedLocalReads: false,
    rememberedSource: false,
    rememberedSolved: false,
    searchableFingerprints: false,
    freshCreate: false,
  };
}
