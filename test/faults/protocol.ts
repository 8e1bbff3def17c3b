/** What the fault suite and its worker process (worker-process.ts) say to each other. */
import type { AssigneeMap } from '../../src/adapters/whitelabel';

/** What the suite hands the child (JSON in FAULT_WORKER_SPEC). */
export interface FaultWorkerSpec {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  connect: { url: string; apiKey: string };
  zendesk: { apiUrl: string; email: string; apiToken: string };
  whitelabel: { url: string; apiKey: string };
  whitelabelAssignees: AssigneeMap;
}

/** One line of the child's stdout protocol. */
export type FaultWorkerEvent =
  | { ev: 'ready'; pid: number }
  | {
      ev: 'start' | 'end';
      key: string;
      type: string;
      attempt: number;
      ok?: boolean;
      error?: string;
      /** A failure's type (`ApplicationFailure.type`, e.g. 'write-conflict'). */
      errorType?: string;
      /** A local activity (the v3 reads): run inside a workflow task, re-run by its replay. */
      local?: boolean;
      /** A comment write that found its comment already there (a retry after the write landed). */
      alreadyPresent?: boolean;
    }
  | { ev: 'stopped' };

export const EVENT_PREFIX = '@@fault ';
