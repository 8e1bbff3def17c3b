import { FRESHDESK_TOKEN, FakeGateway, LogCapture, postJson, type RunningApi, startApi } from './helpers';

/** The Freshdesk automation webhook's door (issue 20): a token, a small JSON body, a notification. */
describe('POST /webhooks/freshdesk', () => {
  let api: RunningApi;
  let gateway: FakeGateway;
  let logs: LogCapture;
  const url = (token: string | null = FRESHDESK_TOKEN) => `${api.url}/webhooks/freshdesk${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
  const body = (over: Record<string, unknown> = {}) => JSON.stringify({ ticket_id: '7', external_id: 'connect:42', ...over });

  beforeEach(async () => {
    gateway = new FakeGateway();
    gateway.onNotifyCrm = async () => ({ outcome: 'signalled', workflowId: 'ticket/connect/42' });
    logs = new LogCapture();
    api = await startApi({ gateway, logs });
  });
  afterEach(() => api.close());

  it('takes the rule body with the token in the URL (202) and signals the CRM notification', async () => {
    const res = await postJson(url(), body());
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, outcome: 'signalled', workflowId: 'ticket/connect/42' });
    expect(gateway.crmCalls).toEqual([{ notification: { crmTicketId: '7', eventId: null, receivedAt: expect.any(String) }, externalId: 'connect:42' }]);
  });

  it('takes the token in the X-Webhook-Token header; an empty external id is none', async () => {
    const res = await fetch(url(null), { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-token': FRESHDESK_TOKEN }, body: body({ external_id: '' }) });
    expect(res.status).toBe(202);
    expect(gateway.crmCalls[0]!.externalId).toBeNull();
  });

  it('refuses a missing or wrong token with 401 before reading the body, and signals nothing', async () => {
    for (const token of [null, 'wrong-token-0123456789']) {
      const res = await postJson(url(token), body());
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
    expect(gateway.crmCalls).toHaveLength(0);
    expect(logs.text).not.toContain('wrong-token-0123456789');
  });

  it('refuses a body that is not the rule\'s with 400 naming the field', async () => {
    const res = await postJson(url(), body({ ticket_id: '7; DROP' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', issues: [{ path: 'ticket_id', message: 'must be a Freshdesk ticket id (digits)' }] });
    expect((await postJson(url(), '{')).status).toBe(400);
    expect(gateway.crmCalls).toHaveLength(0);
  });

  it('refuses a body over BODY_LIMIT with 413, from its declared length', async () => {
    const res = await postJson(url(), body({ padding: 'x'.repeat(4096) }));
    expect(res.status).toBe(413);
    expect(gateway.crmCalls).toHaveLength(0);
  });

  it('drops nothing by who acted (a person may use the bridge\'s agent account): an actor_id is accepted and each call signalled', async () => {
    for (const actor of ['900', 901]) expect(await (await postJson(url(), body({ actor_id: actor }))).json()).toMatchObject({ accepted: true, outcome: 'signalled' });
    expect(gateway.crmCalls).toHaveLength(2);
  });

  it('is not mounted without a Freshdesk (404)', async () => {
    await api.close();
    api = await startApi({ gateway, config: { webhookRoutes: { connect: true, zendesk: true, whitelabel: true }, freshdeskWebhookToken: undefined } });
    expect((await postJson(url(), body())).status).toBe(404);
  });
});
