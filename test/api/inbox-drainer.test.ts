/**
 * The drainer's decisions, on a real inbox directory and a scripted gateway (the Temporal side
 * end to end is test/bridge/inbox-outage.test.ts): arrival order per ticket, deletion only after
 * Temporal took it, back-off while it is down, one refused ticket not holding up the others,
 * unreadable entries set aside, and a clean stop.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InboxDrainer, type InboxNotification, InboxStore } from '../../src/api/inbox';
import { TemporalUnavailableError, type SourceNotifyResult, type CrmNotifyResult } from '../../src/api/gateway';
import type { SourceKind } from '../../src/domain/ticket';
import type { CrmNotification, SourceNotification } from '../../src/workflows/definitions';
import { eventually } from '../harness';
import { LogCapture } from './helpers';

const item = (ticketId: string, kind: SourceNotification['kind'] = 'created'): InboxNotification => ({
  target: 'source',
  source: 'connect',
  sourceTicketId: ticketId,
  notification: { kind, eventId: null, receivedAt: new Date().toISOString(), snapshot: null },
});

/** What the drainer calls: records deliveries; `down` and `refuse` script Temporal's answers. */
class ScriptedGateway {
  down = false;
  /** Tickets whose notifications Temporal refuses while it is up. */
  readonly refuse = new Set<string>();
  readonly delivered: string[] = [];
  attempts = 0;
  readyCalls = 0;

  async notifySource(_source: SourceKind, id: string, notification: SourceNotification): Promise<SourceNotifyResult> {
    this.attempts++;
    if (this.down) throw new TemporalUnavailableError('signalWithStart');
    if (this.refuse.has(id)) throw new TemporalUnavailableError('signalWithStart'); // e.g. INVALID_ARGUMENT
    this.delivered.push(`${id}:${notification.kind}`);
    return { outcome: 'signalled', workflowId: `ticket/connect/${id}` };
  }
  async notifyCrm(notification: CrmNotification): Promise<CrmNotifyResult> {
    this.delivered.push(`crm:${notification.crmTicketId}`);
    return { outcome: 'ignored', reason: 'no-workflow' };
  }
  async ready(): Promise<void> {
    this.readyCalls++;
    if (this.down) throw new TemporalUnavailableError('getSystemInfo');
  }
}

describe('InboxDrainer', () => {
  let dir: string;
  let store: InboxStore;
  let gateway: ScriptedGateway;
  let drainer: InboxDrainer;
  let logs: LogCapture;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inbox-drainer-'));
    store = await InboxStore.open({ dir, maxEntries: 100, payloadEncryption: { mode: 'off' } });
    gateway = new ScriptedGateway();
    logs = new LogCapture();
    drainer = new InboxDrainer({ store, gateway, logger: logs.logger, initialBackoffMs: 20, maxBackoffMs: 80 });
  });
  afterEach(async () => {
    await drainer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers what a previous process left, in arrival order, deleting each file only after Temporal took it', async () => {
    for (const [id, kind] of [['1', 'created'], ['2', 'created'], ['1', 'updated'], ['1', 'deleted']] as const) await store.append(item(id, kind));
    drainer.start();
    await eventually(() => expect(store.size).toBe(0));
    expect(gateway.delivered).toEqual(['1:created', '2:created', '1:updated', '1:deleted']);
    expect(readdirSync(dir)).toEqual([]);
    expect(logs.records().find((r) => r.msg === 'inbox: delivering webhooks queued before the restart')).toMatchObject({ queued: 4 });
  });

  it('keeps everything while Temporal is down, backs off, and delivers once it answers', async () => {
    gateway.down = true;
    await store.append(item('1'));
    await store.append(item('2'));
    drainer.start();
    await new Promise((r) => setTimeout(r, 400));
    expect(store.size).toBe(2);
    expect(readdirSync(dir)).toHaveLength(2);
    // Backing off: a handful of probes in 400 ms at 20 → 80 ms steps, not a busy loop, and no
    // signal attempted while the probe says Temporal is down.
    expect(gateway.readyCalls).toBeGreaterThanOrEqual(3);
    expect(gateway.readyCalls).toBeLessThan(12);
    expect(gateway.attempts).toBe(0);
    const waits = logs.records().filter((r) => r.msg === 'inbox: webhooks wait for Temporal');
    expect(waits.map((r) => r.retryInMs)).toEqual(expect.arrayContaining([20, 40, 80]));
    expect(waits.every((r) => r.queued === 2 && typeof r.oldestAgeSeconds === 'number')).toBe(true);

    gateway.down = false;
    await eventually(() => expect(gateway.delivered).toEqual(['1:created', '2:created']));
    await eventually(() => expect(readdirSync(dir)).toEqual([]));
  });

  it('lets other tickets through when Temporal refuses one, and keeps that ticket\'s later entries behind it', async () => {
    gateway.refuse.add('bad');
    await store.append(item('bad', 'created'));
    await store.append(item('ok-1'));
    await store.append(item('bad', 'updated'));
    await store.append(item('ok-2'));
    drainer.start();
    await eventually(() => expect(gateway.delivered).toEqual(['ok-1:created', 'ok-2:created']));
    expect(store.pending()).toHaveLength(2);
    expect(logs.records().some((r) => r.msg === 'inbox: Temporal refused a queued webhook; its ticket waits for the next pass' && r.workflowId === 'ticket/connect/bad')).toBe(true);

    gateway.refuse.clear();
    await eventually(() => expect(store.size).toBe(0));
    expect(gateway.delivered.slice(2)).toEqual(['bad:created', 'bad:updated']);
  });

  it('sets an unreadable entry aside and delivers the rest', async () => {
    const broken = await store.append(item('1'));
    await store.append(item('2'));
    writeFileSync(join(dir, broken.name), 'garbage');
    drainer.start();
    await eventually(() => expect(gateway.delivered).toEqual(['2:created']));
    expect(readdirSync(dir)).toEqual([`${broken.name}.unreadable`]);
    expect(store.stats().unreadable).toBe(1);
    expect(logs.records().find((r) => r.msg === 'inbox: entry cannot be read back; set aside as .unreadable')).toMatchObject({
      level: 'error',
      entry: broken.name,
      err: { type: 'InboxEntryUnreadableError', kind: 'corrupt' },
    });
  });

  it('starts at once when told a webhook reached Temporal, instead of waiting out the back-off', async () => {
    drainer = new InboxDrainer({ store, gateway, logger: logs.logger, initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
    drainer.start();
    await store.append(item('1'));
    drainer.queued(); // scheduled a minute from now
    await new Promise((r) => setTimeout(r, 100));
    expect(gateway.delivered).toEqual([]);
    drainer.temporalAnswered();
    await eventually(() => expect(gateway.delivered).toEqual(['1:created']));
  });

  it('delivers nothing after stop', async () => {
    gateway.down = true;
    await store.append(item('1'));
    drainer.start();
    await new Promise((r) => setTimeout(r, 50));
    await drainer.stop();
    gateway.down = false;
    drainer.temporalAnswered();
    drainer.queued();
    await new Promise((r) => setTimeout(r, 200));
    expect(gateway.delivered).toEqual([]);
    expect(store.size).toBe(1);
  });
});
