/**
 * The OpenAPI document against the app: every route the express app registers is in the document
 * and every operation in the document is a route of the app (so a new route without a schema, or a
 * removed one still documented, fails CI). Also: the document is what `GET /openapi.json` serves,
 * its references resolve, and its schemas are the ones the routes validate with.
 */
import type { Express } from 'express';
import { API_ROUTERS, createApp } from '../../src/api/app';
import { buildOpenApiDocument, openApiPath } from '../../src/api/docs/openapi';
import { API_ROUTE_DOCS, SECURITY_SCHEMES } from '../../src/api/docs/route-docs';
import { createLogger } from '../../src/observability/logger';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { FakeGateway, type RunningApi, startApi, testConfig } from './helpers';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** `METHOD /path` of every route registered in the app, through nested routers. */
function registeredRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m] && m !== '_all')) {
          for (const path of paths) out.push(`${method.toUpperCase()} ${openApiPath(path)}`);
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(out)].sort();
}

type Doc = {
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; security?: Array<Record<string, unknown>>; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

function documentedRoutes(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('OpenAPI document', () => {
  const app = createApp({ config: testConfig, gateway: new FakeGateway(), logger: createLogger({ level: 'silent' }) });
  const doc = buildOpenApiDocument() as Doc;

  it('documents exactly the routes the app registers', () => {
    const routes = registeredRoutes(app);
    // The walk found the app's routers (a broken walk would make the comparison vacuous).
    expect(routes).toEqual(expect.arrayContaining(['GET /healthz', 'POST /webhooks/connect', 'GET /tickets/{source}/{ticketId}', 'GET /openapi.json']));
    expect(documentedRoutes(doc)).toEqual(routes);
  });

  it('is OpenAPI 3.1 with JSON Schema 2020-12 and an operation id per route', () => {
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { title: 'ticket-bridge', version: expect.any(String) } });
    const ids = API_ROUTE_DOCS.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every path parameter of every template, and nothing else in the path', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const operation of Object.values(operations)) {
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
        expect({ path, declared }).toEqual({ path, declared: inTemplate });
      }
    }
  });

  it('resolves every $ref and security scheme', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty([ref.replace('#/components/schemas/', '')]);
    }
    for (const operations of Object.values(doc.paths)) {
      for (const operation of Object.values(operations)) {
        for (const requirement of operation.security ?? []) for (const name of Object.keys(requirement)) expect(SECURITY_SCHEMES).toHaveProperty([name]);
      }
    }
  });

  it('carries the routes’ own validation rules (generated from their zod schemas)', () => {
    const connect = doc.paths['/webhooks/connect']!.post as unknown as { requestBody: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }>; required: string[] } }> } };
    const body = connect.requestBody.content['application/json']!.schema;
    expect(body.properties.type!.enum).toEqual(['CREATE', 'UPDATE', 'DELETE']);
    expect(body.required).toEqual(['type', 'ticketId']);
    const list = doc.paths['/tickets']!.get!;
    expect(list.parameters!.map((p) => p.name)).toEqual(['status', 'source', 'pageSize', 'pageToken']);
    const close = doc.paths['/tickets/{source}/{ticketId}/close']!.post as unknown as { responses: Record<string, unknown>; requestBody: { required: boolean } };
    expect(Object.keys(close.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '404', '409', '503']));
    expect(close.requestBody.required).toBe(true);
    expect(doc.components.schemas).toHaveProperty('TicketState');
  });

  describe('GET /openapi.json', () => {
    let api: RunningApi;
    beforeAll(async () => {
      api = await startApi({ gateway: new FakeGateway() });
    });
    afterAll(() => api.close());

    it('serves the document without credentials', async () => {
      const res = await fetch(`${api.url}/openapi.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
    });
  });

  describe('with the sandbox mounted (npm start with simulated remotes)', () => {
    let sandbox: Sandbox;
    let api: RunningApi;
    beforeAll(async () => {
      sandbox = await startSandbox({ logger: createLogger({ level: 'silent' }) });
      api = await startApi({ gateway: new FakeGateway(), routers: [...API_ROUTERS, () => sandbox.router], extraRouteDocs: sandbox.routeDocs });
    });
    afterAll(async () => {
      await api.close();
      await sandbox.stop();
    });

    it('documents exactly the routes the app then registers, the sandbox ones under their own tag', async () => {
      const app = createApp(
        { config: testConfig, gateway: new FakeGateway(), logger: createLogger({ level: 'silent' }), extraRouteDocs: sandbox.routeDocs },
        [...API_ROUTERS, () => sandbox.router],
      );
      const served = (await (await fetch(`${api.url}/openapi.json`)).json()) as Doc & { tags: Array<{ name: string }> };
      expect(documentedRoutes(served)).toEqual(registeredRoutes(app));
      expect(registeredRoutes(app)).toEqual(expect.arrayContaining(['POST /sandbox/user/tickets', 'DELETE /sandbox/user/tickets/{ticketId}', 'POST /sandbox/whitelabel/tickets/{ticketId}/teammate-replies']));
      expect(served.tags.map((t) => t.name)).toContain('sandbox');
      for (const [path, operations] of Object.entries(served.paths)) {
        for (const operation of Object.values(operations) as unknown as Array<{ tags: string[] }>) {
          expect({ path, sandbox: operation.tags.includes('sandbox') }).toEqual({ path, sandbox: path.startsWith('/sandbox/') });
        }
      }
      // Without the sandbox, no such tag.
      expect((doc as unknown as { tags: Array<{ name: string }> }).tags.map((t) => t.name)).not.toContain('sandbox');
    });

    it('gives the sandbox routes a 405 with Allow too', async () => {
      const res = await fetch(`${api.url}/sandbox/user/tickets`);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    });
  });
});
