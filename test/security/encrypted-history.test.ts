/**
 * Personal data never reaches Temporal in readable form. The whole bridge (API, worker, both
 * simulators) runs with payload encryption on the harness; real tickets carrying names, e-mails
 * and message text go through their lifecycle; then the RAW history (the bytes the Temporal
 * server stores and serves, read with a client that has no codec) is searched for every piece
 * of that personal data. Search attributes must stay readable, and free of personal data.
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ENCRYPTED_ENCODING } from '../../src/security/codec/encryption-codec';
import { ticketWorkflowId } from '../../src/domain/ticket';
import { eventually as eventuallyWithin } from '../harness';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig';
import { encryptionWith } from './keys';

jest.setTimeout(180_000);

/** Under a loaded CI machine (several rigs, 2 cores) a sync can take seconds: allow 30. */
const eventually = <T>(assertion: () => Promise<T> | T) => eventuallyWithin(assertion, { timeoutMs: 30_000 });

type History = temporal.api.history.v1.IHistory;

// Personal data of the people in the tickets. Long enough not to occur by chance in ciphertext.
const ADA = { name: 'Ada Lovelace', email: 'ada.lovelace@analytical.example' };
const CHARLES = { name: 'Charles Babbage', email: 'c.babbage@difference.example' };
const CONNECT_TEXTS = {
  title: `Bill for ${ADA.name} doubled`,
  description: `Please call me back on ${ADA.email}, my meter at 12 Marylebone Road reads 10432 kWh.`,
  userReply: 'Here is the photo of meter MX-5531 at the front door',
  agentReply: 'Thanks Ada, could you confirm the serial number under the lid?',
  note: 'Internal: customer Ada on legacy tariff since 2019',
};
const WHITELABEL_TEXTS = {
  title: `Heat pump broken at ${CHARLES.name}'s flat`,
  opening: `My heat pump stopped. You can reach me at ${CHARLES.email} or on the landline.`,
  teammateReply: 'An engineer can come on Thursday morning between eight and ten',
  clientReply: 'Thursday suits me, the key is under the blue flowerpot',
};
const PERSONAL_STRINGS = [
  ADA.name,
  ADA.email,
  'Lovelace',
  CHARLES.name,
  CHARLES.email,
  'Babbage',
  'Marylebone',
  ...Object.values(CONNECT_TEXTS),
  ...Object.values(WHITELABEL_TEXTS),
];

describe('personal data in Temporal is encrypted', () => {
  let rig: BridgeRig;

  beforeAll(async () => {
    rig = await startBridgeRig({
      // Rotation in the middle of a deployment: a current key and an old one.
      payloadEncryption: encryptionWith('2025-06', '2024-11'),
      whitelabelAssignees: {},
    });
  });
  afterAll(async () => {
    await rig?.teardown();
  });

  /** Every page of a run's history, exactly as the server returns it (no codec, no converter). */
  async function rawHistory(workflowId: string, runId?: string): Promise<{ history: History; bytes: Buffer }> {
    const events: temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await rig.env.client.workflowService.getWorkflowExecutionHistory({
        namespace: rig.env.namespace,
        execution: { workflowId, runId },
        nextPageToken,
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (nextPageToken);
    const history = { events };
    return { history, bytes: Buffer.from(temporal.api.history.v1.History.encode(history).finish()) };
  }

  /** All runs of a workflow id (continue-as-new makes more than one). */
  async function runsOf(workflowId: string): Promise<string[]> {
    const runs: string[] = [];
    for await (const execution of rig.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(execution.runId);
    return runs;
  }

  function expectNoPersonalData(bytes: Buffer, where: string): void {
    const found = PERSONAL_STRINGS.filter((s) => bytes.includes(Buffer.from(s, 'utf8')) || bytes.includes(Buffer.from(s.toLowerCase(), 'utf8')));
    expect({ where, found }).toEqual({ where, found: [] });
  }

  /**
   * Walks a decoded history: every payload outside search attributes must be encrypted, every
   * failure must carry its message in (encrypted) encoded attributes. Returns what it saw.
   */
  /** What the SDK core records about a local activity in its marker (sdk-core `LocalActivityMarkerData`). */
  const LOCAL_ACTIVITY_MARKER_KEYS = ['seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time'];

  function inspectHistory(history: History) {
    const seen = { encrypted: 0, searchAttributes: [] as Array<[string, unknown]>, failures: 0, plain: [] as string[] };
    const isPayload = (v: Record<string, unknown>) => v.data instanceof Uint8Array && typeof v.metadata === 'object' && v.metadata !== null;
    const walk = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
      if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`));
      const obj = value as Record<string, unknown>;
      if (isPayload(obj)) {
        // The SDK core writes patch markers itself (`patched('sync-v2')`): the patch id, no data of ours.
        if (/\.markerRecordedEventAttributes\.details\.patch-data\.payloads\[\d+\]$/.test(path)) return;
        // It writes local-activity markers too: their `data` is its bookkeeping (which activity,
        // which attempt, when), no data of ours; the activity's result beside it is encrypted.
        if (/\.markerRecordedEventAttributes\.details\.data\.payloads\[\d+\]$/.test(path)) {
          const keys = Object.keys(JSON.parse(Buffer.from(obj.data as Uint8Array).toString('utf8')) as object);
          expect(keys.filter((k) => !LOCAL_ACTIVITY_MARKER_KEYS.includes(k))).toEqual([]);
          return;
        }
        const encoding = Buffer.from((obj.metadata as Record<string, Uint8Array>)[METADATA_ENCODING_KEY] ?? []).toString();
        if (/\.searchAttributes\.indexedFields\.[A-Za-z]+$/.test(path)) {
          seen.searchAttributes.push([path.split('.').at(-1)!, defaultPayloadConverter.fromPayload(obj as never)]);
        } else if (encoding === ENCRYPTED_ENCODING) {
          seen.encrypted++;
        } else {
          seen.plain.push(`${path} (${encoding})`);
        }
        return;
      }
      // The server's own workflow-task failure when a signal arrives as the workflow completes
      // (the SDK then retries the task): its fixed text, written by Temporal, not by our code.
      const serverWritten = path.endsWith('workflowTaskFailedEventAttributes.failure') && obj.message === 'UnhandledCommand';
      if (!serverWritten && typeof obj.message === 'string' && ('applicationFailureInfo' in obj || 'stackTrace' in obj || 'encodedAttributes' in obj)) {
        seen.failures++;
        expect({ path, message: obj.message }).toEqual({ path, message: 'Encoded failure' });
        expect(obj.stackTrace ?? '').toBe('');
      }
      for (const [key, v] of Object.entries(obj)) walk(v, `${path}.${key}`);
    };
    walk(history.events, 'events');
    return seen;
  }

  test('a Connect ticket and a white-label ticket through their lifecycles leave no readable personal data', async () => {
    // --- Connect: the guide's flow, with a Zendesk hiccup so a failure lands in the history too.
    const connectId = `enc-${randomUUID().slice(0, 8)}`;
    const hiccup = rig.zendesk.fault({ kind: 'error', status: 503, match: 'POST *', times: 1 });
    await rig.connect.userCreatesTicket({ id: connectId, title: CONNECT_TEXTS.title, description: CONNECT_TEXTS.description, userId: ADA.email });
    const zd = await eventually(() => {
      const t = rig.zendesk.ticketByExternalId(`connect:${connectId}`);
      if (!t) throw new Error('no Zendesk ticket yet');
      return t;
    });
    expect(hiccup.hits).toBe(1);
    // The agent answers once the workflow has linked the Zendesk ticket (see the report: an agent
    // reply landing between the ticket's creation and that link is skipped by the bridge).
    await eventually(async () => expect((await rig.state(connectId)).crmTicketId).toBe(String(zd.id)));
    await rig.zendesk.agentReplies(zd.id, CONNECT_TEXTS.agentReply);
    await rig.zendesk.agentAddsNote(zd.id, CONNECT_TEXTS.note);
    await eventually(() => expect(rig.connect.ticket(connectId)!.comments.map((c) => c.message)).toContain(CONNECT_TEXTS.agentReply));
    await rig.connect.userComments(connectId, CONNECT_TEXTS.userReply);
    // The user's reply reopens the Zendesk ticket; solve only once that sync is done.
    await eventually(() => {
      expect(rig.zendesk.comments(zd.id).map((c) => c.body)).toContain(CONNECT_TEXTS.userReply);
      expect(rig.zendesk.ticket(zd.id)!.status).toBe('open');
    });
    await rig.zendesk.agentSetsStatus(zd.id, 'solved');
    await eventually(async () => expect((await rig.state(connectId)).status).toBe('SOLVED'));
    await rig.connect.userConfirmsResolved(connectId);
    // The bridge's own client decrypts (the ops API and `temporal workflow query` work as before).
    const final = await rig.result(connectId);
    expect(final).toMatchObject({ status: 'CLOSED', completed: true, crmTicketId: String(zd.id) });

    // --- White-label: the event itself carries the ticket (client name, e-mail, text) in the signal.
    const wl = await rig.whitelabel.clientCreatesTicket({
      title: WHITELABEL_TEXTS.title,
      text: WHITELABEL_TEXTS.opening,
      client: { id: randomUUID(), name: CHARLES.name, email: CHARLES.email },
    });
    const wlId = wl.ticket.id;
    const wlZd = await eventually(() => {
      const t = rig.zendesk.ticketByExternalId(`whitelabel:${wlId}`);
      if (!t) throw new Error('no Zendesk ticket yet');
      return t;
    });
    await eventually(async () => expect((await rig.stateOf('whitelabel', wlId)).crmTicketId).toBe(String(wlZd.id)));
    await rig.whitelabel.teammateReplies(wlId, WHITELABEL_TEXTS.teammateReply);
    await rig.whitelabel.clientReplies(wlId, WHITELABEL_TEXTS.clientReply);
    await eventually(() => expect(rig.zendesk.comments(wlZd.id).map((c) => c.body)).toContain(WHITELABEL_TEXTS.clientReply));
    // The data really went through: Zendesk holds the personal data (that is its job) ...
    expect(rig.zendesk.user(wlZd.requester_id!)?.email).toBe(CHARLES.email);

    // ... and Temporal holds none of it.
    for (const workflowId of [ticketWorkflowId('connect', connectId), ticketWorkflowId('whitelabel', wlId)]) {
      const runs = await runsOf(workflowId);
      expect(runs.length).toBeGreaterThanOrEqual(1);
      for (const runId of runs) {
        const { history, bytes } = await rawHistory(workflowId, runId);
        expectNoPersonalData(bytes, `${workflowId} run ${runId}`);
        const seen = inspectHistory(history);
        expect(seen.plain).toEqual([]);
        expect(seen.encrypted).toBeGreaterThan(5);
        // Search attributes are readable as they are (Temporal indexes them), and hold no personal data.
        for (const [name, value] of seen.searchAttributes) {
          expect(['TicketStatus', 'TicketSource', 'CrmTicketId', 'TicketFingerprints', 'BuildIds', 'TemporalChangeVersion']).toContain(name);
          expectNoPersonalData(Buffer.from(JSON.stringify(value)), `search attribute ${name}`);
          // Digests only (a fingerprint may name an assignee): `s:<fnv>:<length> c:<fnv>:<length>`.
          if (name === 'TicketFingerprints') expect(value).toMatch(/^s:(-|[0-9a-f]{8}:\d+) c:(-|[0-9a-f]{8}:\d+)$/);
        }
        expect(seen.searchAttributes.map(([n]) => n)).toEqual(expect.arrayContaining(['TicketSource', 'TicketStatus', 'TicketFingerprints']));
      }
    }

    // The Connect hiccup left an (encoded) failure in the history: its text is encrypted too.
    const connectHistory = await rawHistory(ticketWorkflowId('connect', connectId));
    expect(inspectHistory(connectHistory.history).failures).toBeGreaterThanOrEqual(1);

    // Visibility: search attributes readable by anyone with Temporal access, memo only through the codec.
    const raw = await rig.env.client.workflowService.describeWorkflowExecution({
      namespace: rig.env.namespace,
      execution: { workflowId: ticketWorkflowId('connect', connectId) },
    });
    const indexed = raw.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {};
    const attributes = Object.fromEntries(Object.entries(indexed).map(([k, p]) => [k, defaultPayloadConverter.fromPayload(p as never)]));
    expect(attributes).toMatchObject({ TicketStatus: 'CLOSED', TicketSource: 'connect', CrmTicketId: String(zd.id) });
    const memo = raw.workflowExecutionInfo?.memo?.fields ?? {};
    for (const field of Object.values(memo)) {
      expect(Buffer.from(field.metadata![METADATA_ENCODING_KEY]!).toString()).toBe(ENCRYPTED_ENCODING);
    }
    expectNoPersonalData(Buffer.from(temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(raw).finish()), 'describe');
    // The bridge's client reads the memo back in clear.
    const described = await rig.client.workflow.getHandle(ticketWorkflowId('connect', connectId)).describe();
    expect(described.memo).toMatchObject({ ticket: `connect ticket ${connectId}`, crmTicket: `zendesk ticket ${zd.id}` });
  });

  test('a client without the keys cannot read the workflow; the ops API (with them) can', async () => {
    const id = `enc-${randomUUID().slice(0, 8)}`;
    await rig.connect.userCreatesTicket({ id, title: CONNECT_TEXTS.title, description: CONNECT_TEXTS.description });
    await eventually(async () => expect((await rig.state(id)).crmTicketId).not.toBeNull());
    const plainClient = rig.env.client.workflow.getHandle(ticketWorkflowId('connect', id));
    await expect(plainClient.query('state')).rejects.toThrow(/binary\/encrypted|encoding/i);
    const res = await fetch(`${rig.api.url}/tickets/connect/${id}`, { headers: { authorization: `Bearer ${rig.apiConfig.opsApiToken}` } });
    expect(res.status).toBe(200);
    // The ops API decrypts the state with the bridge's keys (its exact shape is the ops API's business).
    expect(JSON.stringify(await res.json())).toContain(id);
  });
});
