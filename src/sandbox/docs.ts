/**
 * The sandbox's play routes in `/openapi.json` (tag `sandbox`), from the schemas they validate
 * with. test/api/openapi.test.ts checks them against the routes a sandbox mounts.
 */
import { z } from 'zod';
import { errorBody, type ResponseDoc, type RouteDoc } from '../api/docs/route-docs';
import { agentSchemas } from './agent';
import type { HelpdeskTerms } from './helpdesk';
import type { TourSides } from './tour';
import { newUserTicket, resolution, userComment } from './user';
import { assignment, newPlatformTicket, platformReply } from './whitelabel';

const error = (description: string): ResponseDoc => ({ description, schema: errorBody });
const ok = (description: string): ResponseDoc => ({ description, schema: z.looseObject({}) });
const invalid = error('Invalid body: `issues` names each field, unknown fields included.');

const appTicket = z.object({ ticketId: z.string().meta({ description: 'The app ticket id (`T-1001`).', example: 'T-1001' }) });
const platformTicket = z.object({ ticketId: z.guid().meta({ description: 'The white-label ticket id.' }) });

const route = (doc: Omit<RouteDoc, 'tags'>): RouteDoc => ({ ...doc, tags: ['sandbox'] });

const userDocs = (helpdesk: string): RouteDoc[] => [
  route({
    method: 'post',
    path: '/sandbox/user/tickets',
    operationId: 'sandboxUserCreatesTicket',
    summary: 'The end user opens a ticket in the app (Connect sends CREATE).',
    body: { schema: newUserTicket },
    responses: { 200: { description: 'Its id.', schema: z.object({ ticketId: z.string() }) }, 400: invalid },
  }),
  route({
    method: 'post',
    path: '/sandbox/user/tickets/:ticketId/comments',
    operationId: 'sandboxUserComments',
    summary: 'The end user comments (the ticket becomes OPEN).',
    params: appTicket,
    body: { schema: userComment },
    responses: { 200: ok('Done.'), 400: invalid, 404: error('No such ticket.'), 409: error('The ticket is CLOSED.') },
  }),
  route({
    method: 'post',
    path: '/sandbox/user/tickets/:ticketId/resolution',
    operationId: 'sandboxUserAnswersResolution',
    summary: 'The end user answers "was it resolved?": yes (CLOSED) or no with `details` (a comment; PENDING).',
    description: 'Waits up to 15 s for the ticket to be SOLVED in the app (the bridge carries the agent\'s "solved" there).',
    params: appTicket,
    body: { schema: resolution },
    responses: { 200: ok('Done: the new status.'), 400: invalid, 404: error('No such ticket.'), 409: error('The ticket is not SOLVED.') },
  }),
  route({
    method: 'delete',
    path: '/sandbox/user/tickets/:ticketId',
    operationId: 'sandboxUserDeletesTicket',
    summary: `The end user deletes the ticket (Connect sends DELETE); ${helpdesk} keeps its side.`,
    params: appTicket,
    responses: { 200: ok('Deleted.'), 404: error('No such ticket.') },
  }),
  route({
    method: 'get',
    path: '/sandbox/tickets/:ticketId',
    operationId: 'sandboxBothSides',
    summary: `Both sides of an app ticket: the app (or \`deleted\`) and its ${helpdesk} ticket (null until the bridge created it).`,
    params: appTicket,
    responses: { 200: ok('Both sides.'), 404: error('Neither side knows the ticket.') },
  }),
];

function agentDocs(helpdesk: HelpdeskTerms): RouteDoc[] {
  const { name } = helpdesk;
  const schemas = agentSchemas(helpdesk);
  return [
    route({
      method: 'post',
      path: '/sandbox/agent/tickets/:ticketId/replies',
      operationId: 'sandboxAgentReplies',
      summary: `The agent replies in ${name} (\`public: false\`: an internal note).`,
      description: `By a source ticket id, waits up to 15 s for the bridge to have created the ${name} ticket.`,
      params: schemas.params,
      body: { schema: schemas.reply },
      responses: { 200: ok('The comment.'), 400: invalid, 404: error('No such ticket (yet).'), 409: error(`The ${name} ticket is closed.`) },
    }),
    route({
      method: 'post',
      path: '/sandbox/agent/tickets/:ticketId/status',
      operationId: 'sandboxAgentSetsStatus',
      summary: `The agent sets the ${name} status (\`${helpdesk.solvedStatus}\` solves it).`,
      description: 'When the ticket already has that status, waits up to 15 s for the bridge to move it first (e.g. reopen it after a "not resolved").',
      params: schemas.params,
      body: { schema: schemas.status },
      responses: { 200: ok('The new status.'), 400: invalid, 404: error('No such ticket (yet).'), 409: error('Closed, or already that status.') },
    }),
  ];
}

const platformDocs = (helpdesk: string): RouteDoc[] => [
  route({
    method: 'post',
    path: '/sandbox/whitelabel/seed',
    operationId: 'sandboxPlatformSeed',
    summary: "The platform docs' four example events, sent as the platform sends them.",
    responses: { 200: ok('The tickets and the webhook answers.') },
  }),
  route({
    method: 'post',
    path: '/sandbox/whitelabel/tickets',
    operationId: 'sandboxPlatformClientCreatesTicket',
    summary: "The platform's client opens a ticket (id `00000000-0000-4000-8000-<n>`, the next free n).",
    body: { schema: newPlatformTicket },
    responses: { 200: ok('Its id.'), 400: invalid },
  }),
  ...(['replies', 'teammate-replies'] as const).map((kind) =>
    route({
      method: 'post',
      path: `/sandbox/whitelabel/tickets/:ticketId/${kind}`,
      operationId: kind === 'replies' ? 'sandboxPlatformClientReplies' : 'sandboxPlatformTeammateReplies',
      summary: kind === 'replies' ? 'The client replies.' : "A teammate replies in the platform's own inbox.",
      params: platformTicket,
      body: { schema: platformReply },
      responses: { 200: ok('The webhook answers.'), 400: invalid, 404: error('No such ticket.') },
    }),
  ),
  route({
    method: 'post',
    path: '/sandbox/whitelabel/tickets/:ticketId/assign',
    operationId: 'sandboxPlatformAssigns',
    summary: `The ticket is assigned to a teammate (the bridge assigns the ${helpdesk} ticket to the mapped agent).`,
    params: platformTicket,
    body: { schema: assignment, required: false },
    responses: { 200: ok('The webhook answers.'), 400: invalid, 404: error('No such ticket.') },
  }),
  route({
    method: 'post',
    path: '/sandbox/whitelabel/tickets/:ticketId/resolve',
    operationId: 'sandboxPlatformResolves',
    summary: 'The client resolves the ticket.',
    params: platformTicket,
    responses: { 200: ok('The webhook answers.'), 404: error('No such ticket.') },
  }),
  route({
    method: 'get',
    path: '/sandbox/whitelabel/tickets/:ticketId',
    operationId: 'sandboxPlatformBothSides',
    summary: `Both sides of a white-label ticket: the platform and its ${helpdesk} ticket.`,
    params: platformTicket,
    responses: { 200: ok('Both sides.'), 404: error('No such ticket.') },
  }),
];

/** The docs of the routes a sandbox with these simulated sides mounts (see `startSandbox`). */
export function sandboxRouteDocs(sides: TourSides, helpdesk: HelpdeskTerms): RouteDoc[] {
  const { name } = helpdesk;
  return [...(sides.connect ? userDocs(name) : []), ...(sides.helpdesk ? agentDocs(helpdesk) : []), ...(sides.whitelabel ? platformDocs(name) : [])];
}
