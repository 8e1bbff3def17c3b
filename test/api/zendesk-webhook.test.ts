import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemporalUnavailableError } from '../../src/api/gateway';
import { openWebhookInbox } from '../../src/api/inbox';
import { FakeGateway, LogCapture, postJson, type RunningApi, startApi, zendeskHeaders } from './helpers';

/** An event-subscription payload as Zendesk documents it (ids as strings). */
function ticketEvent(overrides: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) {
  return JSON.stringify({
    type: 'zen:event-type:ticket.comment_added',
    account_id: 88888888,
    id: '01HNXXXXCTEXAMPLE',
    time: '2026-01-01T00:00:00Z',
    zendesk_event_version: '2022-11-06',
    subject: 'zen:ticket:35436',
    detail: { id: '35436', external_id: 'connect:42', status: 'OPEN', ...detail },
    event: {},
    ...overrides,
  });
}

describe('POST /webhooks/zendesk', () => {
  let api: RunningApi;
  let gateway: FakeGateway;
  const url = () => `${api.url}/webhooks/zendesk`;
  const send = (raw: string | Buffer, headers: Record<string, string> = zendeskHeaders(raw)) =>
    fetch(url(), { method: 'POST', headers, body: raw });

  beforeEach(async () => {
    gateway = new FakeGateway();
    gateway.onNotifyCrm = async () => ({ outcome: 'signalled', workflowId: 'ticket/connect/42' });
    api = await startApi({ gateway });
  });
  afterEach(() => api.close());

  describe('signature', () => {
    it('accepts a good signature (202) and signals the CRM notification', async () => {
      const res = await send(ticketEvent());
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, outcome: 'signalled', workflowId: 'ticket/connect/42' });
      expect(gateway.crmCalls).toEqual([
        {
          notification: { crmTicketId: '35436', eventId: '01HNXXXXCTEXAMPLE', receivedAt: expect.any(String) },
          externalId: 'connect:42',
        },
      ]);
    });

    it('rejects a missing signature with 401', async () => {
      const res = await postJson(url(), ticketEvent());
      expect(res.status).toBe(401);
      // The same `reason` vocabulary as the white-label webhook's.
      expect(await res.json()).toEqual({
        error: 'unauthorized',
        reason: 'signature_missing',
        message: 'the X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp headers are required',
      });
      expect(gateway.crmCalls).toHaveLength(0);
    });

    it('rejects a missing timestamp with 401', async () => {
      const raw = ticketEvent();
      const { 'x-zendesk-webhook-signature-timestamp': _ts, ...headers } = zendeskHeaders(raw);
      expect((await send(raw, headers)).status).toBe(401);
    });

    it('rejects a signature made with another secret', async () => {
      const raw = ticketEvent();
      const res = await send(raw, zendeskHeaders(raw, { secret: 'another-secret-0123456789' }));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized', reason: 'signature_mismatch' });
      expect(gateway.crmCalls).toHaveLength(0);
    });

    it('rejects a body changed after signing', async () => {
      const raw = ticketEvent();
      const res = await send(raw.replace('35436', '35437'), zendeskHeaders(raw));
      expect(res.status).toBe(401);
    });

    it('rejects a signature whose timestamp was swapped', async () => {
      const raw = ticketEvent();
      const headers = zendeskHeaders(raw, { timestamp: '2026-01-01T00:00:00Z' });
      headers['x-zendesk-webhook-signature-timestamp'] = new Date().toISOString();
      expect((await send(raw, headers)).status).toBe(401);
    });

    it.each([
      ['10 minutes old', -10 * 60_000],
      ['10 minutes ahead', 10 * 60_000],
    ])('rejects a correctly signed but stale timestamp (%s)', async (_label, offset) => {
      const raw = ticketEvent();
      const timestamp = new Date(Date.now() + offset).toISOString();
      const res = await send(raw, zendeskHeaders(raw, { timestamp }));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ reason: offset < 0 ? 'timestamp_too_old' : 'timestamp_in_future' });
      expect(gateway.crmCalls).toHaveLength(0);
    });

    it('accepts a timestamp 4 minutes old, and one in unix seconds', async () => {
      const raw = ticketEvent();
      expect((await send(raw, zendeskHeaders(raw, { timestamp: new Date(Date.now() - 4 * 60_000).toISOString() }))).status).toBe(202);
      const unix = String(Math.floor(Date.now() / 1000));
      expect((await send(raw, zendeskHeaders(raw, { timestamp: unix }))).status).toBe(202);
      const staleUnix = String(Math.floor(Date.now() / 1000) - 3600);
      expect((await send(raw, zendeskHeaders(raw, { timestamp: staleUnix }))).status).toBe(401);
    });

    it.each([
      ['a word', 'soon'],
      ['a bare number V8 reads as a year', '1'],
      ['a date without a time', '2026-01-01'],
      ['an RFC 2822 date', 'Thu, 01 Jan 2026 00:00:00 GMT'],
      ['unix milliseconds', String(Date.now())],
    ])('refuses a correctly signed timestamp it cannot read (%s): it would never go stale (issue 23)', async (_label, timestamp) => {
      const raw = ticketEvent();
      const res = await send(raw, zendeskHeaders(raw, { timestamp }));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized', reason: 'signature_malformed', message: expect.stringContaining('X-Zendesk-Webhook-Signature-Timestamp') });
      expect(gateway.crmCalls).toHaveLength(0);
    });

    it('refuses a signature that is not a base64 HMAC-SHA256, before reading the body', async () => {
      const raw = ticketEvent();
      const headers = { ...zendeskHeaders(raw), 'x-zendesk-webhook-signature': 'not-a-signature' };
      const res = await send(raw, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('connection')).toBe('close');
      expect(await res.json()).toMatchObject({ reason: 'signature_malformed' });
    });

    it('accepts ISO 8601 with milliseconds or an offset', async () => {
      const raw = ticketEvent();
      expect((await send(raw, zendeskHeaders(raw, { timestamp: new Date().toISOString() }))).status).toBe(202);
      const offset = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+01:00');
      expect((await send(raw, zendeskHeaders(raw, { timestamp: offset }))).status).toBe(202);
    });

    it('verifies the raw bytes, not re-serialised JSON', async () => {
      // Odd spacing, key order and a non-ASCII character: JSON.stringify(JSON.parse(raw)) differs.
      const raw = '{ "external_id" : "connect:42",\n  "ticket_id":"35436", "note": "caf\u00e9" }';
      expect(JSON.stringify(JSON.parse(raw))).not.toBe(raw);
      expect((await send(raw)).status).toBe(202);
      // A signature over the normalised form does not authenticate the bytes actually sent.
      const normalised = JSON.stringify(JSON.parse(raw));
      expect((await send(raw, zendeskHeaders(normalised))).status).toBe(401);
    });

    it('verifies the bytes whatever the Content-Type says', async () => {
      const raw = ticketEvent();
      const headers = { ...zendeskHeaders(raw), 'content-type': 'text/plain; charset=latin1' };
      expect((await send(raw, headers)).status).toBe(202);
    });
  });

  describe('payloads', () => {
    it('accepts the documented trigger payload with string placeholders', async () => {
      const raw = JSON.stringify({ ticket_id: '35436', external_id: 'connect:42' });
      const res = await send(raw, { ...zendeskHeaders(raw), 'x-zendesk-webhook-invocation-id': '8350205582' });
      expect(res.status).toBe(202);
      expect(gateway.crmCalls).toEqual([
        { notification: { crmTicketId: '35436', eventId: '8350205582', receivedAt: expect.any(String) }, externalId: 'connect:42' },
      ]);
    });

    it('reads an empty external_id placeholder as none, and accepts numeric ids', async () => {
      const raw = JSON.stringify({ ticket_id: 35436, external_id: '' });
      expect((await send(raw)).status).toBe(202);
      expect(gateway.crmCalls[0]).toEqual({
        notification: { crmTicketId: '35436', eventId: null, receivedAt: expect.any(String) },
        externalId: null,
      });
    });

    it('accepts an event without external_id', async () => {
      const raw = ticketEvent({}, { external_id: null });
      expect((await send(raw)).status).toBe(202);
      expect(gateway.crmCalls[0]!.externalId).toBeNull();
    });

    it('accepts and ignores a non-ticket event without signalling', async () => {
      const raw = JSON.stringify({ type: 'zen:event-type:user.active_changed', id: 'e1', detail: { id: '6596848315901' } });
      const res = await send(raw);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, outcome: 'ignored' });
      expect(gateway.crmCalls).toHaveLength(0);
    });

    it('answers 202 ignored for a ticket that has no workflow (not an error for Zendesk)', async () => {
      gateway.onNotifyCrm = async () => ({ outcome: 'ignored', reason: 'no-workflow' });
      const raw = JSON.stringify({ ticket_id: '1' });
      const res = await send(raw);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, outcome: 'ignored', reason: 'no-workflow' });
    });

    it.each([
      ['trigger without ticket_id', { external_id: 'connect:1' }, ['ticket_id']],
      ['trigger with a non-numeric ticket_id', { ticket_id: '{{ticket.id}}' }, ['ticket_id']],
      ['trigger with a non-string external_id', { ticket_id: '1', external_id: 5 }, ['external_id']],
      ['ticket event without detail', { type: 'zen:event-type:ticket.created', id: 'e1' }, ['detail']],
      ['ticket event with a bad detail.id', { type: 'zen:event-type:ticket.created', id: 'e1', detail: { id: 'x' } }, ['detail.id']],
      ['ticket event without an id', { type: 'zen:event-type:ticket.created', detail: { id: '1' } }, ['id']],
      ['a JSON array', [], ['(body)']],
    ])('rejects a %s with 400 naming the field', async (_label, body, paths) => {
      const raw = JSON.stringify(body);
      const res = await send(raw);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: string; issues: Array<{ path: string }> };
      expect(json.error).toBe('invalid_request');
      expect(json.issues.map((i) => i.path)).toEqual(paths);
      expect(gateway.crmCalls).toHaveLength(0);
    });

    it('rejects signed malformed JSON with 400 invalid_json', async () => {
      const raw = '{"ticket_id": ';
      const res = await send(raw);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_json' });
    });

    it('rejects a body over BODY_LIMIT with 413', async () => {
      const raw = JSON.stringify({ ticket_id: '1', padding: 'x'.repeat(2048) });
      const res = await send(raw);
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: 'payload_too_large' });
    });
  });

  it('answers 202 queued when Temporal is unavailable and the API has an inbox (delivered later)', async () => {
    gateway.onNotifyCrm = async () => {
      throw new TemporalUnavailableError('signal');
    };
    gateway.onReady = async () => {
      throw new TemporalUnavailableError('getSystemInfo');
    };
    const dir = mkdtempSync(join(tmpdir(), 'zendesk-webhook-inbox-'));
    const logs = new LogCapture();
    const inbox = await openWebhookInbox({ dir, maxEntries: 10, payloadEncryption: { mode: 'off' }, gateway, logger: logs.logger });
    const queueing = await startApi({ gateway, inbox, logs });
    try {
      const withExternalId = JSON.stringify({ ticket_id: '35436', external_id: 'connect:42' });
      const res = await fetch(`${queueing.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(withExternalId), body: withExternalId });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: true, outcome: 'queued', workflowId: 'ticket/connect/42' });
      // Without the external id the workflow is looked up at delivery: none to name yet.
      const bare = JSON.stringify({ ticket_id: '35437' });
      const res2 = await fetch(`${queueing.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(bare), body: bare });
      expect(await res2.json()).toEqual({ accepted: true, outcome: 'queued' });
      expect(readdirSync(dir)).toHaveLength(2);
      expect(logs.requestLines().map((l) => [l.status, l.outcome, l.workflowId])).toEqual([
        [202, 'queued', 'ticket/connect/42'],
        [202, 'queued', undefined],
      ]);
    } finally {
      await queueing.close();
      await inbox.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 when Temporal is unavailable and there is no inbox, so Zendesk retries', async () => {
    gateway.onNotifyCrm = async () => {
      throw new TemporalUnavailableError('signal');
    };
    const raw = JSON.stringify({ ticket_id: '35436', external_id: 'connect:42' });
    const res = await send(raw);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
  });

  describe("what the door passes on, for the workflow to recognise the echo of its own write", () => {
    it("a comment event: the ticket's version and status after it, and the comment's id", async () => {
      const raw = ticketEvent({ event: { comment: { id: 7001, body: 'secret text', is_public: true, author: { id: '9001', is_staff: false, name: 'Ann' } } } }, { updated_at: '2026-01-01T00:00:05Z' });
      expect(await (await send(raw)).json()).toMatchObject({ accepted: true, outcome: 'signalled' });
      expect(gateway.crmCalls.map((c) => c.notification.change)).toEqual([{ updatedAt: '2026-01-01T00:00:05Z', status: 'open', commentId: '7001' }]);
      // Ids, a time and a status: never the comment's text or its author's name.
      expect(JSON.stringify(gateway.crmCalls)).not.toMatch(/secret text|Ann/);
    });

    it('a status event: the version and the status, no comment', async () => {
      const raw = ticketEvent({ type: 'zen:event-type:ticket.status_changed', event: { current: 'SOLVED', previous: 'OPEN' } }, { updated_at: '2026-01-01T00:00:06Z', status: 'SOLVED' });
      await send(raw);
      expect(gateway.crmCalls.map((c) => c.notification.change)).toEqual([{ updatedAt: '2026-01-01T00:00:06Z', status: 'solved', commentId: null }]);
    });

    it.each([
      [
        "the bridge's own user as the actor, through the API (the door no longer drops by actor: a person may use that account)",
        { actor_id: '9001', via: { channel: 'web_service' }, updated_at: '2026-01-01T00:00:05Z' },
        { updatedAt: '2026-01-01T00:00:05Z', status: 'open', commentId: null },
      ],
      ['no version (news, read back)', {}, undefined],
      ['a version that is not a time (news, read back)', { updated_at: 'yesterday' }, undefined],
      ['a status that is not a string (news, read back)', { updated_at: '2026-01-01T00:00:05Z', status: { name: 'open' } }, undefined],
    ])('an event with %s is signalled', async (_what, detail, change) => {
      const res = await send(ticketEvent({}, detail));
      expect(await res.json()).toMatchObject({ accepted: true, outcome: 'signalled' });
      expect(gateway.crmCalls.map((c) => c.notification.change)).toEqual([change]);
    });

    it('a trigger carries no change: news to read back', async () => {
      await send(JSON.stringify({ ticket_id: '35436', external_id: 'connect:42' }));
      expect(gateway.crmCalls.map((c) => c.notification.change)).toEqual([undefined]);
    });
  });
});
