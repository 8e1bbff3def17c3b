/**
 * 429 answers ("slow down") by remote, for the worker's metrics
 * (`ticket_bridge_remote_rate_limited_total{remote}`, src/observability/remote-metrics.ts).
 * The HTTP clients report each one here; whoever exports metrics listens. Kept apart from the
 * clients so that the adapters do not depend on a metrics library, and a process that exports
 * none (the CLI, the API) pays nothing.
 */
type Listener = (remote: string) => void;

const listeners = new Set<Listener>();

/** Called by the HTTP clients on a 429 from `remote` (their `service`: connect, zendesk, ...). */
export function reportRateLimited(remote: string): void {
  for (const listener of listeners) listener(remote);
}

/** Told of every 429 from now on; returns the function that stops it. */
export function onRateLimited(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
