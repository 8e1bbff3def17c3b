/**
 * `GET /metrics`: who may scrape it, and what the API counts — webhooks by sender and outcome,
 * request latency by route template, failed Temporal calls — scraped over HTTP and parsed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemporalUnavailableError } from '../../src/api/gateway';
import { openWebhookInbox } from '../../src/api/inbox';
import { WEBHOOK_OUTCOMES, WEBHOOK_SOURCES, webhookOutcome } from '../../src/api/metrics';
import { parsePrometheus, type Scrape } from '../support/prometheus';
import { CONNECT_TOKEN, FakeGateway, LogCapture, OPS_TOKEN, postJson, type RunningApi, sampleDetails, startApi, zendeskHeaders } from './helpers';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe('GET /metrics', () => {
  let api: RunningApi;
  let gateway: FakeGateway;

  beforeEach(async () => {
    gateway = new FakeGateway();
    api = await startApi({ gateway, config: { metricsToken: METRICS_TOKEN } });
  });
  afterEach(() => api.close());

  async function scrape(token = METRICS_TOKEN): Promise<Scrape> {
    const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  }
  const connect = (body: unknown, token = CONNECT_TOKEN) => postJson(`${api.url}/webhooks/connect?auth_token=${token}`, body);

  describe('access', () => {
    it.each([
      ['METRICS_TOKEN', METRICS_TOKEN],
      ['the ops token', OPS_TOKEN],
    ])('accepts %s', async (_label, token) => {
      await scrape(token);
    });

    it.each([
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer wrong-token-0123456789' }],
      ['the Connect webhook token', { authorization: `Bearer ${CONNECT_TOKEN}` }],
    ])('refuses %s with 401', async (_label, headers) => {
      const res = await fetch(`${api.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    });

    it('takes the ops token alone when METRICS_TOKEN is not set', async () => {
      const plain = await startApi({ gateway });
      try {
        expect((await fetch(`${plain.url}/metrics`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).status).toBe(200);
        expect((await fetch(`${plain.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(401);
      } finally {
        await plain.close();
      }
    });
  });

  it('has every webhook series from the start, at 0, as counters', async () => {
    const metrics = await scrape();
    expect(metrics.types.ticket_bridge_webhooks_total).toBe('counter');
    expect(metrics.types.ticket_bridge_http_request_duration_seconds).toBe('histogram');
    expect(metrics.types.ticket_bridge_temporal_call_errors_total).toBe('counter');
    for (const source of WEBHOOK_SOURCES) {
      for (const outcome of WEBHOOK_OUTCOMES) expect(metrics.value('ticket_bridge_webhooks_total', { source, outcome })).toBe(0);
    }
    expect(metrics.value('ticket_bridge_temporal_call_errors_total', { operation: 'signalWithStart', reason: 'unavailable' })).toBe(0);
    for (const name of ['ticket_bridge_inbox_entries', 'ticket_bridge_inbox_oldest_entry_age_seconds', 'ticket_bridge_inbox_unreadable_entries']) {
      expect(metrics.types[name]).toBe('gauge');
      expect(metrics.value(name)).toBe(0);
    }
    expect(metrics.value('ticket_bridge_inbox_delivered_total')).toBe(0);
  });

  it('shows the inbox: webhooks queued while Temporal is down, and how long the oldest has waited', async () => {
    gateway.onNotifySource = async () => {
      throw new TemporalUnavailableError('signalWithStart');
    };
    gateway.onReady = async () => {
      throw new TemporalUnavailableError('getSystemInfo');
    };
    const dir = mkdtempSync(join(tmpdir(), 'metrics-inbox-'));
    const logs = new LogCapture();
    const inbox = await openWebhookInbox({ dir, maxEntries: 10, payloadEncryption: { mode: 'off' }, gateway, logger: logs.logger });
    await api.close();
    api = await startApi({ gateway, inbox, logs, config: { metricsToken: METRICS_TOKEN } });
    try {
      expect((await connect({ type: 'CREATE', ticketId: '1' })).status).toBe(202);
      expect((await connect({ type: 'CREATE', ticketId: '2' })).status).toBe(202);
      await new Promise((r) => setTimeout(r, 1_100));
      const metrics = await scrape();
      expect(metrics.value('ticket_bridge_webhooks_total', { source: 'connect', outcome: 'queued' })).toBe(2);
      expect(metrics.value('ticket_bridge_webhooks_total', { source: 'connect', outcome: 'unavailable' })).toBe(0);
      expect(metrics.value('ticket_bridge_inbox_entries')).toBe(2);
      expect(metrics.value('ticket_bridge_inbox_oldest_entry_age_seconds')).toBeGreaterThanOrEqual(1);
    } finally {
      await inbox.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts webhooks by source and outcome', async () => {
    expect((await connect({ type: 'CREATE', ticketId: '1' })).status).toBe(202);
    expect((await connect({ type: 'UPDATE', ticketId: '1' })).status).toBe(202);
    expect((await connect({ type: 'CREATE', ticketId: '1' }, 'wrong')).status).toBe(401);
    expect((await connect({ type: 'NOPE', ticketId: '1' })).status).toBe(400);
    expect((await postJson(`${api.url}/webhooks/connect?auth_token=${CONNECT_TOKEN}`, '{"type":')).status).toBe(400);
    gateway.onNotifySource = async (source, id) => ({ outcome: 'ignored', workflowId: `ticket/${source}/${id}`, reason: 'completed' });
    expect((await connect({ type: 'UPDATE', ticketId: '2' })).status).toBe(202);
    gateway.onNotifySource = async () => {
      throw new TemporalUnavailableError('signalWithStart');
    };
    expect((await connect({ type: 'UPDATE', ticketId: '3' })).status).toBe(503);

    const zendeskEvent = JSON.stringify({ type: 'zen:event-type:user.created', id: 'e1', detail: { id: '1' } });
    expect((await fetch(`${api.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(zendeskEvent), body: zendeskEvent })).status).toBe(202);
    expect((await postJson(`${api.url}/webhooks/zendesk`, { ticket_id: '1' })).status).toBe(401);
    expect((await postJson(`${api.url}/webhooks/whitelabel`, {})).status).toBe(401);

    const metrics = await scrape();
    const count = (source: string, outcome: string) => metrics.value('ticket_bridge_webhooks_total', { source, outcome });
    expect(count('connect', 'accepted')).toBe(2);
    expect(count('connect', 'ignored')).toBe(1);
    expect(count('connect', 'unauthorized')).toBe(1);
    expect(count('connect', 'invalid')).toBe(2);
    expect(count('connect', 'unavailable')).toBe(1);
    expect(count('connect', 'error')).toBe(0);
    expect(count('zendesk', 'ignored')).toBe(1);
    expect(count('zendesk', 'unauthorized')).toBe(1);
    expect(count('whitelabel', 'unauthorized')).toBe(1);
  });

  it('times requests by route template: no ids, no URLs, one label for every unknown path', async () => {
    gateway.onDescribeTicket = async () => sampleDetails;
    const auth = { authorization: `Bearer ${OPS_TOKEN}` };
    await fetch(`${api.url}/tickets/connect/42`, { headers: auth });
    await fetch(`${api.url}/tickets/connect/43`, { headers: auth });
    await fetch(`${api.url}/nope/1`);
    await fetch(`${api.url}/nope/2?auth_token=secret`);
    await connect({ type: 'CREATE', ticketId: '9' });

    const metrics = await scrape();
    const counts = metrics.find('ticket_bridge_http_request_duration_seconds_count');
    const labelValues = counts.flatMap((s) => Object.values(s.labels)).join(' ');
    expect(labelValues).not.toMatch(/42|43|nope|secret/);
    expect(metrics.value('ticket_bridge_http_request_duration_seconds_count', { method: 'GET', route: '/tickets/:source/:ticketId', status: '200' })).toBe(2);
    expect(metrics.value('ticket_bridge_http_request_duration_seconds_count', { method: 'GET', route: '(unmatched)', status: '404' })).toBe(2);
    expect(metrics.value('ticket_bridge_http_request_duration_seconds_count', { method: 'POST', route: '/webhooks/connect', status: '202' })).toBe(1);
    // Cumulative buckets ending in +Inf, which equals the count.
    const buckets = metrics.find('ticket_bridge_http_request_duration_seconds_bucket', { route: '/tickets/:source/:ticketId', status: '200' });
    expect(buckets.at(-1)).toMatchObject({ labels: expect.objectContaining({ le: '+Inf' }), value: 2 });
    const values = buckets.map((b) => b.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(metrics.value('ticket_bridge_http_request_duration_seconds_sum', { route: '/tickets/:source/:ticketId', status: '200' })).toBeGreaterThan(0);
  });

  it('maps statuses to webhook outcomes', () => {
    expect(webhookOutcome(202, 'signalled')).toBe('accepted');
    expect(webhookOutcome(202, 'ignored')).toBe('ignored');
    expect(webhookOutcome(202, 'queued')).toBe('queued');
    expect(webhookOutcome(401, undefined)).toBe('unauthorized');
    expect(webhookOutcome(403, undefined)).toBe('unauthorized');
    expect(webhookOutcome(413, undefined)).toBe('invalid');
    expect(webhookOutcome(415, undefined)).toBe('invalid');
    expect(webhookOutcome(503, undefined)).toBe('unavailable');
    expect(webhookOutcome(500, undefined)).toBe('error');
  });
});
