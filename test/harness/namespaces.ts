/**
 * A namespace per test env. Registering one costs seconds on a real server (its caches refresh
 * on a timer), so the run's dev server creates a pool of them at start (global-setup.ts) and
 * each env claims one with an exclusive file create, safe across jest's worker processes.
 * Outside that pool: `TEMPORAL_NAMESPACE` if set, else a freshly registered namespace.
 */
import { randomUUID } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes } from '../../src/runtime/dev-server';

/** Set by global-setup.ts for the run's jest workers. */
export const POOL_ENV = 'TICKET_BRIDGE_TEST_NAMESPACES';
export const CLAIMS_ENV = 'TICKET_BRIDGE_TEST_NAMESPACE_CLAIMS';

export function namespacePool(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `test-${String(i + 1).padStart(3, '0')}`);
}

export async function claimNamespace(connection: Connection): Promise<string> {
  const pool = process.env[POOL_ENV]?.split(',').filter(Boolean) ?? [];
  const claims = process.env[CLAIMS_ENV];
  if (claims) {
    for (const namespace of pool) {
      try {
        closeSync(openSync(join(claims, namespace), 'wx'));
        return namespace;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }
  if (process.env.TEMPORAL_NAMESPACE) {
    await ensureSearchAttributes(connection, [process.env.TEMPORAL_NAMESPACE]);
    return process.env.TEMPORAL_NAMESPACE;
  }
  return registerNamespace(connection);
}

/** Registers `test-<uuid>` and waits until the server accepts work in it. */
async function registerNamespace(connection: Connection): Promise<string> {
  const namespace = `test-${randomUUID()}`;
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await ensureSearchAttributes(connection, [namespace]);
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return namespace;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
