/**
 * With payload encryption on, only a holder of the key can put a payload before the worker
 * (issue 23): a signal sent straight to Temporal without the codec (what anyone who reaches the
 * frontend, the UI or the CLI can do) is refused by the worker instead of being acted on.
 * Real bridge, real worker, real Temporal dev server.
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { EncryptionCodec } from '../../src/security/codec/encryption-codec';
import type { SourceNotification } from '../../src/workflows/definitions';
import { eventually as eventuallyWithin } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { encryptionWith, keyring } from './keys';

jest.setTimeout(180_000);

const eventually = <T>(assertion: () => Promise<T> | T) => eventuallyWithin(assertion, { timeoutMs: 30_000 });
const { EventType } = temporal.api.enums.v1;

describe('a forged, unencrypted signal', () => {
  let rig: BridgeRig;
  beforeAll(async () => {
    rig = await startBridgeRig({ payloadEncryption: encryptionWith('forgery-k1') });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  test('is refused by the worker: the workflow task fails naming it, and the ticket is not touched', async () => {
    const id = `forged-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: 'Meter reading', description: 'My meter reads 10432 kWh' });
    const zd = await eventually(() => {
      const t = rig.zendesk.ticketByExternalId(`connect:${id}`);
      if (!t) throw new Error('no Zendesk ticket yet');
      return t;
    });
    await eventually(async () => expect((await rig.state(id)).crmTicketId).toBe(String(zd.id)));
    const statusBefore = rig.zendesk.ticket(zd.id)!.status;

    // The attacker's client: straight to Temporal, no codec (the test env's plain client).
    const forged: SourceNotification = { kind: 'deleted', eventId: null, receivedAt: new Date().toISOString(), snapshot: null };
    const workflowId = ticketWorkflowId('connect', id);
    await rig.env.client.workflow.getHandle(workflowId).signal('sourceChanged', forged);

    const failure = await eventually(async () => {
      const { history } = await rig.env.client.workflowService.getWorkflowExecutionHistory({ namespace: rig.env.namespace, execution: { workflowId } });
      const events = history?.events ?? [];
      const signalAt = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
      expect(signalAt).toBeGreaterThan(-1);
      const failed = events.slice(signalAt).find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      expect(failed).toBeDefined();
      return failed!.workflowTaskFailedEventAttributes!.failure!;
    });
    // The failure's text is itself encrypted (the encoding failure converter); the bridge's key reads it.
    const attributes = failure.encodedAttributes
      ? (defaultPayloadConverter.fromPayload((await new EncryptionCodec(keyring('forgery-k1')).decode([failure.encodedAttributes as never]))[0]!) as { message: string })
      : { message: failure.message ?? '' };
    expect(attributes.message).toMatch(/not encrypted/);

    // Nothing the forged "deleted" asked for happened.
    expect(rig.zendesk.ticket(zd.id)!.status).toBe(statusBefore);
    expect(rig.connect.ticket(id)).toBeDefined();
  });
});
