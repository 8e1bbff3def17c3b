/**
 * `npm run temporal:dev`: serves the in-memory Temporal test service on
 * 127.0.0.1:${TEMPORAL_DEV_PORT:-7233} until SIGINT/SIGTERM, in real time (no time skipping),
 * so the product can run offline against TEMPORAL_ADDRESS=127.0.0.1:7233.
 */
import { PROJECT_SEARCH_ATTRIBUTES, startInMemoryTemporal } from './index';
import { typeName } from './search-attributes';

async function main(): Promise<void> {
  const port = Number(process.env.TEMPORAL_DEV_PORT ?? 7233);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid TEMPORAL_DEV_PORT: ${process.env.TEMPORAL_DEV_PORT}`);
  const temporal = await startInMemoryTemporal({ port, timeSkipping: false, strict: false });
  const attributes = Object.entries(PROJECT_SEARCH_ATTRIBUTES)
    .map(([name, type]) => `${name} (${typeName(type)})`)
    .join(', ');
  const banner = [
    '='.repeat(78),
    ' IN-MEMORY TEMPORAL TEST DOUBLE — NOT A REAL TEMPORAL SERVER. NOTHING IS DURABLE:',
    ' every workflow, history and timer is lost when this process stops.',
    ` Listening on ${temporal.address} · namespace "default" · real-time clock`,
    ` Search attributes: ${attributes}`,
    ` Point the app at it with TEMPORAL_ADDRESS=${temporal.address}`,
    '='.repeat(78),
  ];
  process.stdout.write(`${banner.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal} received: stopping the in-memory Temporal service (all state discarded)\n`);
    temporal.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Failed to start the in-memory Temporal service: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
