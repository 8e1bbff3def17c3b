/**
 * What `npm start` connects to, without starting it: every configured remote for real, the
 * others simulated only in sandbox mode (SANDBOX=1 with some real: a mixed setup), and a banner
 * that says which is which and offers only the tour sections it can play.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectSource } from '../../src/adapters/connect';
import { FreshdeskCrm } from '../../src/adapters/freshdesk';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { banner } from '../../src/runtime/banner';
import { provideRemotes, sideModes } from '../../src/runtime/remotes';
import { tourSections } from '../../src/sandbox/tour';
import { ROOT, TEST_CODEC_AUTH_TOKEN, TEST_PAYLOAD_KEYS } from '../support/npm-start';

const CONNECT = { CONNECT_API_URL: 'https://connect.example', CONNECT_API_KEY: 'connect-key', CONNECT_WEBHOOK_TOKEN: 'connect-webhook-token-0123' };
const PRODUCTION = { OPS_API_TOKEN: 'ops-token-0123456789abcdef', PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, CODEC_AUTH_TOKEN: TEST_CODEC_AUTH_TOKEN };

describe('remotes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ticket-bridge-remotes-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('SANDBOX=1 with Connect configured: Connect real, Zendesk and the platform simulated, their routes only', async () => {
    const config = loadConfig({ ...CONNECT, ...PRODUCTION, SANDBOX: '1', DATA_DIR: dataDir });
    const remotes = await provideRemotes(config, createLogger({ level: 'silent' }));
    try {
      expect(remotes.sides).toEqual({ connect: 'real', zendesk: 'simulated', whitelabel: 'simulated' });
      expect(remotes.ports.sources.connect).toBeInstanceOf(ConnectSource);
      expect(remotes.ports.sources.connect).not.toBe(remotes.sandbox!.ports.sources.connect);
      expect(remotes.ports.crm).toBe(remotes.sandbox!.ports.crm);
      const paths = remotes.sandbox!.routeDocs.map((d) => d.path);
      expect(paths.some((p) => p.startsWith('/sandbox/user/'))).toBe(false);
      expect(paths).toEqual(expect.arrayContaining(['/sandbox/agent/tickets/:ticketId/replies', '/sandbox/whitelabel/tickets']));

      const text = banner({
        apiUrl: 'http://127.0.0.1:3000',
        sides: remotes.sides,
        realUrls: { connect: config.connect!.apiUrl },
        temporal: { description: 'Temporal server at temporal:7233 (TEMPORAL_ADDRESS)', namespace: 'default' },
        generatedOpsToken: null,
        tour: tourSections(remotes.sandbox!.tourIds(), remotes.sandbox!.simulated),
      });
      expect(text).toMatch(/Connect API\s+real: https:\/\/connect\.example\n/);
      expect(text).toMatch(/Zendesk\s+simulated in this process \(sandbox\)\n/);
      // The app's user is real: only the platform's part of the tour.
      expect(text).not.toContain('/sandbox/user/');
      expect(text).toContain('/sandbox/whitelabel/tickets');
      // A token from the environment is never printed; the line says where it comes from.
      expect(text).toContain('export OPS_API_URL=http://127.0.0.1:3000    # and OPS_API_TOKEN: the token this bridge was started with');
      expect(text).not.toContain(PRODUCTION.OPS_API_TOKEN);
      // Where to read on once the tour is done: running it, and connecting the real remotes.
      expect(text).toMatch(/^ {4}docs\/operating\.md +the Temporal UI, the CLI, the ops API/m);
      expect(text).toMatch(/^ {4}docs\/configuration\.md +every variable, and connecting/m);
      const pages = text.match(/docs\/[\w-]+\.md/g) ?? [];
      expect(pages.length).toBeGreaterThan(0);
      for (const page of pages) expect({ page, exists: existsSync(join(ROOT, page)) }).toEqual({ page, exists: true });
    } finally {
      await remotes.sandbox?.stop();
    }
  });

  it('CRM=freshdesk without its variables: a sandbox on the Freshdesk simulator, named in the banner, the routes and the tour', async () => {
    const config = loadConfig({ CRM: 'freshdesk', DATA_DIR: dataDir });
    const remotes = await provideRemotes(config, createLogger({ level: 'silent' }));
    try {
      expect(remotes.helpdesk).toEqual({ kind: 'freshdesk', mode: 'simulated' });
      expect(remotes.ports.crm).toBeInstanceOf(FreshdeskCrm);
      // Zendesk's example mapping names the simulated Zendesk's ids: not applied to Freshdesk.
      expect(remotes.ports.mapping).toBeUndefined();
      const agentDocs = remotes.sandbox!.routeDocs.filter((d) => d.path.startsWith('/sandbox/agent/'));
      expect(agentDocs.map((d) => d.summary).join(' ')).toContain('Freshdesk');
      expect(agentDocs.map((d) => d.summary).join(' ')).not.toContain('Zendesk');
      const text = banner({
        apiUrl: 'http://127.0.0.1:3000',
        sides: remotes.sides,
        realUrls: {},
        freshdesk: { mode: 'simulated' },
        temporal: { description: 'Temporal', namespace: 'default' },
        generatedOpsToken: null,
        tour: tourSections(remotes.sandbox!.tourIds(), remotes.sandbox!.simulated, remotes.sandbox!.helpdesk),
      });
      expect(text).toMatch(/Freshdesk\s+simulated in this process \(sandbox\)\n/);
      expect(text).not.toContain('Zendesk');
      expect(text).toContain(`-d '{"status":"resolved"}'`);
    } finally {
      await remotes.sandbox?.stop();
    }
  });

  it('production: real remotes, no simulators; absent ones said so', () => {
    const config = loadConfig({
      ...CONNECT,
      ZENDESK_API_URL: 'https://acme.zendesk.com/api/v2',
      ZENDESK_EMAIL: 'bridge@acme.example',
      ZENDESK_API_TOKEN: 'token',
      ZENDESK_WEBHOOK_SECRET: 'zendesk-webhook-secret-0123',
      ...PRODUCTION,
    });
    expect(sideModes(config)).toEqual({ connect: 'real', zendesk: 'real', whitelabel: 'absent' });
    expect(sideModes(loadConfig({}))).toEqual({ connect: 'simulated', zendesk: 'simulated', whitelabel: 'simulated' });
  });
});
