/**
 * `CODEC_LISTEN`: the codec server on a listener of its own, off the API's public port (issue
 * 23). Started the way `npm run api` starts it (startApiHalf), over real HTTP on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadConfig } from '../../src/config';
import { CODEC_DECODE_PATH } from '../../src/api/codec/router';
import { createClient } from '../../src/runtime/client';
import { startApiHalf, type RunningApiHalf } from '../../src/runtime/bridge';
import { EncryptionCodec } from '../../src/security/codec/encryption-codec';
import { CODEC_TOKEN, LogCapture, OPS_TOKEN, testConfig } from '../api/helpers';
import { configError } from '../support/config-error';
import { encryptionWith, keyring, payloadKeysEnv } from './keys';

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

describe('the codec server on its own listener', () => {
  let api: RunningApiHalf;
  let connection: Connection;
  let inboxDir: string;
  const codec = new EncryptionCodec(keyring('listen-k1'));

  beforeAll(async () => {
    inboxDir = mkdtempSync(join(tmpdir(), 'codec-listen-inbox-'));
    // Nothing listens there: the API starts anyway (lazy), and the codec needs no Temporal.
    connection = Connection.lazy({ address: '127.0.0.1:1' });
    const config = { ...testConfig, payloadEncryption: encryptionWith('listen-k1'), codecListen: '127.0.0.1:0' };
    api = await startApiHalf({
      client: createClient(connection, 'default', config),
      taskQueue: 'codec-listen',
      config,
      workflowSettings: {},
      logger: new LogCapture().logger,
      port: 0,
      inbox: { dir: inboxDir, maxEntries: 10 },
    });
  });
  afterAll(async () => {
    await api?.stop();
    await connection?.close();
    rmSync(inboxDir, { recursive: true, force: true });
  });

  const decode = (base: string, token: string, payloads: Payload[]) =>
    fetch(`${base}${CODEC_DECODE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ payloads: payloads.map(toJson) }),
    });

  test('decodes there, with its own token only', async () => {
    expect(api.codecUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.codecUrl).not.toBe(api.url);
    const encrypted = await codec.encode([defaultPayloadConverter.toPayload({ name: 'Grace Hopper' })]);
    const res = await decode(api.codecUrl!, CODEC_TOKEN, encrypted);
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: Array<{ data: string }> };
    expect(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString())).toEqual({ name: 'Grace Hopper' });
    expect((await decode(api.codecUrl!, OPS_TOKEN, encrypted)).status).toBe(401);
  });

  test('the API port no longer serves it, and the codec listener serves nothing else', async () => {
    expect((await decode(api.url, CODEC_TOKEN, [])).status).toBe(404);
    const ops = await fetch(`${api.codecUrl}/tickets`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    expect(ops.status).toBe(404);
    expect(await ops.json()).toMatchObject({ error: 'not_found' });
    // The API itself still answers on its port.
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });
});

describe('CODEC_LISTEN settings', () => {
  test('needs a token of its own, and host:port', () => {
    expect(configError({ CODEC_LISTEN: '127.0.0.1:3001' }).issues).toEqual([
      { variable: 'CODEC_AUTH_TOKEN', message: 'is required when CODEC_LISTEN is set (the codec server takes a token of its own)' },
    ]);
    expect(configError({ CODEC_LISTEN: 'internal', CODEC_AUTH_TOKEN: CODEC_TOKEN }).issues).toEqual([{ variable: 'CODEC_LISTEN', message: 'must be host:port' }]);
    expect(loadConfig({ CODEC_LISTEN: '10.0.0.5:3001', CODEC_AUTH_TOKEN: CODEC_TOKEN, PAYLOAD_KEYS: payloadKeysEnv('k') })).toMatchObject({
      codecListen: '10.0.0.5:3001',
      codecAuthToken: CODEC_TOKEN,
    });
    expect(loadConfig({}).codecListen).toBeNull();
  });
});
