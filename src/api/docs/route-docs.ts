/**
 * Every route of the HTTP API, described by the zod schemas it validates with, for the generated
 * OpenAPI document (./openapi.ts). A new route needs an entry here: test/api/openapi.test.ts
 * compares this list with the routes the express app actually registers.
 */
import { z } from 'zod';
import { whitelabelEventSchema } from '../../adapters/whitelabel/schemas';
import { CODEC_DECODE_PATH, CODEC_ENCODE_PATH, payloadsBody } from '../codec/router';
import { METRICS_PATH } from '../metrics';
import {
  closeBody,
  idempotencyKey,
  listTicketsQuery,
  pauseBody,
  rejectedError,
  resumeBody,
  resyncBody,
  ticketDetails,
  ticketPage,
  ticketPathParams,
  ticketStateView,
  updateAccepted,
} from '../ops/schemas';
import { OPS_PATHS } from '../ops/router';
import { connectWebhookBody } from '../webhooks/connect';
import { WHITELABEL_WEBHOOK_PATH } from '../webhooks/whitelabel';
import { zendeskWebhookBody } from '../webhooks/zendesk-payload';
import { freshdeskWebhookBody } from '../webhooks/freshdesk';
import type { ResponseDoc, RouteDoc } from './route-doc';

export { type ResponseDoc, type RouteDoc, SECURITY_SCHEMES, type SecuritySchemeName } from './route-doc';

/** The operator's workflow updates behind `POST /tickets/{source}/{ticketId}/<name>`. */
const OPERATOR_UPDATES = {
  resync: {
    summary: 'Sync both sides now (a webhook was lost, a remote was fixed): the `resync` workflow update.',
    body: { schema: resyncBody, required: false },
  },
  close: { summary: 'Close the ticket on both sides now: the `close` workflow update.', body: { schema: closeBody } },
  pause: {
    summary:
      'Stop syncing the ticket until `resume`: the `pause` workflow update. Notifications are kept as pending work, nothing is written to either side; it answers once no sync is running.',
    body: { schema: pauseBody },
  },
  resume: {
    summary: 'Sync a paused ticket again: the `resume` workflow update. One sync reads both sides, so what was said during the pause arrives once; it answers with the state after it.',
    body: { schema: resumeBody, required: false },
  },
} as const;

// --- shared response schemas ----------------------------------------------------------------

export const errorBody = z
  .looseObject({
    error: z.string().meta({ description: 'A stable error code: invalid_request, unauthorized, not_found, rejected, temporal_unavailable, ...' }),
    issues: z
      .array(z.object({ path: z.string().meta({ description: 'The offending field, e.g. `ticketId`; `(body)` for the body itself' }), message: z.string() }))
      .optional(),
    message: z.string().optional(),
  })
  .meta({ id: 'Error' });

const error = (description: string): ResponseDoc => ({ description, schema: errorBody });

const common = {
  400: error('Invalid request: `issues` names each offending field.'),
  401: error('Missing or wrong credentials.'),
  413: error('Body larger than the limit.'),
  503: error('Temporal is unreachable: nothing was recorded, retry (Retry-After).'),
} as const;

const webhook503 = error(
  'Temporal is unreachable and the inbox cannot take it (full, or a disk error), or too many bodies are in flight (`server_busy`, refused before the body is read): nothing was recorded, retry (Retry-After).',
);
/** Webhook bodies are never inflated (issue 23): refused from the header, before the body is read. */
const webhook415 = error('`Content-Encoding` other than identity (compressed bodies are not accepted; `header` names it).');

const webhookAccepted = z.object({
  accepted: z.literal(true),
  workflowId: z.string().meta({ example: 'ticket/connect/42' }),
  outcome: z.enum(['signalled', 'queued', 'ignored']).meta({
    description:
      '`signalled`: Temporal has it. `queued`: Temporal is unreachable; the notification is on disk in the API inbox and will be delivered. `ignored`: the ticket workflow already completed.',
  }),
});

const inboxHealthBody = z.object({
  queued: z.number().int().meta({ description: 'Webhooks waiting in the inbox for Temporal.' }),
  oldestAgeSeconds: z.number().int().nullable().meta({ description: 'How long the oldest has waited; null when none waits.' }),
  unreadable: z.number().int().meta({ description: 'Entries set aside because they cannot be read back.' }),
  maxEntries: z.number().int(),
});

const zendeskAccepted = z.object({
  accepted: z.literal(true),
  outcome: z.enum(['signalled', 'queued', 'ignored']),
  workflowId: z.string().optional(),
  reason: z.enum(['no-workflow', 'not-running', 'known']).optional(),
});

const ticketParams = ticketPathParams;

// --- the routes -----------------------------------------------------------------------------

export const API_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    summary: 'Liveness: the process serves HTTP (never touches Temporal).',
    tags: ['health'],
    responses: { 200: { description: 'Alive.', schema: z.object({ status: z.literal('ok') }) } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    summary: 'Readiness: the API can take webhooks (Temporal answers, or the inbox queues them).',
    tags: ['health'],
    responses: {
      200: {
        description: '`ready`: Temporal answers. `queueing`: it does not, and webhooks go to the inbox.',
        schema: z.object({
          status: z.enum(['ready', 'queueing']),
          temporal: z.enum(['up', 'unavailable']).optional(),
          inbox: inboxHealthBody.optional(),
        }),
      },
      503: error('Temporal is unreachable and the inbox cannot take webhooks either.'),
    },
  },
  {
    method: 'post',
    path: '/webhooks/connect',
    operationId: 'connectWebhook',
    summary: "The Connect platform's ticket notification.",
    description:
      'Answers 202 once Temporal has the signal, or once it is queued on disk while Temporal is unreachable; the workflow reads the ticket back from Connect.',
    tags: ['webhooks'],
    security: ['connectToken'],
    body: { schema: connectWebhookBody },
    responses: {
      202: { description: 'Temporal has it, or the inbox does.', schema: webhookAccepted },
      ...common,
      415: error('Body is not JSON, or compressed (`Content-Encoding`, refused before the body is read).'),
      503: webhook503,
    },
  },
  {
    method: 'post',
    path: '/webhooks/zendesk',
    operationId: 'zendeskWebhook',
    summary: 'A Zendesk ticket changed (event subscription or trigger payload).',
    description: 'Signed by Zendesk over the raw body. A notification only: the workflow reads the ticket back from Zendesk.',
    tags: ['webhooks'],
    security: ['zendeskSignature'],
    headers: z.object({ 'X-Zendesk-Webhook-Signature-Timestamp': z.string().meta({ description: 'The signed timestamp (ISO-8601).' }) }),
    body: { schema: zendeskWebhookBody },
    responses: {
      202: { description: 'Signalled, queued in the inbox, or authentic but nothing to do.', schema: zendeskAccepted },
      400: common[400],
      401: error('Signature or timestamp header missing or malformed (an unreadable timestamp too), signature wrong, or timestamp outside the window (`reason` says which).'),
      413: common[413],
      415: webhook415,
      503: webhook503,
    },
  },
  {
    method: 'post',
    path: '/webhooks/freshdesk',
    operationId: 'freshdeskWebhook',
    summary: "A Freshdesk ticket changed (an automation rule's Trigger webhook action).",
    description: 'Unsigned by Freshdesk: authenticated by the token in its URL. A notification only: the workflow reads the ticket back from Freshdesk.',
    tags: ['webhooks'],
    security: ['freshdeskToken'],
    body: { schema: freshdeskWebhookBody },
    responses: {
      202: { description: 'Signalled, queued in the inbox, or authentic but nothing to do.', schema: zendeskAccepted },
      ...common,
      415: webhook415,
      503: webhook503,
    },
  },
  {
    method: 'post',
    path: WHITELABEL_WEBHOOK_PATH,
    operationId: 'whitelabelWebhook',
    summary: "The white-label platform's ticketing event (carries the whole ticket).",
    tags: ['webhooks'],
    security: ['whitelabelSignature'],
    body: { schema: whitelabelEventSchema },
    responses: {
      202: { description: 'Temporal has it, or the inbox does.', schema: webhookAccepted },
      400: common[400],
      401: error('Signature missing, malformed, wrong or outside the time window (`reason` says which).'),
      413: common[413],
      415: webhook415,
      503: webhook503,
    },
  },
  {
    method: 'get',
    path: OPS_PATHS.list,
    operationId: 'listTickets',
    summary: 'Ticket workflows through Temporal visibility, newest first.',
    description: 'Filters on the TicketStatus and TicketSource search attributes. Eventually consistent: a ticket created seconds ago may be missing.',
    tags: ['ops'],
    security: ['opsToken'],
    query: listTicketsQuery,
    responses: { 200: { description: 'One page.', schema: ticketPage }, 400: common[400], 401: common[401], 503: common[503] },
  },
  {
    method: 'get',
    path: OPS_PATHS.ticket,
    operationId: 'getTicket',
    summary: "A ticket's state (with its timeline), execution status and pending activities.",
    tags: ['ops'],
    security: ['opsToken'],
    params: ticketParams,
    responses: {
      200: { description: 'The ticket.', schema: ticketDetails },
      400: common[400],
      401: common[401],
      404: error('No workflow for this ticket.'),
      503: common[503],
    },
  },
  ...(Object.keys(OPERATOR_UPDATES) as (keyof typeof OPERATOR_UPDATES)[]).map(
    (name): RouteDoc => ({
      method: 'post',
      path: OPS_PATHS[name],
      operationId: `${name}Ticket`,
      summary: OPERATOR_UPDATES[name].summary,
      description:
        "The body is read as JSON whatever its Content-Type. An unknown ticket is a 404 whatever the body; an unknown field is a 400 naming it. The workflow's validator refuses a bad request (409) before it touches history. 200 carries the update's result.",
      tags: ['ops'],
      security: ['opsToken'],
      params: ticketParams,
      headers: z.object({
        'Idempotency-Key': idempotencyKey.optional().meta({ description: 'Retries with the same key are one update.' }),
      }),
      body: OPERATOR_UPDATES[name].body,
      responses: {
        200: { description: "The update's result: the ticket's state.", schema: ticketStateView },
        202: { description: 'Accepted; still running when the API stopped waiting.', schema: updateAccepted },
        400: common[400],
        401: common[401],
        404: error('No workflow for this ticket.'),
        409: { description: 'Refused by the workflow (e.g. the ticket already completed; for pause, already paused; for resume, not paused).', schema: rejectedError },
        503: common[503],
      },
    }),
  ),
  ...[CODEC_ENCODE_PATH, CODEC_DECODE_PATH].flatMap((path): RouteDoc[] => {
    const name = path.endsWith('encode') ? 'encode' : 'decode';
    return [
      {
        method: 'options',
        path,
        operationId: `codec${name === 'encode' ? 'Encode' : 'Decode'}Preflight`,
        summary: 'CORS preflight (Temporal UI origins in CODEC_CORS_ORIGIN only).',
        tags: ['codec'],
        responses: { 204: { description: 'Allowed.' }, 403: error('This origin may not call the codec server.') },
      },
      {
        method: 'post',
        path,
        operationId: `codec${name === 'encode' ? 'Encode' : 'Decode'}`,
        summary: `${name === 'encode' ? 'Encrypt' : 'Decrypt'} Temporal payloads (remote codec protocol).`,
        tags: ['codec'],
        security: ['codecToken'],
        body: { schema: payloadsBody },
        responses: {
          200: { description: 'The payloads.', schema: payloadsBody },
          400: common[400],
          401: common[401],
          403: error('This origin may not call the codec server.'),
          413: common[413],
        },
      },
    ];
  }),
  {
    method: 'get',
    path: METRICS_PATH,
    operationId: 'metrics',
    summary: 'Prometheus metrics of the API (text exposition format).',
    tags: ['health'],
    security: ['metricsToken', 'opsToken'],
    responses: { 200: { description: 'Metrics.', schema: z.string(), contentType: 'text/plain' }, 401: common[401] },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document.',
    tags: ['health'],
    responses: { 200: { description: 'OpenAPI 3.1.', schema: z.looseObject({ openapi: z.string() }) } },
  },
];
