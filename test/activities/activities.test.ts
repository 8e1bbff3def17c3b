import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, TICKET_ACTIVITY_OPTIONS, TICKET_ACTIVITY_RETRY_POLICY } from '../../src/activities';
import { ConnectSource } from '../../src/adapters/connect';
import { ZendeskCrm } from '../../src/adapters/zendesk';
import type { CrmTicket } from '../../src/domain/ticket';
import type { CrmPort, NewCrmTicket } from '../../src/ports/crm';
import { IntegrationError } from '../../src/ports/errors';
import type { TicketSourcePort } from '../../src/ports/ticket-source';
import { ConnectSimulator } from '../../src/simulators/connect';
import { ZendeskSimulator } from '../../src/simulators/zendesk';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
/** Run an activity in an activity context, as Temporal would on the given attempt. */
function run<A extends unknown[], R>(attempt: number, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment({ attempt }, { logger: silent }).run(fn, ...args);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** A read from the start, unbounded. */
const WINDOW = { cursor: null, ownIds: [], maxBytes: Number.POSITIVE_INFINITY };

describe('createActivities with stub ports', () => {
  const crmTicket: CrmTicket = { id: '9', status: 'new', externalId: 'connect:T-1', requesterId: '5', assigneeId: null, comments: [] };
  const newTicket: NewCrmTicket = {
    externalId: 'connect:T-1',
    subject: 's',
    description: 'd',
    requester: { externalId: 'u', name: null, email: null },
    status: 'new',
    tags: [],
    idempotencyKey: 'key-1',
  };

  function stubs() {
    const source = {
      kind: 'connect',
      fetchTicket: jest.fn(),
      postSupportComment: jest.fn().mockResolvedValue({ commentId: '100', alreadyPresent: false }),
      setStatus: jest.fn(),
    } satisfies TicketSourcePort;
    const crm = {
      kind: 'stub',
      bridgeUserId: jest.fn(),
      findTicketByExternalId: jest.fn(),
      createTicket: jest.fn(),
      getTicket: jest.fn(),
      getTicketVersions: jest.fn(),
      addComment: jest.fn().mockResolvedValue({ commentId: '7', alreadyPresent: false }),
      setStatus: jest.fn(),
      setAssignee: jest.fn(),
    } satisfies CrmPort;
    return { source, crm, activities: createActivities({ sources: { connect: source, whitelabel: undefined }, crm }) };
  }

  it.each([
    ['rate-limited', 429, 5000, false, 5000],
    ['server-error', 503, null, false, undefined],
    ['network', null, null, false, undefined],
    ['conflict', 409, null, false, undefined],
    ['not-found', 404, null, true, undefined],
    ['unprocessable', 422, null, true, undefined],
    ['unauthorized', 401, null, true, undefined],
  ] as const)('turns IntegrationError %s into an ApplicationFailure of that type', async (kind, status, retryAfterMs, nonRetryable, nextRetryDelay) => {
    const { source, activities } = stubs();
    source.fetchTicket.mockRejectedValue(new IntegrationError(kind, 'connect', 'GET /tickets/{id}', `connect GET /tickets/{id}: ${kind}`, status, retryAfterMs));
    const failure = await rejection(run(1, activities.readSourceTicket, { source: 'connect', ticketId: 'T-1', window: WINDOW }));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: kind,
      message: `connect GET /tickets/{id}: ${kind}`,
      nonRetryable,
      nextRetryDelay,
      details: [{ service: 'connect', operation: 'GET /tickets/{id}', status }],
    });
  });

  it('lets anything that is not an IntegrationError propagate untouched', async () => {
    const { crm, activities } = stubs();
    const bug = new TypeError('cannot read properties of undefined');
    crm.getTicket.mockRejectedValue(bug);
    expect(await rejection(run(1, activities.readCrmTicket, { crmTicketId: '9', window: WINDOW, participants: { requesterId: '1', bridgeUserId: null } }))).toBe(bug);
  });

  it('fails for good when the source is not configured', async () => {
    const { activities } = stubs();
    const failure = await rejection(run(1, activities.readSourceTicket, { source: 'whitelabel', ticketId: 'x', window: WINDOW }));
    expect(failure).toMatchObject({ type: 'source-not-configured', nonRetryable: true });
  });

  it('checks for a landed comment only on a retried attempt', async () => {
    const { source, crm, activities } = stubs();
    const input = { afterCommentId: '99', excludeIds: ['42'] };
    await run(1, activities.postSourceComment, { source: 'connect', ticketId: 'T-1', body: 'hi', ...input });
    await run(2, activities.postSourceComment, { source: 'connect', ticketId: 'T-1', body: 'hi', ...input });
    expect(source.postSupportComment.mock.calls).toEqual([
      ['T-1', 'hi', { check: false, ...input }],
      ['T-1', 'hi', { check: true, ...input }],
    ]);
    const comment = { crmTicketId: '9', body: 'b', public: false, author: { as: 'bridge' } as const, ...input };
    await run(1, activities.addCrmComment, comment);
    await run(3, activities.addCrmComment, comment);
    expect(crm.addComment.mock.calls).toEqual([
      ['9', { body: 'b', public: false, author: { as: 'bridge' } }, { check: false, ...input }],
      ['9', { body: 'b', public: false, author: { as: 'bridge' } }, { check: true, ...input }],
    ]);
  });

  it('ensureCrmTicket returns the ticket found by external id without creating another', async () => {
    const { crm, activities } = stubs();
    crm.findTicketByExternalId.mockResolvedValue(crmTicket);
    // `found`: the workflow adopts a ticket it did not create (see TicketSync.link).
    expect(await run(1, activities.ensureCrmTicket, newTicket)).toEqual({ ...crmTicket, found: true });
    expect(crm.findTicketByExternalId).toHaveBeenCalledWith('connect:T-1');
    expect(crm.createTicket).not.toHaveBeenCalled();
  });

  it('ensureCrmTicket creates (with the idempotency key) when none is found', async () => {
    const { crm, activities } = stubs();
    crm.findTicketByExternalId.mockResolvedValue(null);
    crm.createTicket.mockResolvedValue(crmTicket);
    expect(await run(1, activities.ensureCrmTicket, newTicket)).toEqual({ ...crmTicket, found: false });
    expect(crm.createTicket).toHaveBeenCalledWith(newTicket);
  });

  it('ensureCrmTicket for an unseen ticket (rules 1.7) creates without the lookup on its first attempt, and looks on a retry', async () => {
    const { crm, activities } = stubs();
    crm.createTicket.mockResolvedValue(crmTicket);
    expect(await run(1, activities.ensureCrmTicket, { ...newTicket, unseen: true })).toEqual({ ...crmTicket, found: false });
    expect(crm.findTicketByExternalId).not.toHaveBeenCalled();
    expect(crm.createTicket).toHaveBeenCalledWith(newTicket);

    // The first attempt's create may have landed before it failed: the retry finds it.
    crm.findTicketByExternalId.mockResolvedValue(crmTicket);
    expect(await run(2, activities.ensureCrmTicket, { ...newTicket, unseen: true })).toEqual({ ...crmTicket, found: true });
    expect(crm.findTicketByExternalId).toHaveBeenCalledWith('connect:T-1');
    expect(crm.createTicket).toHaveBeenCalledTimes(1);
  });

  it('passes the other calls through to the ports', async () => {
    const { source, crm, activities } = stubs();
    await run(1, activities.setSourceStatus, { source: 'connect', ticketId: 'T-1', status: 'PENDING' });
    await run(1, activities.setCrmStatus, { crmTicketId: '9', status: 'solved' });
    expect(source.setStatus).toHaveBeenCalledWith('T-1', 'PENDING');
    expect(crm.setStatus).toHaveBeenCalledWith('9', 'solved', undefined);
  });

  it('assignCrmTicket maps the source assignee through the per-source resolver', async () => {
    const { crm } = stubs();
    const activities = createActivities({
      sources: { connect: undefined, whitelabel: undefined },
      crm: crm as unknown as CrmPort,
      assignees: { whitelabel: (ref) => (ref === 'mate-1' ? { crmAssigneeId: '77', mapped: true } : { crmAssigneeId: null, mapped: ref === null }) },
    });
    expect(await run(1, activities.assignCrmTicket, { crmTicketId: '9', source: 'whitelabel', assigneeRef: 'mate-1' })).toEqual({ crmAssigneeId: '77', mapped: true });
    expect(crm.setAssignee).toHaveBeenLastCalledWith('9', '77');
    expect(await run(1, activities.assignCrmTicket, { crmTicketId: '9', source: 'whitelabel', assigneeRef: 'mate-2' })).toEqual({ crmAssigneeId: null, mapped: false });
    expect(crm.setAssignee).toHaveBeenLastCalledWith('9', null);
    // A source without a resolver has nothing to map: unassigned, and "mapped" only when there is no assignee.
    expect(await run(1, activities.assignCrmTicket, { crmTicketId: '9', source: 'connect', assigneeRef: null })).toEqual({ crmAssigneeId: null, mapped: true });
  });
});

describe('activities over the real adapters and simulators', () => {
  let connect: ConnectSimulator;
  let zendesk: ZendeskSimulator;
  let activities: ReturnType<typeof createActivities>;

  beforeEach(async () => {
    connect = await ConnectSimulator.start({ apiKey: 'k' });
    zendesk = await ZendeskSimulator.start({ apiToken: 't', echoApiWrites: false });
    activities = createActivities({
      sources: { connect: new ConnectSource({ baseUrl: connect.url, apiKey: 'k' }), whitelabel: undefined },
      crm: new ZendeskCrm({ baseUrl: zendesk.apiUrl, email: 'bridge@example.test', apiToken: 't' }),
    });
  });
  afterEach(async () => {
    await connect.stop();
    await zendesk.stop();
  });

  it('a comment whose response was lost fails retryably, and the retried attempt does not post it twice', async () => {
    const { ticket } = await connect.userCreatesTicket({ title: 't', description: 'd' });
    connect.fault({ match: 'POST /tickets/:id/comment', kind: 'drop-after-write', times: 1 });
    const input = { source: 'connect' as const, ticketId: ticket.id, body: 'We are on it', afterCommentId: null, excludeIds: [] };
    const failure = await rejection(run(1, activities.postSourceComment, input));
    expect(failure).toMatchObject({ type: 'network', nonRetryable: false });
    const retried = await run(2, activities.postSourceComment, input);
    expect(retried.alreadyPresent).toBe(true);
    expect(connect.ticket(ticket.id)?.comments).toHaveLength(1);
  });

  it("honours Zendesk's Retry-After as the next retry delay", async () => {
    zendesk.fault({ kind: 'rate-limit', retryAfter: 42, times: 1 });
    const failure = await rejection(run(1, activities.findCrmTicket, { externalId: 'connect:T-1' }));
    expect(failure).toMatchObject({ type: 'rate-limited', nonRetryable: false, nextRetryDelay: 42_000 });
  });

  it('ensureCrmTicket creates once, then finds the same ticket', async () => {
    const input: NewCrmTicket = {
      externalId: 'connect:T-1',
      subject: 's',
      description: 'd',
      requester: { externalId: 'u', name: null, email: null },
      status: 'new',
      tags: [],
      idempotencyKey: 'k1',
    };
    const first = await run(1, activities.ensureCrmTicket, input);
    const second = await run(2, activities.ensureCrmTicket, { ...input, idempotencyKey: 'another key' });
    expect(second.id).toBe(first.id);
    expect(zendesk.tickets()).toHaveLength(1);
  });

  it("a message's status is not carried by a write that has no version: an agent's status since the read stands", async () => {
    // K3: without a known version the comment is written unconditionally; a status merged into
    // that write would be unconditional too and overwrite the agent's change.
    const ticket = await activities.ensureCrmTicket({
      externalId: 'connect:T-2',
      subject: 's',
      description: 'd',
      requester: { externalId: 'u', name: null, email: null },
      status: 'new',
      tags: [],
      idempotencyKey: 'k2',
    });
    await zendesk.agentSetsStatus(ticket.id, 'hold');
    const written = await run(1, activities.addCrmComment, {
      crmTicketId: ticket.id,
      body: 'Support note',
      public: false,
      author: { as: 'bridge' },
      afterCommentId: null,
      excludeIds: [],
      thenStatus: { status: 'open', condition: { version: null, status: 'new', afterCommentId: null, excludeIds: [] } },
    });
    expect(written.statusWrite).toEqual({ refused: 'write-conflict' });
    expect(zendesk.ticket(ticket.id)).toMatchObject({ status: 'hold' });
    expect(zendesk.comments(ticket.id).map((c) => c.body)).toContain('Support note');
  });

  it('a 404 on a write is a non-retryable not-found', async () => {
    const failure = await rejection(run(1, activities.setSourceStatus, { source: 'connect', ticketId: 'nope', status: 'OPEN' }));
    expect(failure).toMatchObject({ type: 'not-found', nonRetryable: true });
  });
});

describe('recommended retry policy', () => {
  it('backs off 1s ×2 up to 5 min, forever, without retrying 4xx kinds', () => {
    expect(TICKET_ACTIVITY_RETRY_POLICY).toMatchObject({
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '5m',
      maximumAttempts: Number.POSITIVE_INFINITY,
    });
    expect(TICKET_ACTIVITY_RETRY_POLICY.nonRetryableErrorTypes).toEqual(
      expect.arrayContaining(['bad-request', 'unauthorized', 'forbidden', 'not-found', 'unprocessable']),
    );
    expect(TICKET_ACTIVITY_RETRY_POLICY.nonRetryableErrorTypes).not.toContain('rate-limited');
    expect(TICKET_ACTIVITY_OPTIONS).toMatchObject({ startToCloseTimeout: '30s', retry: TICKET_ACTIVITY_RETRY_POLICY });
    expect(TICKET_ACTIVITY_OPTIONS.scheduleToCloseTimeout).toBeUndefined();
  });
});
