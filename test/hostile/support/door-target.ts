/**
 * The API alone in a process of its own, configured by `loadConfig` from a production-shaped
 * environment (white-label and Zendesk real, default limits), with a recording gateway instead
 * of Temporal: what `npm run api` mounts, minus Temporal. Run with `tsx`; the parent reads its
 * memory without the noise of the jest worker.
 *
 * Protocol, one JSON line each way: it prints `{"port": n}` once listening; for each line
 * `memory` on stdin it prints `{"rss", "maxRss", "heapUsed", "arrayBuffers", "signals"}` (bytes;
 * `signals`: notifications the gateway received) after a full GC.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { createApp } from '../../../src/api/app';
import { createApiServer } from '../../../src/api/client-error';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/observability/logger';
import { FakeGateway } from '../../api/helpers';

export const DOOR_TARGET_SECRETS = {
  whitelabel: 'door-whitelabel-secret-0123456789',
  zendesk: 'door-zendesk-secret-0123456789ab',
} as const;

/** A production-shaped environment: every limit at its default. */
export function doorTargetEnv(): Record<string, string> {
  return {
    ZENDESK_API_URL: 'https://example.zendesk.com/api/v2',
    ZENDESK_EMAIL: 'bridge@example.com',
    ZENDESK_API_TOKEN: 'zendesk-api-token-0123456789',
    ZENDESK_WEBHOOK_SECRET: DOOR_TARGET_SECRETS.zendesk,
    WHITELABEL_API_URL: 'https://whitelabel.example.com/api',
    WHITELABEL_API_KEY: 'whitelabel-api-key-0123456789',
    WHITELABEL_WEBHOOK_SECRET: DOOR_TARGET_SECRETS.whitelabel,
    OPS_API_TOKEN: 'door-ops-token-0123456789abcdef',
    PAYLOAD_KEYS: `door:${randomBytes(32).toString('base64')}`,
    // Required beside the keys: the codec server's own token, never the ops token.
    CODEC_AUTH_TOKEN: 'door-codec-token-0123456789abcdef',
  };
}

async function main(): Promise<void> {
  const config = loadConfig(doorTargetEnv());
  const gateway = new FakeGateway();
  const app = createApp({ config, gateway, logger: createLogger({ level: 'silent' }) });
  const server = createApiServer(app, config.http);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'memory') continue;
    globalThis.gc?.();
    const usage = process.memoryUsage();
    process.stdout.write(
      `${JSON.stringify({
        rss: usage.rss,
        // resourceUsage reports kilobytes: the process's peak resident set so far.
        maxRss: process.resourceUsage().maxRSS * 1024,
        heapUsed: usage.heapUsed,
        arrayBuffers: usage.arrayBuffers,
        signals: gateway.sourceCalls.length,
      })}\n`,
    );
  }
  server.close();
  server.closeAllConnections();
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`door target failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
