/**
 * The observability settings (METRICS_TOKEN, WORKER_METRICS_ADDRESS, TICKET_COUNTS_INTERVAL) and the SDK logger adapter
 * (Temporal's Logger interface onto pino): levels, the SDK's own chatter filtered, metadata kept,
 * personal data and error messages out.
 */
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config';
import { sdkLoggerFor } from '../../src/observability/temporal-logger';
import { LogCapture } from '../api/helpers';

describe('METRICS_TOKEN and WORKER_METRICS_ADDRESS', () => {
  const sandbox = {};
  const issuesOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.issues;
      throw err;
    }
    return [];
  };

  it('default: no metrics token, worker metrics on 127.0.0.1:9464', () => {
    const config = loadConfig(sandbox);
    expect(config.metricsToken).toBeNull();
    expect(config.workerMetricsAddress).toBe('127.0.0.1:9464');
  });

  it('reads them, and `off` turns the worker metrics off', () => {
    const config = loadConfig({ METRICS_TOKEN: 'metrics-token-0123456789', WORKER_METRICS_ADDRESS: '0.0.0.0:9000' });
    expect(config.metricsToken).toBe('metrics-token-0123456789');
    expect(config.workerMetricsAddress).toBe('0.0.0.0:9000');
    expect(loadConfig({ WORKER_METRICS_ADDRESS: 'off' }).workerMetricsAddress).toBeNull();
  });

  it('redacts the metrics token wherever the configuration is shown', () => {
    const config = loadConfig({ METRICS_TOKEN: 'metrics-token-0123456789' });
    expect(JSON.stringify(config)).not.toContain('metrics-token-0123456789');
    expect(inspect(config)).not.toContain('metrics-token-0123456789');
  });

  it('names each bad variable without echoing it', () => {
    expect(issuesOf({ METRICS_TOKEN: 'short', WORKER_METRICS_ADDRESS: 'http://x' })).toEqual([
      { variable: 'METRICS_TOKEN', message: expect.stringMatching(/at least 16 characters/) },
      { variable: 'WORKER_METRICS_ADDRESS', message: 'must be host:port (e.g. 0.0.0.0:9464) or off' },
    ]);
  });
});

describe('TICKET_COUNTS_INTERVAL', () => {
  it('counts every 60 s by default; takes a duration, or off', () => {
    expect(loadConfig({}).ticketCountsIntervalMs).toBe(60_000);
    expect(loadConfig({ TICKET_COUNTS_INTERVAL: '2m' }).ticketCountsIntervalMs).toBe(120_000);
    expect(loadConfig({ TICKET_COUNTS_INTERVAL: 'off' }).ticketCountsIntervalMs).toBeNull();
  });

  it('names a bad value', () => {
    expect(() => loadConfig({ TICKET_COUNTS_INTERVAL: 'often' })).toThrow(
      expect.objectContaining({ issues: [{ variable: 'TICKET_COUNTS_INTERVAL', message: 'must be a duration like 60s or 2m, or off' }] }),
    );
  });
});

describe('sdkLoggerFor: the Temporal SDK logger onto pino', () => {
  it('keeps workflow and activity lines at any level, with their metadata, redacted', () => {
    const capture = new LogCapture();
    const logger = sdkLoggerFor(capture.logger);
    logger.info('ticket synced', { sdkComponent: 'workflow', workflowId: 'ticket/connect/42', email: 'jane@example.com', [Symbol('ts')]: 1n });
    logger.debug('activity detail', { sdkComponent: 'activity', workflowId: 'ticket/connect/42', activityType: 'addCrmComment', taskToken: 'abc' });
    expect(capture.records()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'ticket synced', sdkComponent: 'workflow', workflowId: 'ticket/connect/42', email: '[redacted]' }),
      expect.objectContaining({ level: 'debug', msg: 'activity detail', activityType: 'addCrmComment' }),
    ]);
    expect(capture.records()[1]).not.toHaveProperty('taskToken');
  });

  it("drops the SDK's own lines below WARN (configurable), keeps its warnings and errors", () => {
    const capture = new LogCapture();
    const logger = sdkLoggerFor(capture.logger);
    logger.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    logger.debug('core detail', { sdkComponent: 'core' });
    logger.warn('Activity failed', { sdkComponent: 'worker', error: new Error('Zendesk said: jane@example.com is unknown') });
    logger.log('ERROR', 'Worker failed', { sdkComponent: 'worker' });
    const records = capture.records();
    expect(records.map((r) => [r.level, r.msg])).toEqual([
      ['warn', 'Activity failed'],
      ['error', 'Worker failed'],
    ]);
    // Errors keep their type and stack, never their message (it may quote a remote's answer).
    expect(records[0]!.error).toMatchObject({ type: 'Error', stack: expect.any(String) });
    expect(capture.text).not.toContain('jane@example.com');

    const verbose = new LogCapture();
    sdkLoggerFor(verbose.logger, { sdkLevel: 'INFO' }).info('Worker state changed', { sdkComponent: 'worker' });
    expect(verbose.records()).toHaveLength(1);
  });
});
