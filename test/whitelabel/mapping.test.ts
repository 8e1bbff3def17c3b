/** The seed's four events mapped onto the canonical model, and the status rule as a table. */
import { deriveStatus, toSourceFields, toSourceTicket } from '../../src/adapters/whitelabel/mapping';
import { whitelabelEventSchema, type WhitelabelTicket } from '../../src/adapters/whitelabel/schemas';
import type { SourceTicket } from '../../src/domain/ticket';
import {
  SEED_EVENTS,
  SEED_TICKET_ASSIGNED,
  SEED_TICKET_CREATED,
  SEED_TICKET_RESOLVED,
  SEED_TICKET_UPDATED,
} from '../../src/simulators/whitelabel/seed-events';

const ISSUE = 'the client is having issues with the billing settings ';
const GREETING = 'thanks for contacting our support an agent will be with you shortly ';
const INVESTIGATING = 'your request is under investigation we will provide an update as soon as possible ';
const REQUESTER = { externalId: '3463a4ee-5eba-45cd-9ef9-3f3a0f64329e', name: 'james doe', email: 'client.doe@plugnpaid.com' };

function mapped(event: unknown): SourceTicket {
  return toSourceTicket(whitelabelEventSchema.parse(event).data.ticket);
}

function support(id: string, body: string, createdAt: string) {
  return { id, author: 'SUPPORT' as const, body, createdAt, attachments: [] };
}

describe('the seed events', () => {
  it('all four pass the envelope schema', () => {
    for (const event of SEED_EVENTS) expect(whitelabelEventSchema.safeParse(event).success).toBe(true);
  });

  it('whitelabel_ticket_created', () => {
    expect(mapped(SEED_TICKET_CREATED)).toEqual({
      source: 'whitelabel',
      id: 'fbaddbf8-e290-4fa4-a3ed-fbb4837dabe1',
      status: 'NEW',
      title: 'help with account',
      description: ISSUE,
      requester: REQUESTER,
      assigneeRef: null,
      // The opening reply is the description only (as a comment too it would show twice in
      // Zendesk). Both replies share a second: the list order becomes +0 ms / +1 ms, so the
      // conversation order survives the canonical (createdAt, id) sort.
      comments: [support('39634217-9aa9-4a3c-8354-ef4bc2b9b08f', GREETING, '2022-12-19T17:55:27.001Z')],
      createdAt: '2022-12-19T17:55:27.000Z',
      // The newest reply time, so a reply added in the same second still makes a newer snapshot.
      updatedAt: '2022-12-19T17:55:27.001Z',
    });
  });

  it('whitelabel_ticket_updated', () => {
    expect(mapped(SEED_TICKET_UPDATED)).toEqual({
      source: 'whitelabel',
      id: 'fbaddbf8-e290-4fa4-a3ed-fbb4837dabe1',
      status: 'NEW',
      title: 'help with account',
      description: ISSUE,
      requester: REQUESTER,
      assigneeRef: null,
      comments: [
        support('39634217-9aa9-4a3c-8354-ef4bc2b9b08f', GREETING, '2022-12-19T17:55:27.001Z'),
        support('335ec843-395a-422c-aa61-2adef10ecf1a', INVESTIGATING, '2022-12-19T18:34:50.000Z'),
      ],
      createdAt: '2022-12-19T17:55:27.000Z',
      updatedAt: '2022-12-19T18:34:50.000Z',
    });
  });

  it('whitelabel_ticket_resolved', () => {
    expect(mapped(SEED_TICKET_RESOLVED)).toEqual({
      source: 'whitelabel',
      id: '8dc1869d-0a0b-4c78-b40c-5b25bfa337eb',
      status: 'SOLVED',
      title: 'help with account',
      description: ISSUE,
      requester: REQUESTER,
      assigneeRef: null,
      comments: [support('7dbc6406-3f5d-4c1e-b3d6-88cbc464c8d7', GREETING, '2022-12-19T15:04:20.001Z')],
      createdAt: '2022-12-19T15:04:19.000Z',
      updatedAt: '2022-12-19T18:58:16.000Z',
    });
  });

  it('whitelabel_ticket_assigned', () => {
    expect(mapped(SEED_TICKET_ASSIGNED)).toEqual({
      source: 'whitelabel',
      id: '46b1408f-190d-4ecc-8b65-302e4378497e',
      status: 'NEW',
      title: 'help with account',
      description: 'help with account',
      requester: REQUESTER,
      assigneeRef: 'b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac',
      comments: [support('4bb4e3b0-7ca7-415e-8a17-c07ddc29a87f', GREETING, '2022-12-19T14:47:00.001Z')],
      createdAt: '2022-12-19T14:47:00.000Z',
      updatedAt: '2022-12-19T19:22:54.000Z',
    });
  });
});

describe('deriveStatus', () => {
  const r = (isClient: boolean, at: number) => ({ id: `r${at}-${isClient}`, text: 'x', is_client_reply: isClient, created_at: at, assets: null });
  type Replies = WhitelabelTicket['replies'];

  it.each<[string, string, boolean, Replies]>([
    ['closed, whatever the replies', 'SOLVED', false, [r(true, 1)]],
    ['closed, no replies', 'SOLVED', false, []],
    ['open, no replies', 'NEW', true, []],
    ['open, only agent replies', 'NEW', true, [r(false, 1), r(false, 2)]],
    ['open, only a client reply', 'OPEN', true, [r(true, 1)]],
    ['client after agent', 'OPEN', true, [r(false, 1), r(true, 2)]],
    ['agent after client', 'PENDING', true, [r(true, 1), r(false, 2)]],
    ['client, agent, client', 'OPEN', true, [r(true, 1), r(false, 2), r(true, 3)]],
    ['listed out of order: by created_at, the agent spoke last', 'PENDING', true, [r(false, 5), r(true, 2)]],
    ['listed out of order: by created_at, the client spoke last', 'OPEN', true, [r(true, 5), r(false, 2)]],
    ['same second: list order decides (agent last)', 'PENDING', true, [r(true, 3), r(false, 3)]],
    ['same second: list order decides (client last)', 'OPEN', true, [r(false, 3), r(true, 3)]],
  ])('%s → %s', (_label, expected, isOpen, replies) => {
    expect(deriveStatus({ is_open: isOpen, replies })).toBe(expected);
  });
});

describe('toSourceTicket details', () => {
  const base = SEED_TICKET_CREATED.data.ticket;
  const ticket = (patch: Partial<WhitelabelTicket>): WhitelabelTicket =>
    whitelabelEventSchema.parse({ ...SEED_TICKET_CREATED, data: { ticket: { ...base, ...patch } } }).data.ticket;

  it('client replies become USER comments, agent replies SUPPORT; the opening reply is the description only', () => {
    const t = toSourceTicket(
      ticket({
        replies: [
          { id: 'o', text: 'my invoice is wrong', is_client_reply: true, created_at: 5, assets: null },
          { id: 'a', text: 'hello', is_client_reply: true, created_at: 10, assets: null },
          { id: 'b', text: 'hi', is_client_reply: false, created_at: 20, assets: null },
        ],
      }),
    );
    expect(t.description).toBe('my invoice is wrong');
    expect(t.comments.map((c) => [c.id, c.author, c.body, c.createdAt])).toEqual([
      ['a', 'USER', 'hello', '1970-01-01T00:00:10.000Z'],
      ['b', 'SUPPORT', 'hi', '1970-01-01T00:00:20.000Z'],
    ]);
    expect(t.status).toBe('PENDING');
  });

  it("the opening reply's assets are the description's files (strings, or objects' url; anything else skipped)", () => {
    const assets = ['https://files.example/p.jpg', { url: 'https://files.example/q.pdf', name: 'q' }, { id: 7 }];
    const t = toSourceTicket(ticket({ replies: [{ id: 'o', text: 'see photo', is_client_reply: true, created_at: 5, assets }] }));
    expect(t.description).toBe('see photo');
    expect(t.descriptionAttachments).toEqual(['https://files.example/p.jpg', 'https://files.example/q.pdf']);
    expect(t.comments).toEqual([]);
    // A later reply's assets are its comment's attachments.
    const later = { id: 'r', text: 'and this', is_client_reply: true, created_at: 9, assets: ['https://files.example/r.png'] };
    const both = toSourceTicket(ticket({ replies: [{ id: 'o', text: 'hi', is_client_reply: true, created_at: 5, assets: null }, later] }));
    expect(both).not.toHaveProperty('descriptionAttachments');
    expect(both.comments.map((c) => c.attachments)).toEqual([['https://files.example/r.png']]);
  });

  it('a ticket with only its opening reply has no comments', () => {
    const t = toSourceTicket(ticket({ replies: [{ id: 'o', text: 'help', is_client_reply: true, created_at: 5, assets: null }] }));
    expect([t.description, t.comments, t.status]).toEqual(['help', [], 'OPEN']);
  });

  it('keeps the list order of same-second replies, whatever their ids, in every later snapshot', () => {
    const a = { id: 'ffff', text: 'first', is_client_reply: true, created_at: 100, assets: null };
    const b = { id: '0000', text: 'second', is_client_reply: false, created_at: 100, assets: null };
    const c = { id: '8888', text: 'third', is_client_reply: true, created_at: 100, assets: null };
    const before = toSourceTicket(ticket({ updated_at: 100, replies: [a, b] }));
    const after = toSourceTicket(ticket({ updated_at: 100, replies: [a, b, c] }));
    // 'first' opens the ticket (the description); the others keep their list-order milliseconds.
    expect([after.description, ...after.comments.map((x) => [x.body, x.createdAt])]).toEqual([
      'first',
      ['second', '1970-01-01T00:01:40.001Z'],
      ['third', '1970-01-01T00:01:40.002Z'],
    ]);
    // Each reply keeps its time as replies are appended: the workflow's cursor stays valid.
    expect(before.comments).toHaveLength(1);
    expect(after.comments.slice(0, 1)).toEqual(before.comments);
    // And the snapshot with the extra reply reads as newer, though updated_at did not move.
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
  });

  it('the description is the earliest reply, even when listed later', () => {
    const t = toSourceTicket(
      ticket({
        replies: [
          { id: 'late', text: 'second', is_client_reply: false, created_at: 20, assets: null },
          { id: 'early', text: 'first', is_client_reply: true, created_at: 10, assets: null },
        ],
      }),
    );
    expect(t.description).toBe('first');
  });

  it.each([
    ['no replies', []],
    ['a blank first reply', [{ id: 'a', text: '  ', is_client_reply: true, created_at: 1, assets: null }]],
  ])('falls back to the title with %s', (_label, replies) => {
    expect(toSourceTicket(ticket({ title: 'the title', replies })).description).toBe('the title');
  });

  it('maps assets to attachment URLs: strings and objects with a url', () => {
    const t = toSourceTicket(
      ticket({
        replies: [
          { id: 'o', text: 'opening', is_client_reply: true, created_at: 1, assets: null },
          {
            id: 'a',
            text: 'see attached',
            is_client_reply: true,
            created_at: 2,
            assets: ['https://files.example/1.png', { url: 'https://files.example/2.pdf', name: 'x' }, { name: 'no url' }],
          },
        ],
      }),
    );
    expect(t.comments.map((c) => [c.id, c.attachments])).toEqual([['a', ['https://files.example/1.png', 'https://files.example/2.pdf']]]);
  });

  it.each([
    ['a blank name and e-mail', { id: 'c1', name: ' ', email: '' }, { externalId: 'c1', name: null, email: null }],
    ['null name and e-mail', { id: 'c1', name: null, email: null }, { externalId: 'c1', name: null, email: null }],
    ['an e-mail Zendesk would refuse', { id: 'c1', name: 'Ann', email: 'not-an-email' }, { externalId: 'c1', name: 'Ann', email: null }],
  ])('requester with %s', (_label, client, expected) => {
    expect(toSourceTicket(ticket({ client })).requester).toEqual(expected);
  });
});

describe('toSourceFields (what a MAPPING_FILE reads)', () => {
  const ticket = whitelabelEventSchema.parse(SEED_TICKET_CREATED).data.ticket;

  it("the seed's category, subcategory and language", () => {
    expect(toSourceFields(ticket)).toEqual({ category: 'general support', subcategory: null, language: 'en' });
  });

  it('documented without a firm shape: a number becomes text, anything else is unset', () => {
    expect(toSourceFields({ ...ticket, category: 7, subcategory: { id: 'x' }, language: ['en'] } as WhitelabelTicket)).toEqual({
      category: '7',
      subcategory: null,
      language: null,
    });
  });
});
