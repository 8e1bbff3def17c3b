/**
 * The OpenAPI 3.1 document of the whole HTTP API, generated from the zod schemas the routes
 * validate with (zod 4's built-in `z.toJSONSchema`; OpenAPI 3.1 schemas are JSON Schema 2020-12).
 * Each route is described once in `./route-docs.ts` by its method, path and schemas; nothing in
 * the document is written by hand. `GET /openapi.json` serves it; a test (test/api/openapi.test.ts)
 * fails when a route of the app is missing from it or the document names a route the app lacks.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { API_ROUTE_DOCS, SECURITY_SCHEMES, type RouteDoc } from './route-docs';

export const OPENAPI_PATH = '/openapi.json';

type JsonSchema = Record<string, unknown>;
type Components = Record<string, JsonSchema>;

/** `/tickets/:source/:ticketId` → `/tickets/{source}/{ticketId}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * A zod schema as JSON Schema. Schemas with a `meta({ id })` become shared components, referenced
 * as `#/components/schemas/<id>`.
 */
function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Components): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  const defs = json.$defs as Components | undefined;
  delete json.$defs;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        key === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : rewrite(v),
      ]),
    );
  };
  for (const [id, def] of Object.entries(defs ?? {})) components[id] = rewrite(def) as JsonSchema;
  // A root schema with an id is itself a component.
  const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
  if (id) {
    components[id] = rewrite(json) as JsonSchema;
    return { $ref: `#/components/schemas/${id}` };
  }
  return rewrite(json) as JsonSchema;
}

/** An object schema's properties as OpenAPI parameters. */
function parameters(location: 'path' | 'query' | 'header', schema: z.ZodObject | undefined, io: 'input' | 'output', components: Components) {
  if (!schema) return [];
  const json = toSchema(schema, io, components);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' && { description }),
      schema: rest,
    };
  });
}

function operation(route: RouteDoc, components: Components): Record<string, unknown> {
  const params = [
    // Path parameters as the route validates them (the output: what a valid id looks like).
    ...parameters('path', route.params, 'output', components),
    ...parameters('query', route.query, 'input', components),
    ...parameters('header', route.headers, 'input', components),
  ];
  const responses = Object.fromEntries(
    Object.entries(route.responses).map(([status, response]) => [
      status,
      {
        description: response.description,
        ...(response.schema && {
          content: { [response.contentType ?? 'application/json']: { schema: toSchema(response.schema, 'output', components) } },
        }),
      },
    ]),
  );
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description && { description: route.description }),
    tags: route.tags,
    ...(params.length > 0 && { parameters: params }),
    ...(route.body && {
      requestBody: {
        required: route.body.required ?? true,
        ...(route.body.description && { description: route.body.description }),
        content: { [route.body.contentType ?? 'application/json']: { schema: toSchema(route.body.schema, 'input', components) } },
      },
    }),
    responses,
    security: route.security ? route.security.map((scheme) => ({ [scheme]: [] })) : [],
  };
}

const TAGS = [
  { name: 'webhooks', description: 'Notifications from the ticket sources and the CRM.' },
  { name: 'ops', description: 'Operators: tickets through Temporal (bearer OPS_API_TOKEN).' },
  { name: 'codec', description: "Temporal's remote codec protocol, for the Temporal UI and CLI." },
  { name: 'health', description: 'Liveness, readiness, metrics and this document.' },
  {
    name: 'sandbox',
    description:
      '`npm start` with simulated remotes only: play the end user, the agent and the white-label platform. ' +
      'A route waits (up to 15 s) for what the bridge must have done first, e.g. the Zendesk ticket.',
  },
];

export function buildOpenApiDocument(routes: readonly RouteDoc[] = API_ROUTE_DOCS): Record<string, unknown> {
  const components: Components = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    if (paths[path]![route.method]) throw new Error(`route documented twice: ${route.method.toUpperCase()} ${route.path}`);
    paths[path]![route.method] = operation(route, components);
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'ticket-bridge',
      version: packageVersion(),
      description:
        'Webhooks in (Connect, Zendesk, white-label), one Temporal workflow per ticket, and the ops API over their state. ' +
        'Errors are JSON `{ "error": <code>, ... }` everywhere. Generated from the zod schemas the routes validate with.',
    },
    // Only the tags some route has (`sandbox` only when the sandbox's routes are mounted).
    tags: TAGS.filter((tag) => routes.some((route) => route.tags.includes(tag.name))),
    paths,
    components: { schemas: components, securitySchemes: SECURITY_SCHEMES },
  };
}

/** package.json's version: two levels up from src/api, three from the build's dist/src/api. */
function packageVersion(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'ticket-bridge' && pkg.version) return pkg.version;
    } catch {
      // next candidate
    }
  }
  return '0.0.0';
}

/** `GET /openapi.json`, public: it describes the API, it holds nothing secret. */
export function openApiRouter(deps: AppDeps): Router {
  const router = Router();
  let document: string | null = null;
  router.get(OPENAPI_PATH, (_req, res) => {
    document ??= JSON.stringify(buildOpenApiDocument([...API_ROUTE_DOCS, ...(deps.extraRouteDocs ?? [])]));
    res.type('application/json').send(document);
  });
  return router;
}
