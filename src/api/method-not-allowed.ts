/**
 * A known path asked with a method it does not take: `405` with `Allow`, not the `404` of an
 * unknown path, so a client sees at once that the path is right and the method is not. (`OPTIONS`
 * on a known path never gets here: express's router answers it with `Allow` itself.)
 */
import type { Express, RequestHandler } from 'express';
import { sendError } from './errors';

/** What this needs of express 5's router layers (`router` package): routes, nested routers, `match`. */
interface Layer {
  route?: { methods: Record<string, boolean | undefined> };
  handle?: { stack?: Layer[] };
  match(path: string): unknown;
}

/** The methods the routes in `stack` answer on `path`, HEAD wherever GET is (express serves it). */
export function allowedMethods(stack: readonly Layer[], path: string): string[] {
  const methods = new Set<string>();
  const walk = (layers: readonly Layer[]) => {
    for (const layer of layers) {
      if (!layer.match(path)) continue;
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') methods.add(method.toUpperCase());
      } else if (layer.handle?.stack) {
        // Routers are mounted at the root with full paths (see app.ts), so the path is unchanged inside.
        walk(layer.handle.stack);
      }
    }
  };
  walk(stack);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

export function methodNotAllowed(app: Express): RequestHandler {
  return (req, res, next) => {
    const allowed = allowedMethods((app as unknown as { router: { stack: Layer[] } }).router.stack, req.path);
    if (allowed.length === 0) return next();
    res.setHeader('Allow', allowed.join(', '));
    sendError(res, 405, 'method_not_allowed', { message: `${req.method} is not allowed on this path; it takes ${allowed.join(', ')}` });
  };
}
