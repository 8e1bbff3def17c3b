/**
 * `POST /webhooks/whitelabel` as the API mounts it (`API_ROUTERS`): signing secret, header,
 * signed-bytes recipe and body limit all come from the configuration (`WHITELABEL_*`).
 */
import { SEED_TICKET_UPDATED } from '../../src/simulators/whitelabel/seed-events';
import { signatureHeaderValue } from '../../src/simulators/whitelabel/signing';
import { FakeGateway, startApi, testConfig, WHITELABEL_SECRET, type RunningApi } from '../api/helpers';

const body = JSON.stringify(SEED_TICKET_UPDATED);
const now = () => Math.floor(Date.now() / 1000);

describe('the white-label webhook in the API', () => {
  let api: RunningApi | undefined;
  let gateway: FakeGateway;
  beforeEach(() => {
    gateway = new FakeGateway();
  });
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  const post = (payload: string, headers: Record<string, string>) =>
    fetch(`${api!.url}/webhooks/whitelabel`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });

  it('is mounted with the configured secret and the default header and recipe', async () => {
    api = await startApi({ gateway });
    const res = await post(body, { 'X-Whitelabel-Signature': signatureHeaderValue(WHITELABEL_SECRET, body, now()) });
    expect(res.status).toBe(202);
    expect(gateway.sourceCalls).toEqual([
      {
        source: 'whitelabel',
        id: SEED_TICKET_UPDATED.data.ticket.id,
        notification: {
          kind: 'updated',
          eventId: SEED_TICKET_UPDATED.event_id,
          receivedAt: expect.any(String),
          snapshot: null,
        },
      },
    ]);
  });

  it('uses the configured header and signed bytes', async () => {
    // The "body" recipe's clock is the event's signed updated_at: the event must be recent.
    const body = JSON.stringify({ ...SEED_TICKET_UPDATED, data: { ...SEED_TICKET_UPDATED.data, ticket: { ...SEED_TICKET_UPDATED.data.ticket, updated_at: now() } } });
    api = await startApi({
      gateway,
      config: { whitelabelWebhook: { ...testConfig.whitelabelWebhook, signatureHeader: 'X-Platform-Signature', signedPayload: 'body' } },
    });
    const bodyOnly = signatureHeaderValue(WHITELABEL_SECRET, body, now(), 'body');
    const withTimestamp = signatureHeaderValue(WHITELABEL_SECRET, body, now(), 'timestamp.body');

    // The default header name is not looked at.
    const wrongHeader = await post(body, { 'X-Whitelabel-Signature': bodyOnly });
    expect([wrongHeader.status, await wrongHeader.json()]).toEqual([401, expect.objectContaining({ reason: 'signature_missing' })]);
    // The other recipe's signature does not verify.
    const wrongRecipe = await post(body, { 'X-Platform-Signature': withTimestamp });
    expect([wrongRecipe.status, await wrongRecipe.json()]).toEqual([401, expect.objectContaining({ reason: 'signature_mismatch' })]);
    expect(gateway.sourceCalls).toHaveLength(0);

    const ok = await post(body, { 'X-Platform-Signature': bodyOnly });
    expect(ok.status).toBe(202);
    expect(gateway.sourceCalls).toHaveLength(1);
  });

  it('has its own body limit (WHITELABEL_BODY_LIMIT), not the general BODY_LIMIT', async () => {
    // testConfig: BODY_LIMIT 1024 bytes, WHITELABEL_BODY_LIMIT 4096; the event is over 1024.
    expect(body.length).toBeGreaterThan(testConfig.bodyLimitBytes);
    api = await startApi({ gateway });
    const ok = await post(body, { 'X-Whitelabel-Signature': signatureHeaderValue(WHITELABEL_SECRET, body, now()) });
    expect(ok.status).toBe(202);

    const padded = JSON.stringify({ ...SEED_TICKET_UPDATED, padding: 'x'.repeat(4096) });
    const tooLarge = await post(padded, { 'X-Whitelabel-Signature': signatureHeaderValue(WHITELABEL_SECRET, padded, now()) });
    expect([tooLarge.status, await tooLarge.json()]).toEqual([413, { error: 'payload_too_large' }]);
    expect(gateway.sourceCalls).toHaveLength(1);
  });
});
