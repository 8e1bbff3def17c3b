import { TemporalUnavailableError } from '../../src/api/gateway';
import { FakeGateway, OPS_TOKEN, type RunningApi, sampleDetails, startApi } from './helpers';

describe('ops and health routes', () => {
  let api: RunningApi;
  let gateway: FakeGateway;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeEach(async () => {
    gateway = new FakeGateway();
    api = await startApi({ gateway });
  });
  afterEach(() => api.close());

  describe('GET /tickets/:source/:ticketId', () => {
    it('returns the workflow state, execution and pending activities with the right bearer token', async () => {
      gateway.onDescribeTicket = async () => sampleDetails;
      const res = await fetch(`${api.url}/tickets/connect/42`, { headers: bearer(OPS_TOKEN) });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      // …and which helpdesk the bridge writes to (`CRM`, default zendesk).
      expect(await res.json()).toEqual({ ...sampleDetails, helpdesk: 'zendesk' });
      expect(gateway.describeCalls).toEqual([{ source: 'connect', id: '42' }]);
    });

    it('serves other sources too', async () => {
      gateway.onDescribeTicket = async () => sampleDetails;
      expect((await fetch(`${api.url}/tickets/whitelabel/0b7e-11`, { headers: bearer(OPS_TOKEN) })).status).toBe(200);
      expect(gateway.describeCalls).toEqual([{ source: 'whitelabel', id: '0b7e-11' }]);
    });

    it('answers 404 not_found when there is no workflow', async () => {
      const res = await fetch(`${api.url}/tickets/connect/404`, { headers: bearer(OPS_TOKEN) });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_found' });
    });

    it.each([
      ['no Authorization header', {}],
      ['a wrong token', bearer('wrong')],
      ['another scheme', { authorization: `Basic ${OPS_TOKEN}` }],
      ['a prefix of the token', bearer(OPS_TOKEN.slice(0, 8))],
    ])('answers 401 with %s, without querying', async (_label, headers) => {
      gateway.onDescribeTicket = async () => sampleDetails;
      const res = await fetch(`${api.url}/tickets/connect/42`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: 'unauthorized' });
      expect(gateway.describeCalls).toHaveLength(0);
    });

    it('answers 400 naming an unknown source', async () => {
      const res = await fetch(`${api.url}/tickets/jira/42`, { headers: bearer(OPS_TOKEN) });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_request', issues: [{ path: 'source', message: 'must be one of connect, whitelabel' }] });
    });

    it('answers 400 naming a bad ticket id', async () => {
      const res = await fetch(`${api.url}/tickets/connect/${encodeURIComponent('a b')}`, { headers: bearer(OPS_TOKEN) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(['ticketId']);
    });

    it('answers 503 when Temporal is unavailable', async () => {
      gateway.onDescribeTicket = async () => {
        throw new TemporalUnavailableError('describe');
      };
      const res = await fetch(`${api.url}/tickets/connect/42`, { headers: bearer(OPS_TOKEN) });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
    });
  });

  describe('health', () => {
    it('GET /healthz is 200 even when Temporal is down', async () => {
      gateway.onReady = async () => {
        throw new TemporalUnavailableError('getSystemInfo');
      };
      const res = await fetch(`${api.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('GET /readyz is 200 when the gateway is ready', async () => {
      const res = await fetch(`${api.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready' });
    });

    it('GET /readyz is 503 when Temporal is unavailable', async () => {
      gateway.onReady = async () => {
        throw new TemporalUnavailableError('getSystemInfo');
      };
      const res = await fetch(`${api.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'temporal_unavailable' });
    });
  });

  describe('everything else', () => {
    it('answers unknown routes with a JSON 404', async () => {
      const res = await fetch(`${api.url}/nope`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: 'not_found' });
    });

    it('answers a wrong method on a known path with a JSON 405 and Allow', async () => {
      const res = await fetch(`${api.url}/webhooks/connect`);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toEqual({ error: 'method_not_allowed', message: 'GET is not allowed on this path; it takes POST' });
      const deleted = await fetch(`${api.url}/tickets/connect/42`, { method: 'DELETE', headers: bearer(OPS_TOKEN) });
      expect(deleted.status).toBe(405);
      expect(deleted.headers.get('allow')).toBe('GET, HEAD');
      // A path parameter's route is found whatever the parameter; an unknown path stays a 404.
      expect((await fetch(`${api.url}/tickets/connect/42/resync`)).headers.get('allow')).toBe('POST');
      expect((await fetch(`${api.url}/tickets/connect/42/nope`, { method: 'POST' })).status).toBe(404);
      // OPTIONS names them too (express's router answers it).
      const options = await fetch(`${api.url}/webhooks/zendesk`, { method: 'OPTIONS' });
      expect(options.status).toBe(200);
      expect(options.headers.get('allow')).toBe('POST');
    });

    it('does not advertise the framework', async () => {
      const res = await fetch(`${api.url}/healthz`);
      expect(res.headers.get('x-powered-by')).toBeNull();
    });

    it('logs one line per request with method, route template, status and duration', async () => {
      gateway.onDescribeTicket = async () => sampleDetails;
      await fetch(`${api.url}/tickets/connect/42`, { headers: bearer(OPS_TOKEN) });
      await fetch(`${api.url}/nope?x=1`);
      await new Promise((r) => setImmediate(r));
      const lines = api.logs.requestLines();
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({ level: 'info', method: 'GET', route: '/tickets/:source/:ticketId', status: 200 });
      expect(lines[0]!.durationMs).toEqual(expect.any(Number));
      expect(lines[1]).toMatchObject({ level: 'warn', method: 'GET', route: '(unmatched)', status: 404 });
    });

    it('mounts extra routers given to createApp', async () => {
      const { Router } = await import('express');
      const { API_ROUTERS } = await import('../../src/api/app');
      const extra = await startApi({
        gateway,
        routers: [...API_ROUTERS, () => Router().get('/extra', (_req, res) => void res.json({ extra: true }))],
      });
      try {
        expect(await (await fetch(`${extra.url}/extra`)).json()).toEqual({ extra: true });
        expect((await fetch(`${extra.url}/healthz`)).status).toBe(200);
      } finally {
        await extra.close();
      }
    });
  });
});
