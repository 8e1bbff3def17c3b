/**
 * Later changes of a mapped source field (`mapped-field-changes-1`, docs/mapping.md): a read of
 * the source carries the digests of what the deployment's mapping yields for the ticket now; when
 * they differ from the digests last written, what changed is written to the helpdesk, once, by
 * one activity. Digests only: no mapped value passes through history.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import { TICKET_WRITE_OPTIONS } from '../activities/retry-policy';
import type { SourceRead, TicketActivities } from '../activities/types';
import { crmFingerprint, unverifiedFingerprint } from '../domain/fingerprints';
import { PATCHES, type TicketWorkflowInput } from './definitions';
import type { TicketMemory } from './memory';
import { isRefusal, refusalKind } from './refusals';
import { record } from './timeline';

/** A write within a bounded window, like every other (see TICKET_WRITE_OPTIONS). */
const writeActivities = proxyActivities<Pick<TicketActivities, 'updateCrmMappedFields'>>(TICKET_WRITE_OPTIONS);

/**
 * The read shows other mapped fields than the linked helpdesk ticket was last given, and this run
 * follows such changes. The patch is asked only then: a ticket without a mapping, and every run
 * recorded before, never asks it.
 */
function mappedFieldsChanged(memory: TicketMemory, read: SourceRead): boolean {
  const now = read.mapped;
  if (now === undefined || memory.crm === null || !memory.lifecycle.linked || memory.lifecycle.completed) return false;
  if (now.digest === memory.mappedFields?.digest) return false;
  return patched(PATCHES.mappedFieldChanges);
}

/**
 * A write of mapped fields is due: they changed since last written. Mapped fields never known
 * (a ticket linked before this patch, adopted, or created without them) are taken as the read
 * says, with nothing written: a ticket's fields are not rewritten by its first sync.
 */
export function mappedFieldsDue(memory: TicketMemory, read: SourceRead, crmName: string): boolean {
  if (!mappedFieldsChanged(memory, read)) return false;
  if (memory.mappedFields !== undefined) return true;
  memory.mappedFields = read.mapped;
  record(memory, 'synced', `mapped fields taken as ${crmName} has them (not known before)`);
  return false;
}

/**
 * Writes what changed of the mapped fields when that is due, conditionally on the version the
 * bridge knows (a conflict is thrown: news, which has the sync read both sides and come back
 * here). A refusal (a group or brand the helpdesk does not have) is said in the timeline and not
 * tried again until a field changes again.
 */
export async function writeMappedFields(memory: TicketMemory, input: TicketWorkflowInput, read: SourceRead, crmName: string): Promise<void> {
  if (!mappedFieldsDue(memory, read, crmName)) return;
  const known = memory.mappedFields!;
  let result: Awaited<ReturnType<TicketActivities['updateCrmMappedFields']>>;
  try {
    result = await writeActivities.updateCrmMappedFields({
      source: input.source,
      ticketId: input.sourceTicketId,
      crmTicketId: memory.crm!.ticketId,
      known,
      version: memory.crmVersion,
    });
  } catch (err) {
    if (!isRefusal(err)) throw err;
    memory.mappedFields = read.mapped;
    record(memory, 'failed', `mapped fields → ${crmName} refused (${refusalKind(err)}): left as they are until a field changes again`);
    return;
  }
  memory.mappedFields = result.mapped;
  if (result.written.length === 0) return;
  // The write's answer is the ticket's new version: the next conditional write, and the echo, are known by it.
  const status = memory.lifecycle.crmStatus;
  memory.crmVersion = result.version;
  memory.crmOwnWrite = result.version && status ? { version: result.version, status } : null;
  if (result.version && status) memory.fingerprints.crm = unverifiedFingerprint(crmFingerprint({ status, updatedAt: result.version }));
  record(memory, 'synced', `mapped fields → ${crmName}: ${result.written.join(', ')}`);
}
