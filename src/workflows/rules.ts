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
}

export function syncRules(): SyncRules {
  // 1.2 keeps every rule of 1.1: a run that starts on it records one marker (each marker is two
  // events: it upserts `TemporalChangeVersion` too), and a run of 1.1 replays as it was.
  if (patched(PATCHES.leanSync)) return { recogniseEchoes: true, unverifiedWriteFingerprints: true, lean: true };
  return {
    recogniseEchoes: patched(PATCHES.ownEchoById),
    unverifiedWriteFingerprints: patched(PATCHES.unverifiedWriteFingerprints),
    lean: false,
  };
}
