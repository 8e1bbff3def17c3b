/**
 * LOG_FORMAT=pretty (a terminal's default): one readable line per entry, made from the JSON pino
 * has already redacted, so the readable view never shows what the JSON would not.
 */
import { Writable } from 'node:stream';
import { createLogger, logFormatFor } from '../../src/observability/logger';
import { prettyMessage } from '../../src/observability/pretty';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ format: 'pretty', destination, base: { service: 'ticket-bridge' } }) };
}

describe('pretty logs', () => {
  it('say what a request and an activity attempt were, in one line each', () => {
    const { lines, logger } = capture();
    logger.info({ method: 'POST', route: '/webhooks/connect', status: 202, durationMs: 83.1, workflowId: 'ticket/connect/T-1001', outcome: 'signalled' }, 'request');
    logger.info({ workflowId: 'ticket/connect/T-1001', runId: 'r', workflowType: 'ticketWorkflow', activityType: 'ensureCrmTicket', activityId: '2', attempt: 1, taskQueue: 'q', outcome: 'completed', durationMs: 199.7 }, 'activity attempt');
    logger.warn({ address: '127.0.0.1:9464' }, 'worker metrics disabled');
    expect(lines).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\] INFO: ticket\/connect\/T-1001  POST \/webhooks\/connect → 202 \(83 ms\) signalled$/),
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\] INFO: ticket\/connect\/T-1001  activity ensureCrmTicket #1 completed \(200 ms\)$/),
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\] WARN: worker metrics disabled \{"address":"127\.0\.0\.1:9464"\}$/),
    ]);
  });

  it('redact exactly as the JSON lines do', () => {
    const { lines, logger } = capture();
    logger.info({ requester: { name: 'Ada Lovelace', email: 'ada@example.com' }, body: 'My meter', token: 's3cret', workflowId: 'ticket/connect/1' }, 'something');
    const text = lines.join('\n');
    for (const secret of ['Ada', 'ada@example.com', 'My meter', 's3cret']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('is the default on a terminal only; LOG_FORMAT decides when set', () => {
    expect(logFormatFor(null, { isTTY: true })).toBe('pretty');
    expect(logFormatFor(null, { isTTY: false })).toBe('json');
    expect(logFormatFor(null, {})).toBe('json');
    expect(logFormatFor('json', { isTTY: true })).toBe('json');
    expect(logFormatFor('pretty', {})).toBe('pretty');
  });

  it('keeps an unknown message as it is', () => {
    expect(prettyMessage({ msg: 'Temporal: dev server' })).toBe('Temporal: dev server');
    expect(prettyMessage({ msg: 'x', workflowId: 'w', outcome: 'ignored' })).toBe('w  x (ignored)');
  });
});
