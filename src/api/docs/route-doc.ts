/**
 * What a route's documentation is made of (the entries of ./route-docs.ts, the sandbox's own),
 * apart from the list of routes: the app's dependencies name it (`extraRouteDocs`, ./deps.ts)
 * and the routers build on those, so it must not import them back.
 */
import type { z } from 'zod';
import { DEFAULT_WHITELABEL_SIGNATURE_HEADER } from '../webhooks/whitelabel-signature';

export const SECURITY_SCHEMES = {
  opsToken: { type: 'http', scheme: 'bearer', description: 'OPS_API_TOKEN' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN (or OPS_API_TOKEN)' },
  codecToken: { type: 'http', scheme: 'bearer', description: 'CODEC_AUTH_TOKEN (its own token; the ops token is refused)' },
  connectToken: { type: 'apiKey', in: 'query', name: 'auth_token', description: 'CONNECT_WEBHOOK_TOKEN, in the callback URL' },
  zendeskSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Zendesk-Webhook-Signature',
    description: 'base64(HMAC-SHA256(ZENDESK_WEBHOOK_SECRET, timestamp + raw body)); timestamp in X-Zendesk-Webhook-Signature-Timestamp',
  },
  freshdeskToken: { type: 'apiKey', in: 'query', name: 'token', description: 'FRESHDESK_WEBHOOK_TOKEN, in the URL of the automation rule (or its X-Webhook-Token header)' },
  whitelabelSignature: {
    type: 'apiKey',
    in: 'header',
    name: DEFAULT_WHITELABEL_SIGNATURE_HEADER,
    description: 't=<unix seconds>,s=<hex HMAC-SHA256(WHITELABEL_WEBHOOK_SECRET, ...)>; header name per WHITELABEL_SIGNATURE_HEADER',
  },
} as const;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options' | 'head';
  /** The express path template, e.g. `/tickets/:source/:ticketId`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Any one of these authenticates; absent: public. */
  security?: SecuritySchemeName[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: { schema: z.ZodType; contentType?: string; required?: boolean; description?: string };
  responses: Record<number, ResponseDoc>;
}
