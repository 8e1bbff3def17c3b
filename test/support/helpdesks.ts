/**
 * The helpdesk of an end-to-end suite, whichever it is (issue 20): what a scenario does in it
 * (an agent's reply, note, status change, assignment, file), what it reads of it (the ticket the
 * bridge made, its status in the bridge's words, its messages with their authors and files) and
 * the faults it injects on a kind of request, each played on the Zendesk or the Freshdesk
 * simulator of a bridge rig (`rig.helpdesk`). A suite runs its scenarios once per helpdesk
 * (`describe.each(HELPDESKS)`, `rigPerSuite({ crm })`) and names neither.
 */
import type { CrmKind } from '../../src/config/freshdesk';
import { CRM_NAMES } from '../../src/config/freshdesk';
import { DEFAULT_FRESHDESK_STATUSES } from '../../src/adapters/freshdesk/statuses';
import type { CrmStatus, SourceKind } from '../../src/domain/ticket';
import { crmExternalId } from '../../src/domain/ticket';
import type { FaultHandle, FaultSpec } from '../../src/simulators/common/faults';
import type { RequestLogEntry } from '../../src/simulators/common/sim-server';
import type { FreshdeskSimulator } from '../../src/simulators/freshdesk';
import type { ZendeskSimulator } from '../../src/simulators/zendesk';
import { eventually } from '../harness';

export const HELPDESKS: readonly CrmKind[] = ['zendesk', 'freshdesk'];

/** A file on a helpdesk message, with its bytes as the helpdesk stores them. */
export interface HelpdeskFile {
  id: number;
  name: string;
  contentType: string;
  size: number;
  bytes: Buffer;
  /** The last segment of the path the helpdesk serves it at (its token, its id). */
  downloadKey: string;
}

/** One message of a helpdesk ticket, the opening one first, as its agents see it. */
export interface HelpdeskMessage {
  id: number;
  author: 'requester' | 'bridge' | 'agent' | 'other';
  public: boolean;
  text: string;
  files: HelpdeskFile[];
}

/** A file an agent attaches. */
export interface AgentFile {
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

/** The statuses an agent sets, in the bridge's words. */
export type AgentStatus = Exclude<CrmStatus, 'new' | 'hold'>;

/**
 * Kinds of request the bridge makes of a helpdesk, for faults and request counts. On Zendesk a
 * comment and a status are both `PUT /tickets/:id.json` (one write); on Freshdesk a comment is a
 * note, a status a ticket update.
 */
export type HelpdeskRequest = 'comment write' | 'status write' | 'comments read' | 'file upload' | 'file download';

export interface Helpdesk {
  readonly kind: CrmKind;
  /** As the bridge's timeline and notes name it. */
  readonly name: string;
  /** The agent scenarios act as. */
  readonly agentId: number;
  /** Waits for the ticket the bridge creates for a source ticket; its id. */
  ticketFor(sourceTicketId: string, source?: SourceKind): Promise<number>;
  /** Its status in the bridge's words; its assignee. */
  status(ticketId: number): CrmStatus;
  assignee(ticketId: number): number | null;
  /** A pattern of the version the bridge records of the ticket as it is now (its fingerprints, the memo). */
  versionPattern(ticketId: number): string;
  /** Every message, the opening one first. */
  messages(ticketId: number): HelpdeskMessage[];
  /** The text of every message, the opening one first. */
  texts(ticketId: number): string[];
  agentReplies(ticketId: number, text: string, opts?: { status?: AgentStatus; asBridgeUser?: boolean; attachments?: readonly AgentFile[] }): Promise<void>;
  agentAddsNote(ticketId: number, text: string, opts?: { attachments?: readonly AgentFile[] }): Promise<void>;
  agentSetsStatus(ticketId: number, status: AgentStatus): Promise<void>;
  agentAssigns(ticketId: number, agentId: number | null): Promise<void>;
  /** A fault on every request of these kinds (one fault per route, however many kinds share it). */
  fault(kinds: readonly HelpdeskRequest[], spec: Omit<FaultSpec, 'match'>): FaultHandle;
  requests(kind?: HelpdeskRequest): RequestLogEntry[];
  /** The requests that downloaded this file. */
  downloadsOf(file: HelpdeskFile): RequestLogEntry[];
}

/** The helpdesk a rig runs on: Freshdesk when it has one, else Zendesk. */
export function helpdeskOf(sims: { zendesk: ZendeskSimulator; freshdesk: FreshdeskSimulator | null }): Helpdesk {
  return sims.freshdesk ? freshdeskHelpdesk(sims.freshdesk) : zendeskHelpdesk(sims.zendesk);
}

const ZENDESK_ROUTES: Record<HelpdeskRequest, string> = {
  'comment write': 'PUT /tickets/:id.json',
  'status write': 'PUT /tickets/:id.json',
  'comments read': 'GET /tickets/:id/comments.json',
  'file upload': 'POST /uploads.json',
  'file download': 'GET /attachments/token/:token/',
};

const FRESHDESK_ROUTES: Record<HelpdeskRequest, string> = {
  // The requester's messages and the bridge's internal notes are both notes.
  'comment write': 'POST /tickets/:id/notes',
  'status write': 'PUT /tickets/:id',
  'comments read': 'GET /tickets/:id/conversations',
  // Files travel inside the note (multipart): the upload is the note.
  'file upload': 'POST /tickets/:id/notes',
  'file download': 'GET /files/:id',
};

/** `ticketFor` of a helpdesk that finds its tickets by the bridge's id (`connect:42`). */
function waitForTicket(byExternalId: (externalId: string) => { id: number } | undefined): Helpdesk['ticketFor'] {
  return (sourceTicketId, source = 'connect') =>
    eventually(() => {
      const ticket = byExternalId(crmExternalId(source, sourceTicketId));
      if (!ticket) throw new Error(`no helpdesk ticket for ${source} ticket ${sourceTicketId} yet`);
      return ticket.id;
    });
}

/** One handle over faults on several routes: its hits are theirs together. */
function faultOn(add: (spec: FaultSpec) => FaultHandle, routes: Record<HelpdeskRequest, string>, kinds: readonly HelpdeskRequest[], spec: Omit<FaultSpec, 'match'>): FaultHandle {
  const handles = [...new Set(kinds.map((k) => routes[k]))].map((match) => add({ ...spec, match }));
  return {
    spec: handles[0]!.spec,
    get hits() {
      return handles.reduce((n, h) => n + h.hits, 0);
    },
    remove: () => handles.forEach((h) => h.remove()),
  };
}

function zendeskHelpdesk(zendesk: ZendeskSimulator): Helpdesk {
  const ticket = (id: number) => {
    const t = zendesk.ticket(id);
    if (!t) throw new Error(`no Zendesk ticket ${id}`);
    return t;
  };
  const author = (requesterId: number, userId: number): HelpdeskMessage['author'] =>
    userId === requesterId ? 'requester' : userId === zendesk.bridgeUser.id ? 'bridge' : zendesk.user(userId)?.role === 'end-user' ? 'other' : 'agent';
  const messages = (id: number): HelpdeskMessage[] => {
    const requesterId = ticket(id).requester_id;
    return zendesk.comments(id).map((c) => ({
      id: c.id,
      author: author(requesterId, c.author_id),
      public: c.public,
      text: c.body,
      files: c.attachments.map((a) => ({
        id: a.id,
        name: a.file_name,
        contentType: a.content_type,
        size: a.size,
        bytes: zendesk.attachment(a.id)!.bytes,
        downloadKey: lastSegment(new URL(a.content_url).pathname),
      })),
    }));
  };
  const files = (attachments: readonly AgentFile[] | undefined) => attachments && { attachments };
  return {
    kind: 'zendesk',
    name: CRM_NAMES.zendesk,
    agentId: zendesk.agent.id,
    ticketFor: waitForTicket((externalId) => zendesk.ticketByExternalId(externalId)),
    status: (id) => ticket(id).status,
    assignee: (id) => ticket(id).assignee_id,
    versionPattern: (id) => escapeRegExp(ticket(id).updated_at),
    messages,
    texts: (id) => messages(id).map((m) => m.text),
    agentReplies: async (id, text, opts = {}) => {
      await zendesk.agentReplies(id, text, {
        ...(opts.status && { status: opts.status }),
        ...(opts.asBridgeUser && { agentId: zendesk.bridgeUser.id }),
        ...files(opts.attachments),
      });
    },
    agentAddsNote: async (id, text, opts = {}) => {
      await zendesk.agentAddsNote(id, text, { ...files(opts.attachments) });
    },
    agentSetsStatus: async (id, status) => {
      await zendesk.agentSetsStatus(id, status);
    },
    agentAssigns: async (id, agentId) => {
      await zendesk.agentAssigns(id, agentId);
    },
    fault: (kinds, spec) => faultOn((s) => zendesk.fault(s), ZENDESK_ROUTES, kinds, spec),
    requests: (kind) => zendesk.requests(kind ? ZENDESK_ROUTES[kind] : '*'),
    downloadsOf: (file) => zendesk.requests(ZENDESK_ROUTES['file download']).filter((r) => lastSegment(r.path) === file.downloadKey),
  };
}

/** Freshdesk's built-in status numbers by the bridge's words. */
const FRESHDESK_CODES = new Map([...DEFAULT_FRESHDESK_STATUSES].map(([code, status]) => [status, code]));

function freshdeskHelpdesk(freshdesk: FreshdeskSimulator): Helpdesk {
  const ticket = (id: number) => {
    const t = freshdesk.ticket(id);
    if (!t) throw new Error(`no Freshdesk ticket ${id}`);
    return t;
  };
  const code = (status: AgentStatus) => FRESHDESK_CODES.get(status)!;
  const author = (requesterId: number, userId: number): HelpdeskMessage['author'] =>
    userId === requesterId ? 'requester' : userId === freshdesk.apiAgent.id ? 'bridge' : freshdesk.user(userId)?.role === 'agent' ? 'agent' : 'other';
  const file = (a: { id: number; name: string; content_type: string; size: number }): HelpdeskFile => ({
    id: a.id,
    name: a.name,
    contentType: a.content_type,
    size: a.size,
    bytes: freshdesk.file(a.id)!.bytes,
    downloadKey: String(a.id),
  });
  // The description (and its files) is the opening message; conversations are rendered from HTML.
  const messages = (id: number): HelpdeskMessage[] => {
    const t = ticket(id);
    return [
      { id: t.id, author: 'requester', public: true, text: t.description_text, files: t.attachments.map(file) },
      ...freshdesk.conversations(id).map((c) => ({ id: c.id, author: author(t.requester_id, c.user_id), public: !c.private, text: c.body_text, files: c.attachments.map(file) })),
    ];
  };
  const files = (attachments: readonly AgentFile[] | undefined) =>
    attachments && { attachments: attachments.map((f) => ({ name: f.fileName, contentType: f.contentType, bytes: f.bytes })) };
  return {
    kind: 'freshdesk',
    name: CRM_NAMES.freshdesk,
    agentId: freshdesk.agent.id,
    ticketFor: waitForTicket((externalId) => freshdesk.ticketByExternalId(externalId)),
    status: (id) => DEFAULT_FRESHDESK_STATUSES.get(ticket(id).status) ?? 'hold',
    assignee: (id) => ticket(id).responder_id,
    // `updated_at`'s second, settled (.000) or provisional (.999): see `withVersion` in the adapter.
    versionPattern: (id) => `${escapeRegExp(ticket(id).updated_at.replace(/Z$/, ''))}\\.(000|999)Z`,
    messages,
    texts: (id) => messages(id).map((m) => m.text),
    agentReplies: async (id, text, opts = {}) => {
      await freshdesk.agentReplies(id, text, {
        ...(opts.status && { status: code(opts.status) }),
        ...(opts.asBridgeUser && { agentId: freshdesk.apiAgent.id }),
        ...files(opts.attachments),
      });
    },
    agentAddsNote: async (id, text, opts = {}) => {
      await freshdesk.agentAddsNote(id, text, { ...files(opts.attachments) });
    },
    agentSetsStatus: async (id, status) => {
      await freshdesk.agentSetsStatus(id, code(status));
    },
    agentAssigns: async (id, agentId) => {
      await freshdesk.agentAssigns(id, agentId);
    },
    fault: (kinds, spec) => faultOn((s) => freshdesk.fault(s), FRESHDESK_ROUTES, kinds, spec),
    requests: (kind) => freshdesk.requests(kind ? FRESHDESK_ROUTES[kind] : '*'),
    downloadsOf: (file) => freshdesk.requests(FRESHDESK_ROUTES['file download']).filter((r) => lastSegment(r.path) === file.downloadKey),
  };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const lastSegment = (path: string) => path.split('/').filter(Boolean).at(-1) ?? '';
