/**
 * Nothing secret or personal reaches the logs: run requests full of both through the real app,
 * capture every line pino writes, and search the text.
 */
import { loadConfig } from '../../src/config';
import { createLogger, childLogger, serializeError } from '../../src/observability/logger';
import { TemporalUnavailableError } from '../../src/api/gateway';
import { PRODUCTION_REMOTES_ENV } from '../support/production-env';
import {
  CONNECT_TOKEN,
  FakeGateway,
  LogCapture,
  OPS_TOKEN,
  postJson,
  type RunningApi,
  sampleDetails,
  startApi,
  ZENDESK_SECRET,
  zendeskHeaders,
} from './helpers';

const PERSONAL = ['jane.doe@example.com', 'Jane Doe', 'my boiler is leaking', 'Boiler broken'];
const SECRETS = [CONNECT_TOKEN, ZENDESK_SECRET, OPS_TOKEN];

describe('logs through the API', () => {
  let api: RunningApi;
  let gateway: FakeGateway;

  beforeAll(async () => {
    gateway = new FakeGateway();
    api = await startApi({ gateway, config: { bodyLimitBytes: 10_000 } });
    const connect = `${api.url}/webhooks/connect?auth_token=${CONNECT_TOKEN}`;
    const personalBody = { type: 'CREATE', ticketId: '42', email: PERSONAL[0], name: PERSONAL[1], description: PERSONAL[2], title: PERSONAL[3] };

    // Accepted, rejected (bad token in the query), invalid, malformed JSON that quotes personal data.
    await postJson(connect, personalBody);
    await postJson(`${api.url}/webhooks/connect?auth_token=${OPS_TOKEN}`, personalBody);
    await postJson(connect, { ...personalBody, type: PERSONAL[0] });
    await postJson(connect, `{"email": "${PERSONAL[0]}", "name": "${PERSONAL[1]}" oops`);

    // Zendesk: good and bad signatures over bodies with personal data.
    const zendeskBody = JSON.stringify({ ticket_id: '35436', external_id: 'connect:42', requester: { name: PERSONAL[1], email: PERSONAL[0] } });
    await fetch(`${api.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(zendeskBody), body: zendeskBody });
    await fetch(`${api.url}/webhooks/zendesk`, {
      method: 'POST',
      headers: zendeskHeaders(zendeskBody, { secret: 'wrong-secret-0123456789' }),
      body: zendeskBody,
    });
    const badJson = `{"ticket_id": "1", "comment": "${PERSONAL[2]}"`;
    await fetch(`${api.url}/webhooks/zendesk`, { method: 'POST', headers: zendeskHeaders(badJson), body: badJson });

    // Ops with the right and a wrong token.
    gateway.onDescribeTicket = async () => sampleDetails;
    await fetch(`${api.url}/tickets/connect/42`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    await fetch(`${api.url}/tickets/connect/42`, { headers: { authorization: `Bearer ${CONNECT_TOKEN}` } });

    // Failures whose messages quote personal data and secrets.
    gateway.onNotifySource = async () => {
      throw new Error(`upstream said ${PERSONAL[0]} ${CONNECT_TOKEN}`);
    };
    await postJson(connect, { type: 'UPDATE', ticketId: '42' });
    gateway.onNotifySource = async () => {
      throw new TemporalUnavailableError('signalWithStart', { cause: new Error(`detail ${PERSONAL[1]}`) });
    };
    await postJson(connect, { type: 'UPDATE', ticketId: '42' });
    await new Promise((r) => setImmediate(r));
  });
  afterAll(() => api.close());

  it('logged every request (so the search below searched something)', () => {
    expect(api.logs.requestLines()).toHaveLength(11);
    expect(api.logs.records().some((r) => r.msg === 'unhandled error')).toBe(true);
    expect(api.logs.records().some((r) => r.msg === 'temporal unavailable')).toBe(true);
  });

  it.each(PERSONAL)('never logs personal data: %s', (value) => {
    expect(api.logs.text).not.toContain(value);
  });

  it.each(SECRETS.map((s, i) => [['CONNECT_TOKEN', 'ZENDESK_SECRET', 'OPS_TOKEN'][i], s]))('never logs the %s', (_name, value) => {
    expect(api.logs.text).not.toContain(value);
  });

  it('never logs query strings or the auth_token parameter', () => {
    expect(api.logs.text).not.toContain('auth_token');
    expect(api.logs.text).not.toContain('?');
  });

  it('keeps what an operator needs: route, status, workflow id, error type and stack', () => {
    expect(api.logs.requestLines()[0]).toMatchObject({ route: '/webhooks/connect', status: 202, workflowId: 'ticket/connect/42' });
    const unhandled = api.logs.records().find((r) => r.msg === 'unhandled error') as { err: { type: string; stack: string } };
    expect(unhandled.err.type).toBe('Error');
    expect(unhandled.err.stack).toMatch(/^\s+at /);
  });
});

describe('logger redaction', () => {
  it('censors sensitive fields at the top level and two levels down', () => {
    const capture = new LogCapture();
    capture.logger.info(
      {
        email: 'a@x.io',
        ticket: { title: 'TITLE-1', requester: { name: 'NAME-1', email: 'b@x.io' }, comments: [{ body: 'BODY-1' }] },
        event: { data: { reply: { text: 'REPLY-1' } } },
        headers: { authorization: 'Bearer BEARER-1', 'x-zendesk-webhook-signature': 'SIG-1', 'clevergy-api-key': 'KEY-1' },
        query: { auth_token: 'QUERY-1' },
        kept: { id: '42', status: 'OPEN' },
      },
      'line',
    );
    const text = capture.text;
    for (const value of ['a@x.io', 'TITLE-1', 'NAME-1', 'b@x.io', 'BODY-1', 'REPLY-1', 'BEARER-1', 'SIG-1', 'KEY-1', 'QUERY-1']) expect(text).not.toContain(value);
    expect(capture.records()[0]).toMatchObject({ kept: { id: '42', status: 'OPEN' }, email: '[redacted]' });
  });

  it('censors at any depth, in arrays, and leaves the caller\'s object as it was', () => {
    const capture = new LogCapture();
    const line = { a: { b: { c: { d: { email: 'DEEP-1', kept: 1 } } } }, list: [[{ comment: 'LIST-1' }], { id: 'x' }], when: new Date(0) };
    const before = JSON.stringify(line);
    capture.logger.info(line, 'deep');
    expect(capture.text).not.toContain('DEEP-1');
    expect(capture.text).not.toContain('LIST-1');
    expect(capture.records()[0]).toMatchObject({
      a: { b: { c: { d: { email: '[redacted]', kept: 1 } } } },
      list: [[{ comment: '[redacted]' }], { id: 'x' }],
      when: '1970-01-01T00:00:00.000Z',
    });
    expect(JSON.stringify(line)).toBe(before);
  });

  it('writes a line with nothing to censor as it is, and a cycle without looping', () => {
    const capture = new LogCapture();
    const cyclic: Record<string, unknown> = { id: 'c' };
    cyclic.self = cyclic;
    capture.logger.info({ route: '/webhooks/connect', status: 202, cyclic }, 'request');
    expect(capture.records()[0]).toMatchObject({ route: '/webhooks/connect', status: 202, cyclic: { id: 'c' } });
  });

  it('censors child logger bindings too, at any depth and in a child\'s child', () => {
    const capture = new LogCapture();
    const worker = childLogger(capture.logger, 'worker', { requester: { email: 'c@x.io' }, ticket: { people: { agent: { name: 'AGENT-1' } } } });
    worker.info('x');
    worker.child({ activity: { input: { body: 'GRANDCHILD-1' } } }).info('y');
    for (const value of ['c@x.io', 'AGENT-1', 'GRANDCHILD-1']) expect(capture.text).not.toContain(value);
    expect(capture.records()[0]).toMatchObject({ component: 'worker', ticket: { people: { agent: { name: '[redacted]' } } } });
    expect(capture.records()[1]).toMatchObject({ component: 'worker', activity: { input: { body: '[redacted]' } } });
  });

  it('logs an error by its serializer: type and stack, no message', () => {
    const capture = new LogCapture();
    capture.logger.error({ err: new Error('quotes ERR-1 input') }, 'failed');
    expect(capture.text).not.toContain('ERR-1');
    expect(capture.records()[0]).toMatchObject({ err: { type: 'Error', stack: expect.stringMatching(/^\s+at /) } });
  });

  it('serialises errors without their message (it often quotes input)', () => {
    let err: unknown;
    try {
      JSON.parse('{"email": "d@x.io" oops');
    } catch (e) {
      err = e;
    }
    const serialised = JSON.stringify(serializeError(new Error('wrapped', { cause: err })));
    expect(serialised).not.toContain('d@x.io');
    expect(serialised).not.toContain('wrapped');
    expect(JSON.parse(serialised)).toMatchObject({ type: 'Error', cause: { type: 'SyntaxError' } });
  });

  it('shows the configuration with its secrets redacted', () => {
    const capture = new LogCapture();
    const config = loadConfig({
      ...PRODUCTION_REMOTES_ENV,
      PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 5).toString('base64')}`,
      CODEC_AUTH_TOKEN: 'codec-auth-token-value-0123',
    });
    capture.logger.info({ config }, 'config');
    capture.logger.info({ zendesk: config.zendesk, connect: config.connect }, 'groups');
    const payloadKey = Buffer.alloc(32, 5).toString('base64');
    for (const secret of ['connect-api-key-value', 'connect-webhook-token-value', 'zendesk-api-token-value', 'zendesk-webhook-secret-value', 'ops-api-token-value-0123', 'codec-auth-token-value-0123', payloadKey]) {
      expect(capture.text).not.toContain(secret);
    }
    expect(capture.records()[0]).toMatchObject({ config: { temporal: { namespace: 'default' }, opsApiToken: '[redacted]' } });
  });

  it('honours the level', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });
});
